import { createCipheriv, createHash } from 'node:crypto';

/**
 * Deterministic randomness for fixtures: the same seed gives the same numbers and bytes on every
 * machine and Node version (no Math.random, no clock).
 */

/** 32 bytes derived from the seed parts (sha256 over the parts joined by NUL). */
export function seedBytes(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\0')).digest();
}

/** A small seeded PRNG (sfc32) for choices: integers, floats, picks. */
export interface SeededPrng {
  /** Uniform in [0, 2^32). */
  nextUint32(): number;
  /** Uniform in [0, 1). */
  nextFloat(): number;
  /** Uniform integer in [0, n). */
  nextInt(n: number): number;
  pick<T>(items: readonly T[]): T;
}

/** A PRNG seeded from the seed parts; each call returns an independent generator. */
export function seededPrng(...parts: string[]): SeededPrng {
  const s = seedBytes(...parts);
  let a = s.readUInt32LE(0);
  let b = s.readUInt32LE(4);
  let c = s.readUInt32LE(8);
  let d = s.readUInt32LE(12);
  const nextUint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) nextUint32(); // warm-up, as sfc32 recommends
  const nextFloat = (): number => nextUint32() / 2 ** 32;
  const nextInt = (n: number): number => Math.floor(nextFloat() * n);
  return {
    nextUint32,
    nextFloat,
    nextInt,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('seededPrng.pick: empty list');
      return items[nextInt(items.length)]!;
    },
  };
}

/** A seeded byte stream (AES-256-CTR keystream): fast, incompressible, reproducible. */
export interface SeededBytes {
  /** The next `n` bytes of the stream. */
  next(n: number): Buffer;
}

/** Random-looking bytes from the seed parts; consecutive calls continue the same stream. */
export function seededBytes(...parts: string[]): SeededBytes {
  const cipher = createCipheriv('aes-256-ctr', seedBytes(...parts), Buffer.alloc(16));
  return { next: (n: number): Buffer => cipher.update(Buffer.alloc(n)) };
}
