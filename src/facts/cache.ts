import type { Connection } from '../connection/types.js';
import type { FactDef } from '../contract/fact.js';

/** Per-host fact cache: one read per (fact, args, user) per run, dropped when the host changes. */
export class FactCache {
  private readonly values = new Map<string, Promise<unknown>>();

  async get<A, T>(conn: Connection, fact: FactDef<A, T>, args: A, become: boolean, becomeUser: string): Promise<T> {
    const asRoot = fact.become ?? become;
    const key = `${fact.name}\0${JSON.stringify(args ?? null)}\0${asRoot ? becomeUser : ''}`;
    let p = this.values.get(key) as Promise<T> | undefined;
    if (!p) {
      p = conn.run(fact.command(args), { become: asRoot, becomeUser }).then((r) => fact.parse(r, args));
      this.values.set(key, p);
      p.catch(() => this.values.delete(key));
    }
    return p;
  }

  invalidate(): void {
    this.values.clear();
  }
}
