/**
 * vm_deprovision: strip a builder VM of its identity before it is captured as an image (procedures §4).
 *   Azure:     waagent -deprovision+user -force   (delete_user: false → -deprovision, the admin user stays)
 *   elsewhere: cloud-init clean --logs --seed     (also run before waagent when cloud-init is installed:
 *                                                  on Debian's Azure images it is the provisioning agent)
 *   then:      shell histories removed, /etc/machine-id emptied, sync.
 * IT CANNOT BE UNDONE: the ssh host keys, the provisioned account and resolv.conf go; run it last on the VM,
 * then capture (azure_image / aws_image). Check mode lists what would be removed. Idempotent: a VM with
 * none of that identity left reports ok (see deprovision-plan.ts for the marker).
 * cloud-init leaves the ssh host keys: its ssh module (ssh_deletekeys, on by default) replaces them on
 * each new instance. An interactive shell still open on the VM writes its history when it exits: log out
 * of such sessions first.
 */
import { ModuleError, Type, change, defineModule, ok } from '../../../src/contract/index.js';
import { deprovisionFact, deprovisionScript, parseDeprovision } from './deprovision-facts.js';
import { planDeprovision, type DeprovisionPlan } from './deprovision-plan.js';

const Args = Type.Object(
  {
    method: Type.Union([Type.Literal('auto'), Type.Literal('waagent'), Type.Literal('cloud-init')], {
      default: 'auto',
      description: 'auto: waagent when installed (Azure), else cloud-init',
    }),
    delete_user: Type.Boolean({
      default: true,
      description: 'waagent: -deprovision+user deletes the provisioned (admin) user and its home; false: -deprovision keeps it',
    }),
    cloud_init_clean: Type.Optional(Type.Boolean({ description: 'with waagent: also run cloud-init clean (default: when cloud-init is installed)' })),
    logs: Type.Boolean({ default: true, description: 'cloud-init clean --logs' }),
    seed: Type.Boolean({ default: true, description: "cloud-init clean --seed (the seed carries the builder's instance id)" }),
    machine_id: Type.Boolean({ default: true, description: 'empty /etc/machine-id so each VM made from the image gets its own' }),
    history: Type.Boolean({ default: true, description: 'remove the shell histories of root and /home/*' }),
  },
  { additionalProperties: false },
);

export const vmDeprovision = defineModule<typeof Args, DeprovisionPlan>({
  name: 'vm_deprovision',
  description: 'Deprovision a VM before capturing it as an image (waagent -deprovision[+user] or cloud-init clean); cannot be undone',
  examples: `- name: strip the builder of its identity (the last task before the capture; cannot be undone)
  vm_deprovision:
    delete_user: true
  become: true
`,
  returns: {
    method: 'waagent or cloud-init',
    would_remove: 'what the plan removes, one line each (check mode too)',
    removed: 'after the run: what was removed',
    commands: 'the commands run (or, in check mode, to run)',
    hostname: 'the host name after the run',
  },
  args: Args,
  async check(ctx, a) {
    const f = await ctx.fact(deprovisionFact, undefined);
    const plan = planDeprovision(f, a);
    if (!plan) return ok({ method: f.waagent && a.method !== 'cloud-init' ? 'waagent' : 'cloud-init', msg: 'already deprovisioned: no VM identity left' });
    ctx.warn(
      `vm_deprovision: this cannot be undone: ${plan.method} removes this VM's identity (${plan.kinds.join(', ')}); new ssh logins may fail afterwards; the VM is only fit to be captured as an image`,
    );
    for (const w of plan.warnings) ctx.warn(`vm_deprovision: ${w}`);
    return change(`${plan.method}: remove ${plan.kinds.join(', ')}`, plan, {
      result: { method: plan.method, would_remove: plan.remove, commands: plan.commands },
      diff: [{ before: plan.remove.join('\n') + '\n', after: '', beforeHeader: 'VM identity (before)', afterHeader: 'VM identity (after vm_deprovision)' }],
    });
  },
  async apply(ctx, a, plan) {
    await ctx.runOk(plan.commands.map((c) => `${c} || exit $?`).join('\n'), { become: true });
    // read back: everything planned must be gone
    const after = parseDeprovision((await ctx.runOk(deprovisionScript(), { become: true })).stdout);
    const left = planDeprovision(after, a);
    if (left) throw new ModuleError(`vm_deprovision: ${plan.method} ran but left: ${left.kinds.join(', ')}`);
    return { method: plan.method, removed: plan.remove, commands: plan.commands, hostname: after.hostname };
  },
});
