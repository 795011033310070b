/** tsplay's command line. `main(argv)` returns the exit code; bin/tsplay.js is a one-liner around it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../lab/paths.js';
import { reportError } from './commands/run.js';

const USAGE = `usage: tsplay <command> [options]

commands:
  run PLAYBOOK -i INVENTORY [options]   run a playbook (ansible-playbook's flags)
  inventory -i INV --list|--graph|--host H
  lab up|down|status|inventory|exec|restart|image   disposable test hosts
  vault encrypt|decrypt|view|edit|encrypt-string
  doc [MODULE]                           module reference
  schema playbook|inventory [-o FILE]    JSON Schema for editors (yaml-language-server)
  hostlist expand|fold HOSTLIST...       Slurm hostlists (scontrol show hostnames|hostlist)
  power resume|suspend|fail|status|log HOSTLIST   Slurm's Resume/Suspend/ResumeFailProgram
  persist status|stop                    the connection holder (kept SSH connections, --persist)
  version

Run 'tsplay <command> --help' for a command's options.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'run':
      case 'playbook':
        onInterrupt();
        return await (await import('./commands/run.js')).runCommand(rest);
      case 'inventory':
        return await (await import('./commands/inventory.js')).inventoryCommand(rest);
      case 'lab':
        return await (await import('./commands/lab.js')).labCommand(rest);
      case 'vault':
        return await (await import('./commands/vault.js')).vaultCommand(rest);
      case 'doc':
        return await (await import('./commands/doc.js')).docCommand(rest);
      case 'schema':
        return await (await import('./commands/schema.js')).schemaCommand(rest);
      case 'power':
        return await (await import('./commands/power.js')).powerCommand(rest);
      case 'persist':
        return await (await import('./commands/persist.js')).persistCommand(rest);
      case 'hostlist':
        return (await import('./commands/hostlist.js')).hostlistCommand(rest);
      case 'version':
      case '--version':
        process.stdout.write(`tsplay ${version()}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return cmd === undefined ? 5 : 0;
      default:
        process.stderr.write(`tsplay: unknown command '${cmd}'\n${USAGE}`);
        return 5;
    }
  } catch (e) {
    return reportError(
      e,
      argv.filter((a) => /^-v+$/.test(a)).reduce((n, a) => n + a.length - 1, 0),
    );
  }
}

/**
 * Ctrl-C / TERM during a run: say so as ansible-playbook does and exit 99 at once. Nothing is left half-done on
 * the hosts by leaving abruptly: a command whose input did not all arrive never starts, and each host's shell
 * ends what it was running after a short grace (see connection/shell-protocol.ts).
 */
function onInterrupt(): void {
  const stop = (): void => {
    process.stderr.write('\n[ERROR]: User interrupted execution\n');
    process.exit(99);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
