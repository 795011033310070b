/**
 * script (Ansible's ansible.builtin.script): a controller file (searched like copy's src: role files/, then the
 * playbook's) is sent over the persistent shell's stdin into a fresh 0700 directory on the host, run there with
 * its arguments (through /bin/sh, or `executable`), and removed with its directory whatever the outcome.
 * creates/removes and check mode as ansible-core 2.14's action plugin.
 */
import { randomBytes } from 'node:crypto';
import { Type, change, defineModule, ok, type ResultData } from '../../../src/contract/index.js';
import { shSplit } from '../../../lib/shell/shlex.js';
import { shq } from '../../../lib/shell/quote.js';
import { guardScript, parseGuard } from '../../../lib/commands/run-command.js';

const Args = Type.Object(
  {
    cmd: Type.Optional(Type.String({ description: 'the script (a controller path, quoted if it has spaces) and its arguments (free form)' })),
    creates: Type.Optional(Type.String({ description: 'a path or glob on the host; when it exists the script is not run' })),
    removes: Type.Optional(Type.String({ description: 'a path or glob on the host; when it does not exist the script is not run' })),
    chdir: Type.Optional(Type.String({ description: 'an absolute directory on the host to run the script in' })),
    executable: Type.Optional(Type.String({ description: 'the interpreter to run it with (default: the script itself, by its #! line)' })),
    decrypt: Type.Boolean({ default: true, description: 'accepted for Ansible compatibility (vault-encrypted scripts are not decrypted by tsplay)' }),
  },
  { additionalProperties: false },
);

interface Plan {
  data: Buffer;
  /** the command line with the script's path replaced by the host's copy (TMPFILE placeholder) */
  name: string;
  command: string;
}

export const MARK = '__tsplay_script_tmp_failed__';

/** Script-safe file name for the host's copy (the controller's base name, when it is plain). */
export function hostName(source: string): string {
  const b = source.split('/').pop() ?? 'script';
  return /^[A-Za-z0-9._-]+$/.test(b) && b !== '.' && b !== '..' ? b : 'script';
}

/**
 * The one script the host runs: a new 0700 directory (mkdir fails if the name exists), the script from stdin
 * into it (0700), the command, then the directory removed; the command's rc is the script's.
 */
export function scriptRun(dir: string, name: string, command: string, executable?: string): string {
  const f = `${dir}/${name}`;
  const line = (executable !== undefined ? `${executable} ` : '') + command;
  return [
    'umask 077',
    `mkdir -m 700 ${shq(dir)} || { echo ${MARK} >&2; exit 1; }`,
    `if ! { cat > ${shq(f)} && chmod 700 ${shq(f)}; }; then rm -rf ${shq(dir)}; echo ${MARK} >&2; exit 1; fi`,
    `/bin/sh -c ${shq(line)}`,
    'rc=$?',
    `rm -rf ${shq(dir)}`,
    'exit $rc',
  ].join('\n');
}

/** Python's str.splitlines() for the result's _lines. */
function lines(s: string): string[] {
  return s === '' ? [] : s.replace(/\r?\n$/, '').split(/\r?\n/);
}

export const script = defineModule<typeof Args, Plan>({
  name: 'script',
  aliases: ['ansible.builtin.script', 'ansible.legacy.script'],
  description: 'Copy a script from the controller to the host, run it there with arguments, and remove it',
  examples: `- name: the site's node health check, with the partition as argument
  ansible.builtin.script: files/node-health.sh cloud
  register: health
  changed_when: false
- name: a one-time migration, not run again once its marker exists
  ansible.builtin.script:
    cmd: migrate-spool.sh /var/spool/slurmd
    creates: /var/spool/slurmd/.migrated
`,
  returns: {
    stdout_lines: 'stdout split into lines',
    stderr_lines: 'stderr split into lines',
  },
  args: Args,
  argAliases: { _raw_params: 'cmd', free_form: 'cmd' },
  freeForm: 'cmd',
  refusesAsync: true,
  async check(ctx, a) {
    const raw = (a.cmd ?? '').trim();
    const parts = shSplit(raw);
    if (parts.length === 0) return ok({ failed: true, msg: 'script: no script given (the script path is the free-form text or cmd)' });
    const guards = guardScript(a);
    if (guards) {
      const g = parseGuard((await ctx.probe(guards)).stdout);
      if (a.creates !== undefined && g.creates) return ok({ skipped: true, msg: `${a.creates} exists, matching creates option` });
      if (a.removes !== undefined && g.removes === false) return ok({ skipped: true, msg: `${a.removes} does not exist, matching removes option` });
    }
    if (a.chdir !== undefined && !a.chdir.startsWith('/')) {
      return ok({ failed: true, msg: `chdir ${a.chdir} must be an absolute path for a Unix-aware remote node` });
    }
    const src = await ctx.readControllerFile(parts[0]!, 'files');
    if (ctx.checkMode && a.creates === undefined && a.removes === undefined) {
      // the script may say it changed nothing: ansible-core skips rather than guess
      return ok({ skipped: true, msg: 'Check mode is not supported for this task.' });
    }
    const name = hostName(src.path);
    return change(`run script ${parts[0]}`, { data: src.data, name, command: raw });
  },
  async apply(ctx, a, plan) {
    const dir = `/tmp/tsplay-script-${randomBytes(8).toString('hex')}`;
    const parts = shSplit(plan.command);
    // as the action plugin: every occurrence of the script's path becomes the host's copy (the arguments keep their quoting)
    const command = plan.command.split(parts[0]!).join(`${dir}/${plan.name}`);
    const r = await ctx.run(scriptRun(dir, plan.name, command, a.executable), { stdin: plan.data, ...(a.chdir !== undefined ? { cwd: a.chdir } : {}) });
    if (r.rc !== 0 && r.stderr.includes(MARK)) {
      return {
        failed: true,
        changed: false,
        rc: r.rc,
        msg: `could not create the script's temporary directory on the host: ${r.stderr.replace(MARK, '').trim()}`,
      };
    }
    const res: ResultData = { changed: true, rc: r.rc, stdout: r.stdout, stdout_lines: lines(r.stdout), stderr: r.stderr, stderr_lines: lines(r.stderr) };
    if (r.rc !== 0) {
      res.failed = true;
      res.msg = 'non-zero return code';
    }
    return res;
  },
});
