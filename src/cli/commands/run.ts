/**
 * tsplay run PLAYBOOK -i INVENTORY [options] — ansible-playbook's flags and exit codes:
 * 0 ok, 1 error, 2 a host failed, 4 a host was unreachable, 5 bad options.
 */
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { TsplayError } from '../../errors.js';
import { ModuleRegistry } from '../../contract/registry.js';
import { builtinModules } from '../../../modules/index.js';
import { loadPlaybook } from '../../config/playbook.js';
import { loadInventory } from '../../config/inventory/index.js';
import { ConnectionPool, targetFromVars, type CliConnectionOptions } from '../../connection/index.js';
import { runtimeDir, type PersistOptions } from '../../connection/persist-key.js';
import { enableReadAhead, saveReadAhead } from '../../facts/read-ahead.js';
import type { PlayIR, Playbook, Vars } from '../../config/playbook-types.js';
import { Runner } from '../../engine/runner.js';
import type { RunContext } from '../../engine/context.js';
import { onTemplateWarning, renderValue } from '../../engine/templating/index.js';
import { JsonRenderer, PlainRenderer, COLOR, NOCOLOR } from '../../output/plain.js';
import type { EventSink } from '../../engine/events.js';
import { onSecretWarning, registerSecret } from '../../output/mask.js';
import { AutoRenderer } from '../../output/compact.js';
import { askSecret } from '../prompt.js';
import { parseExtraVars } from '../extra-vars.js';
import { setupVaultFromCli, VAULT_CLI_OPTIONS } from '../vault-setup.js';
import { listPlaybooks } from '../../output/listing.js';
import { checkUndefinedVariables } from '../../config/static-vars.js';
import { factCacheSettings, FactCacheStore } from '../../engine/fact-cache.js';

let lines: AsyncIterator<string> | undefined;
/** One answer line from the terminal (stdin); used by --step and vars_prompt. */
async function askLine(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  lines ??= createInterface({ input: process.stdin, terminal: false })[Symbol.asyncIterator]();
  const r = await lines.next();
  return r.done ? '' : r.value;
}

/** Default forks: tsplay drives every host from one event loop over persistent connections, so
 *  parallelism costs sockets, not processes; 50 keeps SSH handshakes (the CPU-heavy part) bounded. */
export const DEFAULT_FORKS = 50;

export const CONN_KEYS = [
  'ansible_host',
  'ansible_port',
  'ansible_user',
  'ansible_password',
  'ansible_ssh_private_key_file',
  'ansible_become_password',
  'ansible_connection',
  'ansible_ssh_common_args',
  'ansible_ssh_extra_args',
  'ansible_ssh_timeout',
  'ansible_host_key_checking',
  'ansible_ssh_host',
  'ansible_ssh_port',
  'ansible_ssh_user',
  'ansible_ssh_pass',
  'ansible_become_pass',
  'ansible_sudo_pass',
  'ansible_become_method',
];

export const RUN_USAGE = `usage: tsplay run PLAYBOOK... -i INVENTORY [options]

  -i, --inventory INV      inventory file, directory or host list (repeatable)
  -l, --limit PATTERN      further limit selected hosts
  -C, --check              don't make any changes; report what would change
  -D, --diff               show the differences in files
  -e, --extra-vars VARS    k=v, @file.yml or a YAML/JSON mapping (repeatable)
  -f, --forks N            hosts in parallel (default ${DEFAULT_FORKS})
  -t, --tags TAGS          only run tasks with these tags
      --skip-tags TAGS     skip tasks with these tags
  -K, --ask-become-pass    ask for the sudo password (once)
  -b, --become             run operations with become
      --become-user USER   (default root)
  -u, --user USER          connect as this user
  -c, --connection ssh|local   for hosts whose variables do not set ansible_connection
      --private-key FILE   ssh private key
      --host-key-checking strict|accept-new|no   (default strict, against ~/.ssh/known_hosts)
  -T, --timeout SEC        connection timeout
      --persist SEC        keep the SSH connections (and sudo shells) for the next run, SEC idle (default 60, or $TSPLAY_PERSIST; 0: off)
      --no-persist         connect directly, keep nothing
      --no-persist-become  with --persist: keep only the SSH connections, not the sudo shells
      --vault-password-file FILE   (or env TSPLAY_VAULT_PASSWORD_FILE)
  -J, --ask-vault-pass     ask for the vault password
      --syntax-check       check the playbook, don't run it
      --list-hosts | --list-tasks | --list-tags
      --start-at-task NAME  start at the first task of that name (or glob)
      --step               confirm each task before running it
      --force-handlers     run notified handlers even on hosts that failed
      --flush-cache        clear the fact cache (fact_caching jsonfile) for every host in the inventory
  -v, -vv, -vvv            more output (-vvv: stack traces)
      --json               one JSON event per line
      --compact            on a terminal: one counting line per task (default above 20 hosts)
      --per-host           on a terminal: a line per host for every task (default up to 20 hosts)
`;

export async function runCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        inventory: { type: 'string', short: 'i', multiple: true },
        limit: { type: 'string', short: 'l', multiple: true },
        check: { type: 'boolean', short: 'C' },
        diff: { type: 'boolean', short: 'D' },
        'extra-vars': { type: 'string', short: 'e', multiple: true },
        forks: { type: 'string', short: 'f' },
        tags: { type: 'string', short: 't', multiple: true },
        'skip-tags': { type: 'string', multiple: true },
        'ask-become-pass': { type: 'boolean', short: 'K' },
        become: { type: 'boolean', short: 'b' },
        'become-user': { type: 'string' },
        user: { type: 'string', short: 'u' },
        connection: { type: 'string', short: 'c' },
        'private-key': { type: 'string' },
        'key-file': { type: 'string' },
        'host-key-checking': { type: 'string' },
        timeout: { type: 'string', short: 'T' },
        persist: { type: 'string' },
        'no-persist': { type: 'boolean' },
        'no-persist-become': { type: 'boolean' },
        ...VAULT_CLI_OPTIONS,
        'syntax-check': { type: 'boolean' },
        'list-hosts': { type: 'boolean' },
        'list-tasks': { type: 'boolean' },
        'list-tags': { type: 'boolean' },
        'start-at-task': { type: 'string' },
        step: { type: 'boolean' },
        'force-handlers': { type: 'boolean' },
        'flush-cache': { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v', multiple: true },
        json: { type: 'boolean' },
        compact: { type: 'boolean' },
        'per-host': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`tsplay run: ${(e as Error).message}\n${RUN_USAGE}`);
    return 5;
  }
  const o = parsed.values;
  if (o.help) {
    process.stdout.write(RUN_USAGE);
    return 0;
  }
  const verbosity = o.verbose?.length ?? 0;
  if (!parsed.positionals.length) {
    process.stderr.write(`tsplay run: no playbook given\n${RUN_USAGE}`);
    return 5;
  }
  const forks = o.forks !== undefined ? Number(o.forks) : DEFAULT_FORKS;
  if (!Number.isInteger(forks) || forks < 1) {
    process.stderr.write(`tsplay run: --forks must be a positive integer\n`);
    return 5;
  }
  const hkc = o['host-key-checking'];
  if (hkc !== undefined && !['strict', 'yes', 'accept-new', 'no'].includes(hkc)) {
    process.stderr.write(`tsplay run: --host-key-checking must be strict, accept-new or no\n`);
    return 5;
  }
  const splitList = (xs: string[] | undefined) =>
    (xs ?? [])
      .flatMap((x) => x.split(','))
      .map((x) => x.trim())
      .filter(Boolean);

  // connections kept for the next run, as OpenSSH's ControlPersist serves Ansible: --persist SEC, else
  // $TSPLAY_PERSIST (seconds, 0: off), else 60 s idle; --no-persist connects directly
  let persist: PersistOptions | undefined;
  const persistSrc =
    o.persist !== undefined
      ? { v: o.persist, what: '--persist' }
      : process.env['TSPLAY_PERSIST']
        ? { v: process.env['TSPLAY_PERSIST'], what: 'TSPLAY_PERSIST' }
        : { v: '60', what: '' };
  if (!o['no-persist']) {
    const secs = Number(persistSrc.v);
    if (!Number.isFinite(secs) || secs < 0) {
      process.stderr.write(`tsplay run: ${persistSrc.what} must be a number of seconds\n`);
      return 5;
    }
    if (secs > 0) {
      persist = {
        idleMs: secs * 1000,
        noBecome: o['no-persist-become'] ?? false,
        note: verbosity >= 1 ? (m) => process.stderr.write(`${m}\n`) : undefined,
      };
    }
  }
  const pool = new ConnectionPool(persist);
  const localPool = new ConnectionPool();
  // output into a closed pipe (tsplay run ... | head) ends the run quietly
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  try {
    for (const p of parsed.positionals) if (!existsSync(p)) throw new TsplayError('options', `the playbook: ${p} could not be found`);
    const vault = await setupVaultFromCli(o);
    const extraVars = parseExtraVars(o['extra-vars'] ?? []);
    const registry = new ModuleRegistry(builtinModules);
    const playbookDir = dirname(resolve(parsed.positionals[0]!));
    const syntaxErrors: TsplayError[] = [];
    const books: Playbook[] = parsed.positionals.map((p) =>
      loadPlaybook(p, { registry, playbookDir: dirname(resolve(p)), errors: o['syntax-check'] ? syntaxErrors : undefined }),
    );
    if (o['syntax-check']) {
      // undefined variables: only with an inventory (its variables must be known)
      const invGiven = o.inventory?.length ? o.inventory : process.env.ANSIBLE_INVENTORY ? [process.env.ANSIBLE_INVENTORY] : undefined;
      if (invGiven) {
        try {
          const inv = await loadInventory(invGiven, { playbookDir, decryptFile: vault.decryptFile });
          // the names the play's hosts and the extra vars define (a play matching no host is not checked)
          const known = (play: PlayIR) => {
            let hosts: string[];
            try {
              const pat = play.hosts;
              hosts =
                typeof pat === 'string' && /\{\{|\{%/.test(pat)
                  ? inv.hostNames()
                  : inv.select(Array.isArray(pat) ? pat.map(String) : String(pat), { limit: o.limit }).hosts;
            } catch {
              hosts = inv.hostNames();
            }
            if (!hosts.length) return undefined;
            const names = new Set(Object.keys(extraVars));
            for (const h of hosts) for (const k of Object.keys(inv.hostVars(h))) names.add(k);
            return names;
          };
          for (const pb of books) checkUndefinedVariables(pb.plays, known, { registry, playbookDir: dirname(pb.file), errors: syntaxErrors });
        } catch (e) {
          if (!(e instanceof TsplayError)) throw e;
          syntaxErrors.push(e);
        }
      }
      for (const e of syntaxErrors) process.stderr.write(`ERROR! ${e.format()}\n`);
      if (syntaxErrors.length) {
        process.stderr.write(`${syntaxErrors.length} error${syntaxErrors.length > 1 ? 's' : ''} found\n`);
        return 4;
      }
      for (const p of parsed.positionals) process.stdout.write(`\nplaybook: ${p}\n`);
      if (!invGiven) process.stderr.write('(variables not checked for being defined: no inventory given with -i)\n');
      return 0;
    }
    const invSources = o.inventory?.length ? o.inventory : process.env.ANSIBLE_INVENTORY ? [process.env.ANSIBLE_INVENTORY] : ['/etc/ansible/hosts'];
    // with connections kept, the reads of this run are asked at once, per host, by the next run of the same
    // playbooks, inventory and options (extra vars, limit, tags...: src/facts/read-ahead.ts)
    const rtDir = persist ? runtimeDir() : null;
    if (rtDir) {
      const keyed = argv.filter((a, i) => !/^--(no-)?persist/.test(a) && !(argv[i - 1] === '--persist' && !a.startsWith('-')) && !/^-v+$/.test(a));
      enableReadAhead(rtDir, [...parsed.positionals.map((p) => resolve(p)), ...invSources.map((i) => (existsSync(i) ? resolve(i) : i)), '\0', ...keyed]);
    }
    const inventory = await loadInventory(
      invSources.filter((s) => (s === '/etc/ansible/hosts' ? existsSync(s) : true)),
      { playbookDir, decryptFile: vault.decryptFile },
    );
    const limit = o.limit?.length ? o.limit : undefined;

    if (o['list-hosts'] || o['list-tasks'] || o['list-tags']) {
      listPlaybooks(
        books.map((pb, i) => ({ name: parsed.positionals[i]!, pb })),
        inventory,
        {
          hosts: !!o['list-hosts'],
          tasks: !!o['list-tasks'],
          tags: !!o['list-tags'],
          onlyTags: splitList(o.tags),
          skipTags: splitList(o['skip-tags']),
          limit,
          extraVars,
        },
        (l) => process.stdout.write(l + '\n'),
      );
      return 0;
    }

    let becomePassword: string | undefined;
    if (o['ask-become-pass']) {
      becomePassword = await askSecret('BECOME password: ');
      registerSecret(becomePassword);
    }
    const cli: CliConnectionOptions = {
      user: o.user,
      connection: o.connection,
      privateKeyFile: o['private-key'] ?? o['key-file'],
      hostKeyChecking: hkc === undefined ? undefined : hkc === 'yes' ? 'strict' : (hkc as CliConnectionOptions['hostKeyChecking']),
      becomePassword,
      timeoutSec: o.timeout !== undefined ? Number(o.timeout) : undefined,
    };
    const tty = process.stdout.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
    const renderer: EventSink = o.json
      ? new JsonRenderer(verbosity)
      : tty && verbosity < 2
        ? new AutoRenderer(verbosity, !!o.diff, o.compact ? 'compact' : o['per-host'] ? 'per-host' : 'auto')
        : new PlainRenderer(verbosity, !!o.diff, undefined, tty ? COLOR : NOCOLOR, (l) => process.stderr.write(l + '\n'));
    for (const w of inventory.warnings) renderer.emit({ type: 'warning', message: w });
    onSecretWarning((message) => renderer.emit({ type: 'warning', message }));
    onTemplateWarning((message) => renderer.emit({ type: 'warning', message }));

    // the fact cache across runs (ANSIBLE_CACHE_PLUGIN* / ansible.cfg fact_caching*); --flush-cache empties it for the inventory's hosts
    const factCache = FactCacheStore.open(factCacheSettings());
    if (o['flush-cache']) for (const h of inventory.hostNames()) factCache.flush(h);
    const hostVarsOf = (name: string): Vars =>
      inventory.hasHost(name) || inventory.isImplicitLocalhost(name) ? inventory.hostVars(name) : { ansible_connection: 'local', inventory_hostname: name };
    const runCtx: RunContext = {
      registry,
      events: renderer,
      opts: {
        check: !!o.check,
        diff: !!o.diff,
        forks,
        verbosity,
        tags: splitList(o.tags),
        skipTags: splitList(o['skip-tags']),
        forceHandlers: !!o['force-handlers'] || envBool('ANSIBLE_FORCE_HANDLERS'),
        errorOnMissingHandler: envBool('ANSIBLE_ERROR_ON_MISSING_HANDLER', true),
        startAtTask: o['start-at-task'],
        step: !!o.step,
        extraVars: o.become ? { ansible_become: true, ...(o['become-user'] ? { ansible_become_user: o['become-user'] } : {}), ...extraVars } : extraVars,
      },
      hosts: new Map(),
      factCache,
      hostVarsOf,
      load: { registry, playbookDir },
      waitingForStart: o['start-at-task'],
      askStep: async (task) => {
        const a = (await askLine(`Perform task: TASK: ${task} (N)o/(y)es/(c)ontinue: `)).trim().toLowerCase();
        return a === 'y' || a === 'yes' ? 'yes' : a === 'c' || a === 'continue' ? 'continue' : 'no';
      },
      prompt: (text, secret) => (secret ? askSecret(text) : askLine(text)),
      connect: async (host, vars) => {
        const cv: Vars = {};
        for (const k of CONN_KEYS) if (vars[k] !== undefined) cv[k] = vars[k];
        const rendered = renderValue(cv, vars) as Vars;
        for (const k of ['ansible_password', 'ansible_become_password', 'ansible_ssh_pass', 'ansible_become_pass', 'ansible_sudo_pass'])
          registerSecret(rendered[k]);
        const target = targetFromVars(host, rendered, cli);
        // a host reached both ways in one run (connection: local on one play) keeps one connection of each kind
        return (target.connection === 'local' ? localPool : pool).get(target);
      },
    };
    let exit = 0;
    for (const pb of books) {
      const runner = new Runner(runCtx, inventory, limit);
      const summary = await runner.run(pb);
      exit = Math.max(exit, summary.exitCode);
      if (exit) break;
    }
    await renderer.end();
    return exit;
  } catch (e) {
    return reportError(e, verbosity);
  } finally {
    saveReadAhead();
    await lines?.return?.();
    await Promise.all([pool.closeAll(), localPool.closeAll()]);
  }
}

export function reportError(e: unknown, verbosity: number): number {
  if (e instanceof TsplayError) {
    process.stderr.write(`ERROR! ${e.format()}\n`);
    if (verbosity >= 3 && e.stack) process.stderr.write(e.stack + '\n');
    // as ansible-playbook: bad options 5, parser errors 4, other errors 1
    return e.code === 'options' ? 5 : ['yaml', 'playbook', 'unknown-module', 'inventory', 'module-args'].includes(e.code) ? 4 : 1;
  }
  process.stderr.write(`ERROR! unexpected error: ${(e as Error)?.message ?? String(e)}\n`);
  if (verbosity >= 3 && (e as Error)?.stack) process.stderr.write((e as Error).stack + '\n');
  else process.stderr.write('(run with -vvv for the stack trace)\n');
  return 1;
}

/** An ansible-core boolean setting from the environment (ANSIBLE_FORCE_HANDLERS=true ...). */
export function envBool(name: string, dflt = false): boolean {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  return ['y', 'yes', 'on', '1', 'true', 't'].includes(v.trim().toLowerCase());
}
