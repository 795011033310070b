import { describe, expect, it } from 'vitest';
import { keyLine, mergeKeys, parseKeyLine, parseKeysArg } from './authorized-keys-file.js';
import { authorizedKey, keyfilePath } from './authorized-key.js';
import { validateArgs } from '../../../src/contract/validate.js';
import { pinnedChmod } from '../../../lib/files/index.js';
import { FakeHost } from '../../../test/harness/fake-host.js';
import { checkOn, runs, writes } from '../../../test/harness/files.js';

const K1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0x1xqVJ6pz6lJpX9Gc0yYVxq3s1ZbqTq8d9c9w3Kx1 alice@laptop';
const K2 = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFakeKeyForTests0123456789abcdef= bob@ws';
const K3 = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCfakefakefake== carol';

describe('key lines', () => {
  it.each([
    [K1, { type: 'ssh-ed25519', comment: 'alice@laptop', options: undefined }],
    [
      `from="10.2.0.0/16,10.0.0.0/16",command="echo \\"hi there\\"" ${K3}`,
      { type: 'ssh-rsa', options: 'from="10.2.0.0/16,10.0.0.0/16",command="echo \\"hi there\\""', comment: 'carol' },
    ],
    ['no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0x', { type: 'ssh-ed25519', options: 'no-pty', comment: undefined }],
    ['sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t x y', { type: 'sk-ssh-ed25519@openssh.com', comment: 'x y' }],
  ])('parses %s', (line, want) => {
    expect(parseKeyLine(line)).toMatchObject(want);
    expect(keyLine(parseKeyLine(line)!)).toBe(line);
  });
  it.each(['# comment', '', 'not a key', 'ssh-ed25519 not*base64', 'opts bogus-type AAAA'])('ignores %j', (line) => {
    expect(parseKeyLine(line)).toBeUndefined();
  });
  it('the key argument: several lines, comments skipped, options/comment overridable', () => {
    const keys = parseKeysArg(`# team\n${K1}\n\n${K2}\n`, 'no-agent-forwarding', 'managed');
    expect(keys.map(keyLine)).toEqual([
      `no-agent-forwarding ${K1.replace('alice@laptop', 'managed')}`,
      `no-agent-forwarding ${K2.replace('bob@ws', 'managed')}`,
    ]);
    expect(() => parseKeysArg('hello world')).toThrow(/line 1 of key is not an ssh public key/);
    expect(() => parseKeysArg('# only a comment\n')).toThrow(/no public key/);
  });
});

describe('mergeKeys', () => {
  const keys = (s: string, o?: string) => parseKeysArg(s, o);
  it.each([
    [
      'adds a missing key at the end, keeps others and comments',
      `# mine\n${K2}\n`,
      { keys: keys(K1), state: 'present', exclusive: false },
      `# mine\n${K2}\n${K1}\n`,
      [1, 0, 0],
    ],
    ['nothing to do', `${K1}\n`, { keys: keys(K1), state: 'present', exclusive: false }, `${K1}\n`, [0, 0, 0]],
    [
      'rewrites a key whose options differ, in place',
      `${K2}\nno-pty ${K1}\n`,
      { keys: keys(K1, 'from="10.0.0.0/8"'), state: 'present', exclusive: false },
      `${K2}\nfrom="10.0.0.0/8" ${K1}\n`,
      [0, 1, 0],
    ],
    ['exclusive keeps only the listed keys', `${K2}\n${K1}\n${K3}\n`, { keys: keys(K1), state: 'present', exclusive: true }, `${K1}\n`, [0, 0, 2]],
    ['absent removes it', `${K2}\n${K1}\n`, { keys: keys(K1), state: 'absent', exclusive: false }, `${K2}\n`, [0, 0, 1]],
    ['duplicates of a key are dropped', `${K1}\n${K1}\n`, { keys: keys(K1), state: 'present', exclusive: false }, `${K1}\n`, [0, 0, 1]],
    ['an empty file', '', { keys: keys(`${K1}\n${K2}`), state: 'present', exclusive: false }, `${K1}\n${K2}\n`, [2, 0, 0]],
  ] as const)('%s', (_n, before, spec, after, [added, updated, removed]) => {
    expect(mergeKeys(before, spec as never)).toEqual({ content: after, added, updated, removed });
  });
});

describe('authorized_key check() on canned hosts', () => {
  const alice = { name: 'alice', uid: 20001, gid: 20001, home: '/home/alice' };
  const host = (files = {}, user: typeof alice | null = alice) =>
    new FakeHost({ files: { '/home/alice': { type: 'dir', uid: 20001, gid: 20001 }, ...files }, facts: { 'authorized_key.passwd': () => user } });

  it('no .ssh yet: creates it 0700 and the file 0600, owned by the user', async () => {
    const c = await checkOn(host(), authorizedKey, { user: 'alice', key: K1 });
    if (!c.changed) throw new Error('expected a change');
    expect(writes(c.plan.steps)).toEqual({ '/home/alice/.ssh/authorized_keys': `${K1}\n` });
    const w = c.plan.steps![0]!;
    if (w.kind !== 'write') throw new Error('expected a write');
    expect(w.spec).toMatchObject({
      owner: '20001',
      group: '20001',
      mode: 0o600,
      mkdirs: ['/home/alice/.ssh'],
      dirMode: 0o700,
      dirOwner: '20001',
      dirGroup: '20001',
    });
    expect(c.summary).toBe('add 1 key(s) in /home/alice/.ssh/authorized_keys');
  });

  it('a group-writable .ssh and a 0644 file are fixed even when the keys are there', async () => {
    const h = host({
      '/home/alice/.ssh': { type: 'dir', mode: 0o775, uid: 20001, gid: 20001 },
      '/home/alice/.ssh/authorized_keys': { type: 'file', content: `${K1}\n`, mode: 0o644, uid: 20001, gid: 20001 },
    });
    const c = await checkOn(h, authorizedKey, { user: 'alice', key: K1 });
    if (!c.changed) throw new Error('expected a change');
    expect(runs(c.plan.steps)).toEqual([pinnedChmod('/home/alice/.ssh', 0o700), pinnedChmod('/home/alice/.ssh/authorized_keys', 0o600)]);
  });

  it('second run: ok', async () => {
    const h = host({
      '/home/alice/.ssh': { type: 'dir', mode: 0o700, uid: 20001, gid: 20001 },
      '/home/alice/.ssh/authorized_keys': { type: 'file', content: `${K1}\n`, mode: 0o600, uid: 20001, gid: 20001 },
    });
    expect((await checkOn(h, authorizedKey, { user: 'alice', key: K1 })).changed).toBe(false);
  });

  it('manage_dir false: a missing directory is an error', async () => {
    await expect(checkOn(host(), authorizedKey, { user: 'alice', key: K1, manage_dir: false })).rejects.toThrow(/\.ssh does not exist \(manage_dir is false\)/);
  });

  it('unknown user: error, but a planned change in check mode (the user task has not run)', async () => {
    await expect(checkOn(host({}, null), authorizedKey, { user: 'alice', key: K1 })).rejects.toThrow(/user alice does not exist/);
    const c = await checkOn(host({}, null), authorizedKey, { user: 'alice', key: K1 }, { check: true });
    expect(c.changed).toBe(true);
  });

  it('paths: ~/ is the home, absolute kept', () => {
    expect(keyfilePath(undefined, '/home/a/')).toBe('/home/a/.ssh/authorized_keys');
    expect(keyfilePath('~/.ssh/keys2', '/home/a')).toBe('/home/a/.ssh/keys2');
    expect(keyfilePath('/etc/ssh/keys/a', '/home/a')).toBe('/etc/ssh/keys/a');
    expect(() => validateArgs(authorizedKey, { user: 'a', key: K1, path: 'rel/x' })).toThrow(/absolute/);
  });
});
