/**
 * Read-ahead (src/facts/read-ahead.ts) with the real file-state fact on a local shell and a temp directory:
 * a second "run" asks everything the first asked in one command, answers exactly what reading one by one
 * answers, sees changes made between runs, reads again after a task changes the host, and never remembers a
 * read of a secret.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactCache } from '../../src/facts/cache.js';
import { enableReadAhead, saveReadAhead } from '../../src/facts/read-ahead.js';
import { clearSecrets, registerSecret } from '../../src/output/mask.js';
import { fileStateFact, type FileQuery } from '../../lib/files/index.js';
import type { Connection, RunOptions } from '../../src/connection/types.js';
import type { LocalConnection } from '../../src/connection/local.js';
import { localConnection, tempDir } from '../harness/files.js';

let local: LocalConnection;
let tmp: { dir: string; cleanup(): void };
let commands = 0;
let conn: Connection;

beforeAll(() => {
  local = localConnection();
  tmp = tempDir('tsplay-read-ahead-');
  mkdirSync(join(tmp.dir, 'rt'), { mode: 0o700 });
  mkdirSync(join(tmp.dir, 'd'));
  writeFileSync(join(tmp.dir, 'd/a'), 'a\n');
  writeFileSync(join(tmp.dir, 'd/b'), 'b\n');
  symlinkSync('a', join(tmp.dir, 'd/l'));
  conn = {
    target: local.target,
    connect: () => local.connect(),
    close: () => local.close(),
    run: (c: string, o?: RunOptions) => {
      commands++;
      return local.run(c, o);
    },
  };
});
afterAll(async () => {
  await local.close();
  tmp.cleanup();
});

const p = (n: string) => join(tmp.dir, 'd', n);
const queries = (): FileQuery[] => [
  { items: [{ path: p('.') }] },
  { items: [{ path: p('a'), checksum: 'sha1' }] },
  { items: [{ path: p('l'), follow: true }, { path: p('a') }] },
  { items: [{ path: p('b'), checksum: 'sha1' }] },
  { items: [{ path: p('missing') }], epochs: ['2024-01-02 03:04:05'] },
  { items: [{ path: p('b'), content: 'all' }] },
];

/** One "run": a fresh host cache, every query in turn; the answers and how many commands they took. */
async function oneRun(qs: FileQuery[], between?: (i: number, cache: FactCache) => void): Promise<{ answers: unknown[]; commands: number }> {
  enableReadAhead(join(tmp.dir, 'rt'), ['playbook.yml', 'inventory.yml']);
  const cache = new FactCache('node1');
  const before = commands;
  const answers: unknown[] = [];
  for (const [i, q] of qs.entries()) {
    between?.(i, cache);
    answers.push(await cache.get(conn, fileStateFact, q, false, 'root'));
  }
  saveReadAhead();
  return { answers, commands: commands - before };
}

/**
 * Merged reads share one `id` (the running user), so an answer may carry `user` where its read alone would
 * not have asked for it: the same value, one field more. Compared without it where the direct read has none,
 * and without atime, which a checksum read itself moves (relatime) between the runs compared.
 */
const noAtime = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'atime' ? undefined : v)));
const sameAs = (ahead: unknown[], one: unknown[]) =>
  noAtime(ahead.map((a, i) => ((one[i] as { user?: unknown }).user === undefined ? { ...(a as object), user: undefined } : a)));
const plain = (x: unknown[]) => noAtime(x);

/** What reading one by one answers (no read-ahead: a cache without a host). */
async function direct(qs: FileQuery[]): Promise<unknown[]> {
  const cache = new FactCache();
  const out: unknown[] = [];
  for (const q of qs) out.push(await cache.get(conn, fileStateFact, q, false, 'root'));
  return out;
}

describe('read-ahead', () => {
  it('the next run asks all remembered reads at once, with the same answers as one by one', async () => {
    const first = await oneRun(queries());
    expect(first.commands).toBe(6);
    const second = await oneRun(queries());
    // one command for all six (the content included)
    expect(second.commands).toBe(1);
    const one = await direct(queries());
    expect(sameAs(second.answers, one)).toEqual(plain(one));
    expect(sameAs(second.answers, first.answers)).toEqual(plain(first.answers));
  });

  it('a change made between runs is seen', async () => {
    writeFileSync(join(tmp.dir, 'd/b'), 'changed\n');
    const r = await oneRun(queries());
    const b = r.answers[3] as { files: { checksum?: string; stat?: { size: number } }[] };
    expect(b.files[0]!.stat!.size).toBe(8);
    const one = await direct(queries());
    expect(sameAs(r.answers, one)).toEqual(plain(one));
  });

  it('after a task changed the host (the cache dropped), what is asked next is read again, not served from before', async () => {
    const r = await oneRun(queries(), (i, cache) => {
      if (i === 3) {
        writeFileSync(join(tmp.dir, 'd/b'), 'after the change\n');
        cache.invalidate();
      }
    });
    const b = r.answers[3] as { files: { stat?: { size: number } }[] };
    expect(b.files[0]!.stat!.size).toBe('after the change\n'.length);
  });

  it('a change on one host drops what every host read before it; after a change nothing more is read ahead', async () => {
    await oneRun(queries());
    enableReadAhead(join(tmp.dir, 'rt'), ['playbook.yml', 'inventory.yml']);
    const a = new FactCache('node1');
    const b = new FactCache('node2');
    const q = queries();
    await b.get(conn, fileStateFact, q[1]!, false, 'root');
    let before = commands;
    await b.get(conn, fileStateFact, q[1]!, false, 'root');
    expect(commands - before).toBe(0); // cached
    writeFileSync(join(tmp.dir, 'd/a'), 'changed by a task on node2\n');
    a.invalidate(); // (a task on node1 changed a file node2 sees too: a shared file system, a delegated push)
    before = commands;
    const again = (await b.get(conn, fileStateFact, q[1]!, false, 'root')) as { files: { checksum?: string }[] };
    expect(commands - before).toBe(1);
    expect(again.files[0]!.checksum).toBe(createHash('sha1').update('changed by a task on node2\n').digest('hex'));
    // node1 remembered six reads; after the change each is read when asked, alone
    before = commands;
    for (const x of q) await a.get(conn, fileStateFact, x, false, 'root');
    expect(commands - before).toBe(q.length);
    saveReadAhead();
  });

  it('a read of a registered secret is not remembered', async () => {
    const secretPath = p('s3cr3t-path-value');
    registerSecret('s3cr3t-path-value');
    try {
      await oneRun([{ items: [{ path: secretPath }] }]);
      const file = join(
        tmp.dir,
        'rt',
        readdirSync(join(tmp.dir, 'rt')).find((f) => f.startsWith('read-ahead-'))!,
      );
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const saved = readFileSync(file, 'utf8');
      expect(saved).not.toContain('s3cr3t');
      expect(saved).toContain(JSON.stringify(p('a')).slice(1, -1));
    } finally {
      clearSecrets();
    }
  });
});
