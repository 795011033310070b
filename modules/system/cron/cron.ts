/**
 * cron (ansible.builtin.cron): a job (after a `#Ansible: <name>` marker line) or an environment variable in
 * a user's crontab (crontab -l / crontab -) or in a file under /etc/cron.d, as ansible-core writes them.
 */
import { ArgsError, ModuleError, Type, change, defineModule, ok, type FileDiff } from '../../../src/contract/index.js';
import { runSteps, type FileStep } from '../../../lib/files/index.js';
import { shq } from '../../../lib/shell/quote.js';
import { CronFail, cronEdit } from './cron-edit.js';

const Str = (def: string, description: string) => Type.String({ default: def, description });

const Args = Type.Object(
  {
    name: Type.String({ description: 'the job: its `#Ansible: <name>` marker (with env: the variable name)' }),
    user: Type.Optional(Type.String({ description: "whose crontab (default: the task's user); required with cron_file (the job's user column)" })),
    job: Type.Optional(Type.String({ description: 'the command (with env: the value); required with state=present' })),
    cron_file: Type.Optional(Type.String({ description: 'a file under /etc/cron.d (a bare name) or an absolute path, instead of a user crontab' })),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'present or absent' }),
    backup: Type.Boolean({ default: false, description: 'keep a copy of the crontab before the change (backup_file)' }),
    minute: Str('*', 'minute (0-59, *, */2...)'),
    hour: Str('*', 'hour (0-23, *, */2...)'),
    day: Str('*', 'day of the month (1-31, *, */2...)'),
    month: Str('*', 'month (1-12, *, */2...)'),
    weekday: Str('*', 'day of the week (0-6 for Sunday-Saturday, *...)'),
    special_time: Type.Optional(
      Type.Union(
        ['reboot', 'yearly', 'annually', 'monthly', 'weekly', 'daily', 'hourly'].map((s) => Type.Literal(s)),
        {
          description: '@reboot, @daily... instead of the time fields',
        },
      ),
    ),
    disabled: Type.Boolean({ default: false, description: 'the job line is commented out' }),
    env: Type.Boolean({ default: false, description: 'manage an environment variable NAME="job" instead of a job' }),
    insertafter: Type.Optional(Type.String({ description: 'with env: put a new variable after this one' })),
    insertbefore: Type.Optional(Type.String({ description: 'with env: put a new variable before this one' })),
  },
  { additionalProperties: false },
);

interface Plan {
  steps: FileStep[];
  result: Record<string, unknown>;
  backup?: string;
}

const marker = '__TSPLAY_CRON__';

export const cron = defineModule<typeof Args, Plan>({
  name: 'cron',
  aliases: ['ansible.builtin.cron', 'ansible.legacy.cron'],
  description: "Manage cron jobs and variables (a user's crontab or /etc/cron.d files) with Ansible's marker lines",
  examples: `- name: clean the scratch directories every night
  ansible.builtin.cron:
    name: clean scratch
    minute: '15'
    hour: '3'
    job: find /scratch -mindepth 1 -mtime +14 -delete
    user: root
    cron_file: scratch-clean
- name: the jobs' MAILTO
  ansible.builtin.cron:
    name: MAILTO
    env: true
    job: hpc-admins@example.org
`,
  returns: {
    jobs: 'the job names (markers) now in the crontab',
    envs: 'the variable names now in the crontab',
    cron_file: 'the cron_file given',
    backup_file: 'with backup: the copy of the crontab before the change',
  },
  args: Args,
  argAliases: { value: 'job', dom: 'day', dow: 'weekday' },
  rules: { mutuallyExclusive: [['insertafter', 'insertbefore']] },
  validate(a) {
    if (a.cron_file === '/etc/crontab') throw new ArgsError('Will not manage /etc/crontab via cron_file, see documentation.', '/cron_file');
    if (a.special_time && [a.minute, a.hour, a.day, a.month, a.weekday].some((x) => x !== '*')) {
      throw new ArgsError('You must specify time and date fields or special time.', '/special_time');
    }
    if (a.state === 'present') {
      if (a.cron_file && !a.user) throw new ArgsError('To use cron_file=... parameter you must specify user=... as well', '/user');
      if (a.job === undefined) throw new ArgsError("You must specify 'job' to install a new cron job or variable", '/job');
      if ((a.insertafter || a.insertbefore) && !a.env) throw new ArgsError('Insertafter and insertbefore parameters are valid only with env=yes', '/env');
    }
  },
  async check(ctx, a) {
    const file = a.cron_file === undefined ? undefined : a.cron_file.startsWith('/') ? a.cron_file : `/etc/cron.d/${a.cron_file}`;
    if (file) {
      const base = file.slice(file.lastIndexOf('/') + 1);
      if (!/^[A-Z0-9_-]+$/i.test(base)) {
        ctx.warn(`Filename portion of cron_file ("${base}") should consist solely of upper- and lower-case letters, digits, underscores, and hyphens`);
      }
    }
    const u = a.user !== undefined ? ` -u ${shq(a.user)}` : '';
    const r = file
      ? await ctx.probe(`if [ -f ${shq(file)} ]; then echo ${marker}yes $(stat -c %a ${shq(file)}); cat ${shq(file)}; else echo ${marker}no; fi`)
      : await ctx.probe(
          `command -v crontab >/dev/null 2>&1 || { echo 'Failed to find required executable "crontab"' >&2; exit 127; }\necho ${marker}yes; crontab${u} -l 2>/dev/null; rc=$?; [ $rc -le 1 ] || exit 3`,
        );
    if (r.rc === 127) throw new ModuleError(r.stderr.trim());
    if (r.rc !== 0) throw new ModuleError('Unable to read crontab');
    const nl = r.stdout.indexOf('\n');
    const [flag, modeText] = r.stdout.slice(0, nl).split(' ');
    const exists = flag === `${marker}yes`;
    // Ansible rewrites an existing file in place (its mode stays); a new one is 0644 (umask 022)
    const mode = modeText ? parseInt(modeText, 8) : 0o644;
    const raw = r.stdout.slice(nl + 1);
    let out;
    try {
      out = cronEdit(raw, a, exists);
    } catch (e) {
      if (e instanceof CronFail) throw new ModuleError(e.message);
      throw e;
    }
    for (const w of out.warnings) ctx.warn(w);
    const header = file ?? (a.user ? `crontab for user "${a.user}"` : 'crontab');
    if (out.removeFile) {
      if (!out.changed) return ok({ cron_file: a.cron_file, state: a.state });
      const diff: FileDiff[] = ctx.diffMode ? [{ before: raw, after: '', beforeHeader: file, afterHeader: '/dev/null' }] : [];
      return change(
        `remove ${file}`,
        { steps: [{ kind: 'run', what: `removing ${file}`, command: `rm -f ${shq(file!)}` }], result: { cron_file: a.cron_file, state: a.state } },
        { diff },
      );
    }
    const result: Record<string, unknown> = { jobs: out.jobs, envs: out.envs, ...(a.cron_file !== undefined ? { cron_file: a.cron_file } : {}) };
    if (!out.changed) return ok(result);
    const data = Buffer.from(out.render, 'utf8');
    const steps: FileStep[] = file
      ? [{ kind: 'write', data, spec: { dest: file, keepAttrs: exists, mode } }]
      : [{ kind: 'run', what: `installing the ${header}`, command: `crontab${u} -`, stdin: data }];
    const diff: FileDiff[] = ctx.diffMode ? [{ before: raw, after: out.render, beforeHeader: header, afterHeader: header }] : [];
    return change(`update the ${header}`, { steps, result, backup: a.backup ? raw : undefined }, { diff, result });
  },
  async apply(ctx, _a, plan) {
    let backupFile: string | undefined;
    if (plan.backup !== undefined) {
      const b = await ctx.runOk(`umask 077; f=$(mktemp /tmp/crontabXXXXXXXX) && cat > "$f" && printf '%s\\n' "$f"`, { stdin: plan.backup });
      backupFile = b.stdout.trim();
    }
    await runSteps(ctx, plan.steps);
    return { ...plan.result, ...(backupFile ? { backup_file: backupFile } : {}) };
  },
});
