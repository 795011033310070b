/** hostname: set the host's name (running and persistent) and make /etc/hosts resolve it. */
import { ArgsError, Type, change, defineFact, defineModule, ok, type FileDiff, type ResultData } from '../../../src/contract/index.js';
import { shq } from '../../../lib/shell/quote.js';
import { writeFileCommand } from '../../../lib/files/write-command.js';
import { planHostname, type HostnameFacts } from './hostname-plan.js';
import { keyValues, partHeader, splitParts } from '../../../lib/shell/parts.js';

const Args = Type.Object(
  {
    name: Type.String({ description: 'the host name (an FQDN is kept as given, like hostnamectl)' }),
    use: Type.Optional(Type.String({ description: "strategy: 'systemd' forces hostnamectl; other values use /etc/hostname + hostname" })),
    update_hosts: Type.Boolean({ default: true, description: 'tsplay: make /etc/hosts resolve the name (a 127.0.1.1 line, as Debian does)' }),
  },
  { additionalProperties: false },
);

const NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** key=value lines (running name, init), then the parts `etc-hostname` and `etc-hosts` (last) for the files that exist. */
export function hostnameScript(): string {
  return `printf 'running=%s\\n' "$(uname -n)"
if [ -d /run/systemd/system ]; then echo init=systemd; else echo init=sysv; fi
if [ -f /etc/hostname ]; then ${partHeader('etc-hostname')}; cat /etc/hostname; fi
if [ -f /etc/hosts ]; then ${partHeader('etc-hosts')}; cat /etc/hosts; fi`;
}

export function parseHostname(stdout: string): HostnameFacts {
  const parts = splitParts(stdout, { rawAfter: 'etc-hosts' });
  const kv = keyValues(parts.get(''));
  return {
    running: (kv.get('running') ?? '').trim(),
    systemd: kv.get('init') === 'systemd',
    etcHostname: parts.get('etc-hostname') ?? null,
    etcHosts: parts.get('etc-hosts') ?? null,
  };
}

const hostnameFact = defineFact<void, HostnameFacts>({
  name: 'hostname',
  command: hostnameScript,
  parse: (r) => parseHostname(r.stdout),
});

function facts(name: string): ResultData {
  const dot = name.indexOf('.');
  return {
    ansible_facts: {
      ansible_hostname: dot > 0 ? name.slice(0, dot) : name,
      ansible_nodename: name,
      ansible_fqdn: name,
      ansible_domain: dot > 0 ? name.slice(dot + 1) : '',
    },
  };
}

export const hostname = defineModule({
  name: 'hostname',
  aliases: ['ansible.builtin.hostname', 'ansible.legacy.hostname'],
  description: 'Set the host name (running + /etc/hostname, hostnamectl under systemd) and resolve it in /etc/hosts',
  examples: `- name: the cloud node's FQDN in the on-prem domain (and /etc/hosts resolves it)
  ansible.builtin.hostname:
    name: cloud-hpc-001.cluster.example.com
`,
  returns: {
    name: 'the host name',
    ansible_facts: 'ansible_hostname, ansible_nodename, ansible_fqdn and ansible_domain for the new name',
  },
  args: Args,
  validate(a) {
    if (!NAME.test(a.name)) throw new ArgsError(`hostname: invalid host name '${a.name}'`, '/name');
  },
  async check(ctx, a) {
    const f = await ctx.fact(hostnameFact, undefined);
    const plan = planHostname(a.name, f, { updateHosts: a.update_hosts, forceSystemd: a.use === 'systemd' });
    const result = { name: a.name, ...facts(a.name) };
    if (!plan) return ok(result);
    const diff: FileDiff[] = [];
    if (plan.hostnameFile !== undefined || plan.hostnamectl)
      diff.push({ before: f.etcHostname ?? '', after: `${a.name}\n`, beforeHeader: '/etc/hostname', afterHeader: '/etc/hostname' });
    else if (plan.setRunning)
      diff.push({ before: `${f.running}\n`, after: `${a.name}\n`, beforeHeader: 'hostname (running)', afterHeader: 'hostname (running)' });
    if (plan.hostsFile !== undefined) diff.push({ before: f.etcHosts ?? '', after: plan.hostsFile, beforeHeader: '/etc/hosts', afterHeader: '/etc/hosts' });
    const what = [
      plan.hostnamectl ? 'hostnamectl set-hostname' : '',
      plan.hostnameFile !== undefined ? 'write /etc/hostname' : '',
      plan.setRunning ? 'set running name' : '',
      plan.hostsFile !== undefined ? 'update /etc/hosts' : '',
    ].filter(Boolean);
    return change(`${what.join(', ')}: ${a.name}`, plan, { diff, result });
  },
  async apply(ctx, a, plan) {
    const n = shq(a.name);
    const cmds: string[] = [];
    // /etc/hosts first: sudo must resolve the new name as soon as it is set
    if (plan.hostsFile !== undefined) cmds.push(writeFileCommand('/etc/hosts', plan.hostsFile));
    if (plan.hostnamectl) cmds.push(`hostnamectl set-hostname ${n}`);
    if (plan.hostnameFile !== undefined) cmds.push(writeFileCommand('/etc/hostname', plan.hostnameFile));
    if (plan.setRunning) cmds.push(`hostname ${n} 2>/dev/null || printf '%s' ${n} >/proc/sys/kernel/hostname`);
    await ctx.runOk(cmds.map((c) => `{ ${c}\n} || exit $?`).join('\n'));
  },
});
