import type { AnyModule } from './define.js';
import { TsplayError } from '../errors.js';

/** Modules by name and alias. The engine never branches on a module's name: everything goes through here. */
export class ModuleRegistry {
  private readonly byName = new Map<string, AnyModule>();

  constructor(modules: readonly AnyModule[]) {
    for (const m of modules) {
      for (const n of [m.name, ...(m.aliases ?? [])]) {
        if (this.byName.has(n)) throw new TsplayError('internal', `module name ${n} registered twice`);
        this.byName.set(n, m);
      }
    }
  }

  get(name: string): AnyModule | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Primary modules (no aliases), sorted. */
  modules(): AnyModule[] {
    return [...new Set(this.byName.values())].sort((a, b) => a.name.localeCompare(b.name));
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The nearest known name (for "unknown module" errors). */
  suggest(name: string): string | undefined {
    const short = name.replace(/^.*\./, '');
    let best: string | undefined;
    let bestD = Infinity;
    for (const n of this.byName.keys()) {
      if (n.includes('.')) continue;
      const d = levenshtein(short, n);
      if (d < bestD) {
        bestD = d;
        best = n;
      }
    }
    return bestD <= Math.max(2, Math.floor(short.length / 3)) ? best : undefined;
  }
}

export function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}
