/**
 * Read-ahead of host state: the reads (facts) a run asked of each host are remembered for the next run of the
 * same playbooks and inventory, and that run asks them all at once, in ONE command per host (one stat and one
 * checksum process for every file of the play), at its first read. A warm no-op run then costs one round trip
 * per host instead of one per task.
 *
 * Same answers as reading task by task: the values go into the host's fact cache, and any task that changes
 * (or may have changed: it ran its apply step, or failed) any host, delegated tasks included, or that waited
 * for something outside tsplay (wait_for, pause, each retry of an until loop), makes every read made before it
 * stale on every host (generation.ts): what is asked after that is read again, as it is asked, with no more
 * reading ahead in that run. The reads are made a little earlier: after the tasks before
 * them ran and changed nothing anywhere. A read asked for that was not remembered (the playbook changed) is
 * read as before; a remembered one no longer asked for costs its share of that one command (a stat line; its
 * content, if it read one).
 *
 * Kept whenever connections are kept (the default; not with --no-persist), in the runtime directory next to
 * the connection holder (0600), one file per playbooks + inventory + options: paths and read options, never
 * values or contents. Reads of a value registered as a secret are not remembered.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateFile } from '../connection/persist-key.js';
import { hasSecrets, maskText } from '../output/mask.js';
import { currentGeneration } from './generation.js';

export interface ReadRecord {
  fact: string;
  /** JSON of the fact's arguments */
  args: string;
  /** the user the read runs as ('' = the login user) */
  user: string;
}

/** The identity of a read: the fact cache's key and the remembered list's. */
export function readKey(r: ReadRecord): string {
  return `${r.fact}\0${r.args}\0${r.user}`;
}

/** At most this many reads per host are remembered (and read ahead). */
const MAX_PER_HOST = 2000;

let file: string | undefined;
let startGeneration = -1;
let before = new Map<string, ReadRecord[]>();
const now = new Map<string, Map<string, ReadRecord>>();

/** Turn read-ahead on for this run: remembered in dir, keyed by the playbooks and the inventory sources. */
export function enableReadAhead(dir: string, key: string[]): void {
  file = join(dir, `read-ahead-${createHash('sha256').update(key.join('\0')).digest('hex').slice(0, 20)}.json`);
  before = new Map();
  now.clear();
  startGeneration = currentGeneration();
  if (!privateFile(file, 'file')) return;
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { hosts?: Record<string, ReadRecord[]> };
    for (const [h, list] of Object.entries(data.hosts ?? {})) {
      if (Array.isArray(list))
        before.set(
          h,
          list.filter((r) => typeof r?.fact === 'string' && typeof r.args === 'string' && typeof r.user === 'string'),
        );
    }
  } catch {
    // unreadable or from another version: nothing is read ahead
  }
}

export function readAheadEnabled(): boolean {
  return file !== undefined;
}

/** Read ahead only while nothing changed on any host since this run began (gen: the generation now). */
export function readAheadUnchanged(gen: number): boolean {
  return file !== undefined && gen === startGeneration;
}

/** The reads the last run asked of host, in order. */
export function remembered(host: string): ReadRecord[] {
  return before.get(host) ?? [];
}

/** Note a read this run asks of host. */
export function remember(host: string, r: ReadRecord): void {
  if (!file) return;
  if (hasSecrets() && maskText(r.args) !== r.args) return;
  let m = now.get(host);
  if (!m) now.set(host, (m = new Map()));
  const key = readKey(r);
  if (!m.has(key) && m.size < MAX_PER_HOST) m.set(key, r);
}

/** Write what this run read, for the next one (atomically, 0600). Hosts this run did not touch keep theirs. */
export function saveReadAhead(): void {
  if (!file) return;
  const hosts: Record<string, ReadRecord[]> = Object.fromEntries(before);
  for (const [h, m] of now) hosts[h] = [...m.values()];
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify({ hosts }), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // a full runtime directory costs the next run its read-ahead, nothing else (and leaves no part-written file)
    rmSync(tmp, { force: true });
  }
  file = undefined;
}
