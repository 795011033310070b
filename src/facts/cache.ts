import type { Connection } from '../connection/types.js';
import type { FactDef } from '../contract/fact.js';
import { currentGeneration, hostsChanged } from './generation.js';
import { readAheadEnabled, readAheadUnchanged, readKey, remember, remembered, type ReadRecord } from './read-ahead.js';

/** One read, one command. */
function readOne<A, T>(conn: Connection, fact: FactDef<A, T>, args: A, asRoot: boolean, becomeUser: string): Promise<T> {
  return conn.run(fact.command(args), { become: asRoot, becomeUser }).then((r) => fact.parse(r, args));
}

/** Reads merged into one read-ahead command at most. */
const READ_AHEAD_MAX = 500;

/**
 * Per-host fact cache: one read per (fact, args, user) per run, dropped when any host changes (generation.ts).
 * With read-ahead (read-ahead.ts), a miss also reads what the last run asked next of this host, in the same
 * command, as long as nothing changed anywhere in this run.
 */
export class FactCache {
  /** each value with the generation it was read in: one from an older generation is not served */
  private readonly values = new Map<string, { gen: number; p: Promise<unknown> }>();
  /** remembered reads not asked for yet in this run (key → record) */
  private pending?: Map<string, ReadRecord>;

  constructor(private readonly host?: string) {}

  async get<A, T>(conn: Connection, fact: FactDef<A, T>, args: A, become: boolean, becomeUser: string): Promise<T> {
    const asRoot = fact.become ?? become;
    const user = asRoot ? becomeUser : '';
    const read: ReadRecord = { fact: fact.name, args: JSON.stringify(args ?? null), user };
    const key = readKey(read);
    const gen = currentGeneration();
    const remembering = this.host !== undefined && fact.batch !== undefined && readAheadEnabled();
    if (remembering) {
      remember(this.host!, read);
      this.pending ??= new Map(remembered(this.host!).map((r) => [readKey(r), r]));
      this.pending.delete(key);
    }
    const hit = this.values.get(key);
    if (hit && hit.gen === gen) return hit.p as Promise<T>;
    // once something changed, reads are made as they are asked (reading ahead again after every change
    // would read the rest of the play once per changing task)
    const ahead = remembering && readAheadUnchanged(gen);
    const p = ahead ? this.readAhead(conn, fact, args, user, asRoot, becomeUser, gen) : readOne(conn, fact, args, asRoot, becomeUser);
    const entry = { gen, p };
    this.values.set(key, entry);
    p.catch(() => {
      if (this.values.get(key) === entry) this.values.delete(key);
    });
    return p;
  }

  private current(key: string, gen: number): boolean {
    return this.values.get(key)?.gen === gen;
  }

  /** args, and the remembered reads of the same fact and user not in the cache, in one command. */
  private async readAhead<A, T>(conn: Connection, fact: FactDef<A, T>, args: A, user: string, asRoot: boolean, becomeUser: string, gen: number): Promise<T> {
    const single = (): Promise<T> => readOne(conn, fact, args, asRoot, becomeUser);
    const others: A[] = [];
    const keyOf = new Map<A, string>();
    for (const [k, r] of this.pending!) {
      if (others.length >= READ_AHEAD_MAX) break;
      if (r.fact !== fact.name || r.user !== user || this.current(k, gen)) continue;
      try {
        const a = JSON.parse(r.args) as A;
        others.push(a);
        keyOf.set(a, k);
      } catch {
        this.pending!.delete(k);
      }
    }
    if (!others.length) return single();
    const { args: merged, taken } = fact.batch!.merge(args, others);
    if (taken.length < 2) return single();
    let parts: T[];
    try {
      const r = await conn.run(fact.command(merged), { become: asRoot, becomeUser });
      parts = fact.batch!.split(fact.parse(r, merged), taken);
    } catch {
      // one of the remembered reads fails (a path gone unreadable...): ask this one alone, as without read-ahead
      return single();
    }
    let mine: T | undefined;
    taken.forEach((a, i) => {
      const k = keyOf.get(a);
      if (k === undefined) mine = parts[i];
      // (a change made while this read ran makes its answers old: not kept)
      else if (!this.current(k, gen) && currentGeneration() === gen) this.values.set(k, { gen, p: Promise.resolve(parts[i]) });
    });
    return mine as T;
  }

  /** A task changed (or may have changed) this host: no read made so far is served again, on any host. */
  invalidate(): void {
    hostsChanged();
    this.values.clear();
  }
}
