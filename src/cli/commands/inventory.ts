/**
 * tsplay inventory — ansible-inventory: show the inventory as tsplay (and Ansible) sees it.
 * Exit codes: 0 ok, 1 error, 5 bad options.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TsplayError } from '../../errors.js';
import { dumpJson, dumpYaml, loadInventory } from '../../config/inventory/index.js';

export const INVENTORY_USAGE = `usage: tsplay inventory -i INVENTORY [-i INVENTORY...] (--list | --graph [GROUP] | --host HOST) [options]

  -i, --inventory INV     inventory file, directory or host list "h1,h2," (repeatable)
      --list              all groups and hosts, with each host's variables (_meta.hostvars)
      --graph [GROUP]     the group tree (from GROUP, default all)
      --host HOST         one host's variables
  -l, --limit PATTERN     only these hosts (--list; pattern or @file)
  -y, --yaml              YAML instead of JSON (--list, --host)
      --playbook-dir DIR  also read DIR/group_vars and DIR/host_vars
      --output FILE       write to FILE instead of stdout
  -h, --help
`;

import { setupVaultFromCli, VAULT_CLI_OPTIONS } from '../vault-setup.js';

export async function inventoryCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        inventory: { type: 'string', short: 'i', multiple: true },
        'inventory-file': { type: 'string', multiple: true },
        list: { type: 'boolean' },
        graph: { type: 'boolean' },
        host: { type: 'string' },
        limit: { type: 'string', short: 'l', multiple: true },
        yaml: { type: 'boolean', short: 'y' },
        'playbook-dir': { type: 'string' },
        output: { type: 'string' },
        verbose: { type: 'boolean', short: 'v', multiple: true },
        help: { type: 'boolean', short: 'h' },
        ...VAULT_CLI_OPTIONS,
      },
    });
  } catch (e) {
    return usageError((e as Error).message);
  }
  const o = parsed.values;
  if (o.help) {
    process.stdout.write(INVENTORY_USAGE);
    return 0;
  }
  const actions = [o.list, o.graph, o.host !== undefined].filter(Boolean).length;
  if (actions === 0) return usageError('No action selected, at least one of --host, --graph or --list needs to be specified.');
  if (actions > 1) return usageError('Conflicting options used, only one of --host, --graph or --list can be used at the same time.');
  if (parsed.positionals.length > 1) return usageError(`unexpected arguments: ${parsed.positionals.slice(1).join(' ')}`);
  if (parsed.positionals.length && !o.graph) return usageError(`a group argument is only valid with --graph: ${parsed.positionals[0]}`);
  const sources = [...(o.inventory ?? []), ...(o['inventory-file'] ?? [])];
  if (!sources.length) return usageError('no inventory given (-i INVENTORY)');

  try {
    const vault = await setupVaultFromCli(o);
    const inv = await loadInventory(sources, { playbookDir: o['playbook-dir'], decryptFile: vault.decryptFile });
    let out: string;
    if (o.host !== undefined) {
      // like ansible-inventory, --host takes a pattern that must name exactly one host (and ignores --limit)
      const { hosts } = inv.select(o.host);
      if (hosts.length !== 1) throw new TsplayError('options', 'You must pass a single valid host to --host parameter');
      const vars = inv.hostJson(hosts[0]!);
      out = o.yaml ? dumpYaml(vars) : dumpJson(vars);
    } else if (o.graph) {
      out = inv.toGraph(parsed.positionals[0] ?? 'all');
    } else {
      const limit = o.limit;
      if (limit) {
        const { unmatched } = inv.select('all', { limit });
        for (const p of unmatched) warn(`Could not match supplied host pattern, ignoring: ${p}`);
      }
      out = o.yaml ? inv.toYaml({ limit }) : dumpJson(inv.toList({ limit }));
    }
    for (const w of inv.warnings) warn(w);
    if (!out.endsWith('\n')) out += '\n';
    if (o.output !== undefined) writeFileSync(o.output, out);
    else process.stdout.write(out);
    return 0;
  } catch (e) {
    if (e instanceof TsplayError) {
      process.stderr.write(`ERROR! ${e.format()}\n`);
      return e.code === 'options' ? 5 : 1;
    }
    process.stderr.write(`ERROR! unexpected error: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}

function usageError(msg: string): number {
  process.stderr.write(`ERROR! ${msg} (see tsplay inventory --help)\n`);
  return 5;
}

function warn(msg: string): void {
  process.stderr.write(`[WARNING]: ${msg}\n`);
}
