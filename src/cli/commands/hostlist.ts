/**
 * tsplay hostlist expand|fold: Slurm hostlists without a Slurm installation, printing what
 * `scontrol show hostnames` / `scontrol show hostlist` (`hostlistsorted` with --sorted) print.
 * Exit codes: 0 ok, 5 bad arguments or a hostlist that cannot be read.
 */
import { expand, fold, HostlistError } from '../../../lib/hostlist.js';

export const HOSTLIST_USAGE = `usage: tsplay hostlist expand EXPR...            one name per line (scontrol show hostnames)
       tsplay hostlist fold [--sorted] NAME...   one hostlist (scontrol show hostlist; --sorted: hostlistsorted)

  EXPR and NAME are hostlists such as cloud[001-004,010] or "n1,n2 n3".
`;

export function hostlistCommand(argv: string[]): number {
  const [action, ...rest] = argv;
  if (action === '-h' || action === '--help' || rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(HOSTLIST_USAGE);
    return 0;
  }
  try {
    if (action === 'expand') {
      const names = expand(operands(rest, []));
      process.stdout.write(names.map((n) => n + '\n').join(''));
      return 0;
    }
    if (action === 'fold') {
      const sorted = rest.includes('--sorted');
      process.stdout.write(fold(operands(rest, ['--sorted']), { sorted }) + '\n');
      return 0;
    }
    return fail(action === undefined ? 'expand or fold expected' : `unknown action '${action}' (expand or fold)`);
  } catch (e) {
    if (e instanceof HostlistError || e instanceof UsageError) return fail(e.message);
    throw e;
  }
}

class UsageError extends Error {}

/** The operands, after checking there is one and no unknown option (a name cannot start with '-'). */
function operands(args: string[], flags: string[]): string[] {
  const ops = args.filter((a) => !flags.includes(a));
  const bad = ops.find((a) => a.startsWith('-'));
  if (bad !== undefined) throw new UsageError(`unknown option '${bad}'`);
  if (!ops.length) throw new UsageError('no hostlist given');
  return ops;
}

function fail(message: string): number {
  process.stderr.write(`tsplay: hostlist: ${message}\n`);
  return 5;
}
