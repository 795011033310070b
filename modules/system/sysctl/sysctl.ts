/** sysctl (ansible.posix.sysctl): a kernel parameter in a sysctl file and in the running kernel. */
import { ArgsError, ModuleError, Type, change, defineFact, defineModule, ok } from '../../../src/contract/index.js';
import { OneLine } from '../../../lib/args/one-line.js';
import { shq } from '../../../lib/shell/quote.js';
import { writeFileCommand } from '../../../lib/files/write-command.js';
import { normalizeValue, planSysctl, type SysctlArgs, type SysctlFacts } from './sysctl-plan.js';
import { partHeader, splitParts } from '../../../lib/shell/parts.js';

const Args = Type.Object(
  {
    name: OneLine({ description: 'the key, e.g. net.ipv4.ip_forward' }),
    value: Type.Optional(OneLine({ description: 'the value (yes/true become 1, no/false 0)' })),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: the key=value line in sysctl_file (and the running value, see reload); absent: its lines removed (the running value stays)',
    }),
    sysctl_file: Type.String({ default: '/etc/sysctl.conf', description: 'the file that makes it persistent' }),
    reload: Type.Boolean({ default: true, description: 'run `sysctl -p FILE` after a change' }),
    sysctl_set: Type.Boolean({ default: false, description: 'set the running value with `sysctl -w` when it differs' }),
    ignoreerrors: Type.Boolean({ default: false, description: 'ignore unknown keys' }),
  },
  { additionalProperties: false },
);

/** Parts: `running` (the live value, when the key exists), then `file` (the sysctl file's content, when it exists). */
export function sysctlScript(q: { name: string; file: string }): string {
  return `if _v=$(sysctl -n ${shq(q.name)} 2>/dev/null); then ${partHeader('running')}; printf '%s\\n' "$_v"; fi
if [ -f ${shq(q.file)} ]; then ${partHeader('file')}; cat ${shq(q.file)}; fi`;
}

export function parseSysctl(stdout: string): SysctlFacts {
  const parts = splitParts(stdout, { rawAfter: 'file' });
  const running = parts.get('running');
  return { running: running === undefined ? null : running.replace(/\n$/, ''), file: parts.get('file') ?? null };
}

const sysctlFact = defineFact<{ name: string; file: string }, SysctlFacts>({
  name: 'sysctl',
  command: sysctlScript,
  parse: (r) => parseSysctl(r.stdout),
});

/** sysctl may print an error yet exit 0 (Red Hat bug 1264080): look at stderr too, like Ansible. */
const STDERR_FAIL = /^sysctl: (setting key "[^"]+"|permission denied on key "[^"]+"): (Invalid argument|Read-only file system|Permission denied)/m;

export const sysctl = defineModule({
  name: 'sysctl',
  aliases: ['ansible.posix.sysctl', 'ansible.builtin.sysctl'],
  description: 'Set a kernel parameter persistently (sysctl file) and in the running kernel',
  examples: `- name: the VPN gateway forwards between on-prem and the VNet
  ansible.posix.sysctl:
    name: net.ipv4.ip_forward
    value: "1"
    sysctl_file: /etc/sysctl.d/90-vpn-gateway.conf
    sysctl_set: true
- name: no ICMP redirects from the gateway
  ansible.posix.sysctl:
    name: net.ipv4.conf.all.send_redirects
    value: "0"
    sysctl_file: /etc/sysctl.d/90-vpn-gateway.conf
`,
  returns: {
    name: 'the key',
    value: 'the value as written (booleans as 1/0)',
    state: 'present or absent',
    sysctl_file: 'the file',
  },
  args: Args,
  argAliases: { key: 'name', val: 'value' },
  validate(a) {
    if (a.name.trim() === '') throw new ArgsError('sysctl: name cannot be blank', '/name');
    if (/[\s=]/.test(a.name.trim())) throw new ArgsError(`sysctl: invalid key '${a.name}'`, '/name');
    if (a.state === 'present' && (a.value === undefined || a.value.trim() === ''))
      throw new ArgsError('sysctl: value is required with state=present', '/value');
  },
  async check(ctx, a) {
    const args = { ...a, name: a.name.trim() } as SysctlArgs;
    const f = await ctx.fact(sysctlFact, { name: args.name, file: a.sysctl_file });
    const d = planSysctl(args, f);
    if ('error' in d) throw new ModuleError(d.error);
    const result = { name: args.name, ...(a.value !== undefined ? { value: normalizeValue(a.value) } : {}), state: a.state, sysctl_file: a.sysctl_file };
    if (!d.plan) return ok(result);
    const what = [
      d.plan.write !== undefined ? `write ${a.sysctl_file}` : '',
      d.plan.set ? `set ${args.name}` : '',
      d.plan.reload ? `reload ${a.sysctl_file}` : '',
    ].filter(Boolean);
    const diff = d.plan.write !== undefined ? [{ before: f.file ?? '', after: d.plan.write, beforeHeader: a.sysctl_file, afterHeader: a.sysctl_file }] : [];
    return change(what.join(', '), d.plan, { diff, result });
  },
  async apply(ctx, a, plan) {
    const e = a.ignoreerrors ? '-e ' : '';
    const cmds: string[] = [];
    if (plan.write !== undefined) cmds.push(writeFileCommand(a.sysctl_file, plan.write));
    if (plan.set) cmds.push(`sysctl ${e}-w ${shq(`${a.name.trim()}=${normalizeValue(a.value ?? '')}`)} >/dev/null`);
    if (plan.reload) cmds.push(`sysctl ${e}-p ${shq(a.sysctl_file)} >/dev/null`);
    const r = await ctx.run(cmds.map((c) => `{ ${c}\n} || exit $?`).join('\n'));
    if (r.rc !== 0 || STDERR_FAIL.test(r.stderr)) {
      throw new ModuleError(`sysctl ${a.name}: ${r.stderr.trim() || `failed (rc=${r.rc})`}`, { rc: r.rc, stdout: r.stdout, stderr: r.stderr });
    }
  },
});
