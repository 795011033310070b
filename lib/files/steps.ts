/**
 * A file module's plan: the host commands apply() runs, in order. check() builds them from facts, so apply()
 * makes no decisions of its own (and check mode simply never runs them).
 */
import type { ModuleContext } from '../../src/contract/index.js';
import { ModuleError } from '../../src/contract/index.js';
import { parseWriteResult, writeScript, type WriteSpec } from './write.js';

export type FileStep =
  /** atomic write of `data` (or of spec.fromRemote) to spec.dest */
  | { kind: 'write'; spec: WriteSpec; data?: Buffer }
  /** a plain command (chown/chmod/mkdir/ln/rm/touch...); `what` names it in errors */
  | { kind: 'run'; command: string; what: string; stdin?: Buffer };

export interface StepsOutcome {
  backupFile?: string;
}

export async function runSteps(ctx: ModuleContext, steps: readonly FileStep[]): Promise<StepsOutcome> {
  const out: StepsOutcome = {};
  for (const s of steps) {
    if (s.kind === 'write') {
      const r = await ctx.run(writeScript(s.spec), { stdin: s.spec.fromRemote === undefined ? (s.data ?? Buffer.alloc(0)) : undefined });
      const w = parseWriteResult(r, s.spec);
      if (w.backupFile) out.backupFile = w.backupFile;
    } else {
      const r = await ctx.run(s.command, s.stdin ? { stdin: s.stdin } : undefined);
      if (r.rc !== 0) {
        const detail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' / ');
        throw new ModuleError(`${s.what} failed${detail ? ': ' + detail : ''}`, { rc: r.rc, stdout: r.stdout, stderr: r.stderr });
      }
    }
  }
  return out;
}

/** Several plain commands as one step (one round trip), stopping at the first failure. */
export function runStep(what: string, commands: string[]): FileStep {
  return { kind: 'run', what, command: commands.map((c) => `${c} || exit 1`).join('\n') };
}
