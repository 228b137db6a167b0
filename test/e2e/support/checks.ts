import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { readLock } from './lock.ts';
import type { ClientKind } from './client.ts';
import { describe } from './process.ts';
import { HOST_PLATFORM, SELECTED, type InitOutcome, type World } from './world.ts';

/**
 * `NAME init` succeeded and unpacked every selected provider for this machine's platform, each
 * binary byte-identical to the one inside the registry's archive.
 */
export async function assertInstalledEverything(world: World, init: InitOutcome): Promise<void> {
  assert.equal(init.run.code, 0, `${world.client.name} init failed:\n${describe(init.run)}`);
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
      new RegExp(`Installed ${escape(shortName(world.client, address))} v${escape(version)}`),
    );
  }
}

/**
 * The lock file the install left locks exactly the same providers, versions and constraints as
 * `before`, and keeps every hash `before` had (the client may only add hashes).
 */
export function assertLockKept(before: string, after: string | undefined): void {
  assert.ok(after !== undefined, 'init removed the lock file');
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

/**
 * An address as `client` prints it: `ns/type` on its default host (registry.opentofu.org for
 * OpenTofu, registry.terraform.io for Terraform), the full address on any other host.
 */
export function shortName(client: ClientKind, address: string): string {
  const prefix = `${client.defaultHost}/`;
  return address.startsWith(prefix) ? address.slice(prefix.length) : address;
}

/** `s` as a literal inside a RegExp. */
export function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The client wraps its messages at 78 columns: one line, single spaces, for matching. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/** Reads the lock file `NAME init` left in `init.dir`. */
export function lockOf(init: InitOutcome): Promise<string> {
  return readFile(path.join(init.dir, '.terraform.lock.hcl'), 'utf8');
}
