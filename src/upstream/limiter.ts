/** A release function: call it exactly once to give the permit back. */
export type Release = () => void;

/** A counting semaphore with a FIFO queue of waiters. */
export class Semaphore {
  readonly #limit: number;
  #inUse = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  /** Permits currently held plus waiters queued. */
  get pending(): number {
    return this.#inUse + this.#waiters.length;
  }

  /** Resolves with a release function once a permit is free. */
  async acquire(): Promise<Release> {
    if (this.#inUse < this.#limit) {
      this.#inUse++;
    } else {
      // The releaser hands its permit straight to us, so #inUse stays as it is.
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#releaseOne();
    };
  }

  #releaseOne(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#inUse--;
  }
}

/** One semaphore per key (e.g. per origin), dropped again when idle. */
export class KeyedSemaphore {
  readonly #limit: number;
  readonly #byKey = new Map<string, Semaphore>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Resolves with a release function once a permit for `key` is free. */
  async acquire(key: string): Promise<Release> {
    let semaphore = this.#byKey.get(key);
    if (!semaphore) {
      semaphore = new Semaphore(this.#limit);
      this.#byKey.set(key, semaphore);
    }
    const release = await semaphore.acquire();
    const owner = semaphore;
    return () => {
      release();
      if (owner.pending === 0 && this.#byKey.get(key) === owner) this.#byKey.delete(key);
    };
  }
}
