/** The holder's connection key: every identity field changes it, secrets only as hashes; the wire format. */
import { describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionKey, runtimeDir } from '../../src/connection/persist-key.js';
import { errorFromWire, errorToWire } from '../../src/connection/persist-wire.js';
import { BecomeError, ModuleError, UnreachableError } from '../../src/errors.js';
import type { ConnectionTarget } from '../../src/connection/types.js';

const dir = mkdtempSync(join(tmpdir(), 'tsplay-key-'));
const kh = join(dir, 'known_hosts');
const key = join(dir, 'id');
writeFileSync(key, 'key one');
const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIHl7pL1n3L3cOaYfTsMa2o1yIYd5OBtJ3xUzJz8vL0tG';
writeFileSync(kh, `10.0.0.1 ssh-ed25519 ${ED}\nother ssh-ed25519 ${ED}\n`);

const base: ConnectionTarget = {
  name: 'n1',
  host: '10.0.0.1',
  port: 22,
  user: 'ops',
  privateKeyFile: key,
  knownHostsFiles: [kh],
  globalKnownHostsFiles: [],
  hostKeyChecking: 'strict',
  connectTimeoutMs: 10_000,
  keepaliveIntervalMs: 0,
  becomePassword: 'secret-pw',
  becomeMethod: 'sudo',
  connection: 'ssh',
};

describe('connectionKey', () => {
  const k0 = connectionKey(base);
  it('is stable, and the inventory name does not count', () => {
    expect(connectionKey({ ...base })).toBe(k0);
    expect(connectionKey({ ...base, name: 'alias' })).toBe(k0);
  });
  it.each([
    ['address', { host: '10.0.0.2' }],
    ['port', { port: 2222 }],
    ['user', { user: 'root' }],
    ['become password', { becomePassword: 'other' }],
    ['no become password', { becomePassword: undefined }],
    ['password', { password: 'x' }],
    ['host key checking', { hostKeyChecking: 'accept-new' as const }],
    ['timeout', { connectTimeoutMs: 5_000 }],
  ])('changes with the %s', (_, change) => {
    expect(connectionKey({ ...base, ...change })).not.toBe(k0);
  });
  it('changes with the key file contents and the host key entry, not with unrelated known_hosts lines', () => {
    writeFileSync(kh, `10.0.0.1 ssh-ed25519 ${ED}\nother ssh-ed25519 ${ED}\n# comment\nthird ssh-ed25519 ${ED}\n`);
    expect(connectionKey(base)).toBe(k0);
    writeFileSync(kh, `10.0.0.1 ssh-ed25519 ${ED.replace('AAAAIH', 'AAAAIG')}\n`);
    expect(connectionKey(base)).not.toBe(k0);
    writeFileSync(kh, `10.0.0.1 ssh-ed25519 ${ED}\nother ssh-ed25519 ${ED}\n`);
    expect(connectionKey(base)).toBe(k0);
    writeFileSync(key, 'key two');
    expect(connectionKey(base)).not.toBe(k0);
    writeFileSync(key, 'key one');
  });
  it('never holds a secret in the clear', () => {
    expect(k0).toMatch(/^[0-9a-f]{64}$/);
  });
  it('differs per uid', () => {
    expect(connectionKey(base, 1234)).not.toBe(connectionKey(base, 1235));
  });
});

describe('runtimeDir', () => {
  it('accepts a private dir of ours and refuses one others may enter', () => {
    const d = mkdtempSync(join(tmpdir(), 'tsplay-rt-'));
    expect(runtimeDir({ TSPLAY_PERSIST_DIR: d })).toBe(d);
    chmodSync(d, 0o755);
    expect(runtimeDir({ TSPLAY_PERSIST_DIR: d })).toBeNull();
  });
});

describe('errors over the wire', () => {
  it('keep their class and fields', () => {
    expect(errorFromWire(errorToWire(new UnreachableError('gone')))).toBeInstanceOf(UnreachableError);
    const b = new BecomeError('no tty');
    b.needsTty = true;
    expect((errorFromWire(errorToWire(b)) as BecomeError).needsTty).toBe(true);
    const m = errorFromWire(errorToWire(new ModuleError('timed out', { rc: 124, stdout: 'o' }))) as ModuleError;
    expect([m.rc, m.stdout, m.message]).toEqual([124, 'o', 'timed out']);
  });
});
