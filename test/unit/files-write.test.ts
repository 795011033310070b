/**
 * The atomic write, run for real on a temp directory (as this test runs: root, so ownership can be checked):
 * nothing is half-done on failure, attributes are kept or set, backups are named like Ansible's.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ModuleError } from '../../src/errors.js';
import { ancestors, runSteps, substituteValidate, type WriteSpec } from '../../src/module/fileops.js';
import type { LocalConnection } from '../../src/connection/local.js';
import { connCtx, localConnection, tempDir } from './files-harness.js';

let conn: LocalConnection;
let tmp: { dir: string; cleanup(): void };
let dir: string;
let n = 0;

async function write(spec: Omit<WriteSpec, 'keepAttrs' | 'mode'> & Partial<WriteSpec>, data: Buffer | string) {
  const ctx = connCtx(conn);
  return runSteps(ctx, [{ kind: 'write', spec: { keepAttrs: existsSync(spec.dest), mode: 0o644, ...spec }, data: Buffer.from(data) }]);
}
async function failure(p: Promise<unknown>): Promise<ModuleError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ModuleError) return e;
    throw e;
  }
  throw new Error('expected a ModuleError');
}

beforeAll(() => {
  conn = localConnection();
  tmp = tempDir('tsplay-write-');
});
beforeEach(() => {
  dir = join(tmp.dir, `t${n++}`);
  mkdirSync(dir);
});
afterAll(async () => {
  await conn.close();
  tmp.cleanup();
});

describe('atomic write', () => {
  it('writes binary content from stdin with the given mode', async () => {
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) % 256));
    await write({ dest: join(dir, 'f'), mode: 0o600 }, data);
    expect(Buffer.compare(readFileSync(join(dir, 'f')), data)).toBe(0);
    expect(lstatSync(join(dir, 'f')).mode & 0o7777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('keeps the owner and group of the file it replaces; sets them when asked', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'old');
    chownSync(f, 1234, 4321);
    await write({ dest: f, mode: 0o640 }, 'new');
    expect(lstatSync(f)).toMatchObject({ uid: 1234, gid: 4321 });
    expect(readFileSync(f, 'utf8')).toBe('new');
    await write({ dest: f, owner: '0', group: '0' }, 'newer');
    expect(lstatSync(f)).toMatchObject({ uid: 0, gid: 0 });
  });

  it('creates missing parent directories, with their mode', async () => {
    const f = join(dir, 'a/b/c/f');
    await write({ dest: f, mkdirs: ancestors(join(dir, 'a/b/c')), dirMode: 0o750 }, 'x');
    expect(readFileSync(f, 'utf8')).toBe('x');
    expect(lstatSync(join(dir, 'a/b')).mode & 0o7777).toBe(0o750);
    expect(lstatSync(dir).mode & 0o7777).not.toBe(0o750); // existing ones untouched
  });

  it('validate runs on the temp file (beside the destination) before the rename', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'old\n');
    const seen = join(tmp.dir, `seen${n}`);
    await write({ dest: f, validate: `grep -q good %s && echo %s > ${seen}` }, 'good\n');
    expect(readFileSync(f, 'utf8')).toBe('good\n');
    const tmpPath = readFileSync(seen, 'utf8').trim();
    expect(tmpPath.startsWith(join(dir, '.f.tsplay.'))).toBe(true);
  });

  it('a failed validate leaves the old file untouched, no temp file, no created directories, no backup', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'old\n');
    chmodSync(f, 0o640);
    const e = await failure(write({ dest: f, validate: 'sh -c "echo bad config >&2; exit 3" -- %s', backup: true, mode: 0o600 }, 'bad\n'));
    expect(e.message).toBe('failed to validate: rc:3 error:bad config');
    expect(readFileSync(f, 'utf8')).toBe('old\n');
    expect(lstatSync(f).mode & 0o7777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['f']);

    const g = join(dir, 'x/y/g');
    await failure(write({ dest: g, mkdirs: ancestors(join(dir, 'x/y')), validate: 'false %s' }, 'bad'));
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('any other failure (unknown owner) also leaves nothing behind', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'old');
    const e = await failure(write({ dest: f, owner: 'no-such-user-tsplay' }, 'new'));
    expect(e.message).toMatch(/^failed to write .*invalid user/);
    expect(readFileSync(f, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('backup: a preserved copy named path.PID.YYYY-MM-DD@HH:MM:SS~', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'old');
    chmodSync(f, 0o604);
    const out = await write({ dest: f, backup: true }, 'new');
    expect(out.backupFile).toMatch(new RegExp(`^${f.replace(/[.]/g, '\\.')}\\.\\d+\\.\\d{4}-\\d\\d-\\d\\d@\\d\\d:\\d\\d:\\d\\d~$`));
    expect(readFileSync(out.backupFile!, 'utf8')).toBe('old');
    expect(lstatSync(out.backupFile!).mode & 0o7777).toBe(0o604);
    expect(readFileSync(f, 'utf8')).toBe('new');
  });

  it('a symlink at dest is replaced by the file (its target is not touched)', async () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'target');
    symlinkSync(target, join(dir, 'l'));
    await write({ dest: join(dir, 'l'), keepAttrs: false }, 'new');
    expect(lstatSync(join(dir, 'l')).isFile()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('target');
  });

  it('copies a file already on the host (remote_src)', async () => {
    writeFileSync(join(dir, 'src'), 'from src');
    await write({ dest: join(dir, 'dst'), fromRemote: join(dir, 'src') }, '');
    expect(readFileSync(join(dir, 'dst'), 'utf8')).toBe('from src');
  });

  it('validate: %s and %% like Python, and %s is required', () => {
    expect(substituteValidate('visudo -cf %s', '"$_t"')).toBe('visudo -cf "$_t"');
    expect(substituteValidate("printf '100%%' && cat %s", 'T')).toBe("printf '100%' && cat T");
    expect(() => substituteValidate('visudo -c', 'T')).toThrow(/validate must contain %s/);
  });

  it('a dangling symlink is not followed either', async () => {
    symlinkSync('missing-target', join(dir, 'dl'));
    await write({ dest: join(dir, 'dl'), keepAttrs: false }, 'x');
    expect(lstatSync(join(dir, 'dl')).isFile()).toBe(true);
    expect(existsSync(join(dir, 'missing-target'))).toBe(false);
    expect(() => readlinkSync(join(dir, 'dl'))).toThrow();
  });
});
