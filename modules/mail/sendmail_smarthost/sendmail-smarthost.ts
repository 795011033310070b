/**
 * sendmail_smarthost: relay all outgoing mail through a smart host (the on-prem mail relay, for cloud nodes).
 *
 * Edits the ``define(`SMART_HOST', `...')dnl`` line of sendmail.mc (replacing an active define, uncommenting
 * a `dnl` one, or inserting it before the MAILER lines), then rebuilds sendmail.cf. check() reads the BUILT
 * sendmail.cf (its `DS` line), so a .mc that was edited but never rebuilt is detected and rebuilt.
 *
 * Rebuild (needs root: /etc/mail/m4 is not world-readable on Debian):
 *   m4   (default) `m4 sendmail.mc` into a temp file in the same directory, checked for the expected DS line,
 *        then renamed over sendmail.cf (owner/mode kept): a failing m4 never leaves a broken sendmail.cf;
 *   make `make -C /etc/mail sendmail.cf` (Debian's Makefile target; also appends the commented .mc), then checked.
 * sendmail itself is not restarted: the task reports changed, so `notify: restart sendmail` works.
 */
import { ModuleError, Type, change, defineFact, defineModule, ok, type ResultData, type Static } from '../../../src/contract/index.js';
import { OneLine } from '../../../lib/args/one-line.js';
import { runSteps, type FileStep } from '../../../lib/files/index.js';
import { shq } from '../../../lib/shell/quote.js';
import { planText, readTextFile } from '../../../lib/files/text-file.js';
import { checkSmartHost, currentSmartHost, dsOf, editMc } from './sendmail-mc.js';
import { keyValues } from '../../../lib/shell/parts.js';

const Args = Type.Object(
  {
    smart_host: Type.Optional(OneLine({ description: 'relay host: mail.cluster.example.com, [10.1.2.3] (no MX lookup), or mailer:host (relay:, esmtp:...)' })),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'absent: remove the define (deliver directly)' }),
    mc: Type.String({ default: '/etc/mail/sendmail.mc', description: 'the m4 source' }),
    cf: Type.String({ default: '/etc/mail/sendmail.cf', description: 'the built configuration sendmail reads' }),
    rebuild: Type.Union([Type.Literal('m4'), Type.Literal('make')], {
      default: 'm4',
      description: "how sendmail.cf is rebuilt: 'm4' (atomic, checked) or 'make' (make -C DIR sendmail.cf)",
    }),
    backup: Type.Boolean({ default: false, description: 'keep a timestamped copy of sendmail.mc before editing it' }),
  },
  { additionalProperties: false },
);
type Args = Static<typeof Args>;

export interface CfState {
  exists: boolean;
  /** permission bits */
  mode: number;
  /** the DS value; null: no DS line */
  ds: string | null;
}

export const cfStateFact = defineFact<string, CfState>({
  name: 'sendmail.cf_ds',
  // key=value lines: mode (when the file exists), ds (its first DS line, when there is one)
  command: (cf) =>
    `if [ -f ${shq(cf)} ]; then _m=$(stat -c '%a' -- ${shq(cf)}) || exit 1; echo "mode=$_m"; _d=$(grep -m1 '^DS' -- ${shq(cf)}) && printf 'ds=%s\\n' "$_d"; fi; :`,
  parse(r, cf) {
    if (r.rc !== 0) throw new ModuleError(`cannot read ${cf}: ${r.stderr.trim()}`, { rc: r.rc, stderr: r.stderr });
    const kv = keyValues(r.stdout);
    const mode = kv.get('mode');
    if (mode === undefined) return { exists: false, mode: 0o644, ds: null };
    const ds = kv.get('ds');
    return { exists: true, mode: parseInt(mode, 8), ds: ds === undefined ? null : dsOf(ds) };
  },
});

export interface SendmailPlan {
  mcSteps: FileStep[];
  /** the DS value sendmail.cf must end up with */
  ds: string;
  cfExists: boolean;
  cfMode: number;
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i > 0 ? p.slice(0, i) : '/';
}

/** m4 → temp file, then copy's atomic write from it (validated: the DS line must be there). */
function m4Steps(a: Args, plan: SendmailPlan): { steps: FileStep[]; tmp: string } {
  const dir = dirOf(a.cf);
  const tmp = `${dir}/.${a.cf.slice(dir.length + 1)}.tsplay-m4`;
  const run: FileStep = {
    kind: 'run',
    what: `m4 ${a.mc} (needs root: become: true)`,
    command: `cd ${shq(dir)} && m4 ${shq(a.mc)} >${shq(tmp)}`,
  };
  const write: FileStep = {
    kind: 'write',
    spec: { dest: a.cf, fromRemote: tmp, keepAttrs: plan.cfExists, mode: plan.cfMode, validate: `grep -qxF -- ${shq(`DS${plan.ds}`)} %s` },
  };
  return { steps: [run, write], tmp };
}

export const sendmailSmarthost = defineModule({
  name: 'sendmail_smarthost',
  description: "Set sendmail's SMART_HOST in sendmail.mc and rebuild sendmail.cf (checked on the built DS line); notify a restart",
  examples: `- name: cloud nodes relay mail through the on-prem smart host (brackets - no MX lookup)
  sendmail_smarthost:
    smart_host: '[10.2.0.25]'
  notify: restart sendmail
`,
  returns: {
    smart_host: 'the smart host now (null for state=absent)',
    mc: 'the m4 source',
    cf: 'the built configuration',
    previous: 'the SMART_HOST sendmail.mc had before (null: none)',
    ds_before: 'the DS line of sendmail.cf before (null: none)',
    rebuilt: "after a change: how sendmail.cf was rebuilt ('m4' or 'make')",
  },
  args: Args,
  rules: { requiredIf: [{ arg: 'state', is: 'present', then: ['smart_host'] }] },
  validate(a) {
    if (a.smart_host !== undefined) checkSmartHost(a.smart_host);
  },
  async check(ctx, a) {
    const want = a.state === 'present' ? a.smart_host! : null;
    const mc = await readTextFile(ctx, a.mc);
    if (mc.text === null) throw new ModuleError(`${a.mc} not found: install sendmail and sendmail-cf (the m4 configuration kit)`);
    const cf = await ctx.fact(cfStateFact, a.cf);
    const e = editMc(mc.text, want);
    const ds = want ?? '';
    const result: ResultData = { smart_host: want, mc: a.mc, cf: a.cf, previous: currentSmartHost(mc.text), ds_before: cf.ds };
    const mcPlan = e.edit === 'unchanged' ? undefined : planText(mc, e.content, { follow: true, backup: a.backup });
    const cfStale = cf.ds !== ds;
    if (!mcPlan && !cfStale) return ok(result);
    const plan: SendmailPlan = { mcSteps: mcPlan?.steps ?? [], ds, cfExists: cf.exists, cfMode: cf.mode };
    const diff = [...(mcPlan?.diff ?? [])];
    if (cfStale)
      diff.push({ before: cf.ds === null ? '' : `DS${cf.ds}\n`, after: `DS${ds}\n`, beforeHeader: `${a.cf} (DS line)`, afterHeader: `${a.cf} (DS line)` });
    const what = mcPlan ? `${e.edit} SMART_HOST in ${a.mc}, rebuild ${a.cf}` : `rebuild ${a.cf} (DS is '${cf.ds ?? 'missing'}', ${a.mc} says '${ds}')`;
    return change(what, plan, { diff, result });
  },
  async apply(ctx, a, plan) {
    const { backupFile } = await runSteps(ctx, plan.mcSteps);
    const backup = backupFile === undefined ? {} : { backup_file: backupFile };
    if (a.rebuild === 'make') {
      const r = await ctx.run(`make -C ${shq(dirOf(a.cf))} ${shq(a.cf.slice(dirOf(a.cf).length + 1))} 2>&1`);
      if (r.rc !== 0)
        throw new ModuleError(`make sendmail.cf failed (rc=${r.rc}): ${r.stdout.trim().split('\n').slice(-3).join(' / ')}`, { rc: r.rc, stdout: r.stdout });
      const after = await ctx.run(`grep -m1 '^DS' -- ${shq(a.cf)}`);
      if (dsOf(after.stdout) !== plan.ds) {
        throw new ModuleError(
          `after make, ${a.cf} has '${after.stdout.trim() || 'no DS line'}' instead of DS${plan.ds}: ${r.stdout.trim().split('\n').slice(-3).join(' / ')}`,
        );
      }
      return { rebuilt: 'make', ...backup };
    }
    const { steps, tmp } = m4Steps(a, plan);
    try {
      await runSteps(ctx, steps);
    } catch (e) {
      if (e instanceof ModuleError && /failed to validate/.test(e.message)) {
        throw new ModuleError(`m4 ${a.mc} did not produce the line DS${plan.ds}; ${a.cf} left unchanged`);
      }
      throw e;
    } finally {
      await ctx.run(`rm -f -- ${shq(tmp)}`);
    }
    return { rebuilt: 'm4', ...backup };
  },
});
