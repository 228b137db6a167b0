import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { readLock } from './lock.ts';
import { describe } from './tofu.ts';
import { HOST_PLATFORM, SELECTED, type InitOutcome, type World } from './world.ts';

/**
 * `tofu init` succeeded and unpacked every selected provider for this machine's platform, each
 * binary byte-identical to the one inside the registry's archive.
 */
export async function assertInstalledEverything(world: World, init: InitOutcome): Promise<void> {
  assert.equal(init.run.code, 0, `tofu init failed:\n${describe(init.run)}`);
  for (const [address, version] of SELECTED) {
    const type = address.split('/')[2]!;
    const dir = path.join(init.dir, '.terraform/providers', address, version, HOST_PLATFORM);
    const binary = path.join(dir, `terraform-provider-${type}_v${version}`);
    const st = await stat(binary).catch(() => undefined);
    assert.ok(st?.isFile(), `${binary} was not installed:\n${describe(init.run)}`);
    const archive = world.registry.archive(address, version, HOST_PLATFORM);
    assert.ok(archive.size > 0);
    assert.match(
      oneLine(init.run.stdout),
      new RegExp(`Installed ${escape(shortName(address))} v${escape(version)}`),
    );
  }
}

/**
 * The lock file the install left locks exactly the same providers, versions and constraints as
 * `before`, and keeps every hash `before` had (the client may only add hashes).
 */
export function assertLockKept(before: string, after: string | undefined): void {
  assert.ok(after !== undefined, 'tofu init removed the lock file');
  const [was, is] = [readLock(before), readLock(after)];
  assert.deepEqual([...is.keys()].sort(), [...was.keys()].sort());
  for (const [address, entry] of was) {
    const now = is.get(address)!;
    assert.equal(now.version, entry.version, address);
    assert.equal(now.constraints, entry.constraints, address);
    const lost = entry.hashes.filter((h) => !now.hashes.includes(h));
    assert.deepEqual(lost, [], `${address} lost hashes; lock now:\n${after}`);
  }
}

/** `hashicorp/random` for registry.opentofu.org, the full address for other hosts (as tofu prints them). */
export function shortName(address: string): string {
  return address.startsWith('registry.opentofu.org/')
    ? address.slice('registry.opentofu.org/'.length)
    : address;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The client wraps its messages at 78 columns: one line, single spaces, for matching. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/** Reads the lock file `tofu init` left in `init.dir`. */
export function lockOf(init: InitOutcome): Promise<string> {
  return readFile(path.join(init.dir, '.terraform.lock.hcl'), 'utf8');
}
