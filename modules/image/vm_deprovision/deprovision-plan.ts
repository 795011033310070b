/**
 * vm_deprovision planning, pure: which tool runs, what it will remove, and the commands.
 *
 * A VM is deprovisioned when none of the identity it would pass on to clones is left: waagent's state
 * (Lib.Dir entries, the provisioned user from ovf-env.xml, ssh host keys when waagent.conf regenerates
 * them, /etc/resolv.conf, DHCP leases, its logs, a usable root password when waagent.conf deletes it),
 * cloud-init's instance state (/var/lib/cloud except the seed unless seed=true, its logs), shell
 * histories and /etc/machine-id. Provisioning a new VM recreates all that, so the marker is not fooled by a
 * clone of an earlier image: a fresh VM made from it is not "already deprovisioned".
 */
import { ModuleError } from '../../../src/contract/index.js';
import { shJoin } from '../../../lib/shell/quote.js';
import type { DeprovisionFacts } from './deprovision-facts.js';

export interface DeprovisionArgs {
  method: 'auto' | 'waagent' | 'cloud-init';
  delete_user: boolean;
  cloud_init_clean?: boolean;
  logs: boolean;
  seed: boolean;
  machine_id: boolean;
  history: boolean;
}

export interface DeprovisionPlan {
  method: 'waagent' | 'cloud-init';
  /** what goes, one human line each (check mode shows them) */
  remove: string[];
  /** the same by kind, with counts: "ssh host keys (4)", "/etc/resolv.conf" */
  kinds: string[];
  /** the shell commands, in order */
  commands: string[];
  warnings: string[];
}

const yes = (v: string | undefined, dflt: boolean) => (v === undefined ? dflt : /^y/i.test(v));

/** One thing that goes: a kind (for the one-line summary) and its own line. */
interface Item {
  kind: string;
  text: string;
}

const each = (kind: string, paths: readonly string[]): Item[] => paths.map((p) => ({ kind, text: `${p} (${kind})` }));
const one = (text: string): Item => ({ kind: text, text });

/** "ssh host key ×4, /etc/resolv.conf, ..." */
export function kindsOf(items: readonly Item[]): string[] {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.kind, (counts.get(i.kind) ?? 0) + 1);
  return [...counts].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k));
}

export function pickMethod(f: DeprovisionFacts, method: DeprovisionArgs['method']): 'waagent' | 'cloud-init' {
  if (method === 'waagent' && !f.waagent)
    throw new ModuleError('vm_deprovision: method=waagent but waagent is not installed on this VM (package waagent / WALinuxAgent)');
  if (method === 'cloud-init' && !f.cloudInit) throw new ModuleError('vm_deprovision: method=cloud-init but cloud-init is not installed on this VM');
  if (method !== 'auto') return method;
  if (f.waagent) return 'waagent';
  if (f.cloudInit) return 'cloud-init';
  throw new ModuleError(
    'vm_deprovision: neither waagent nor cloud-init is installed on this VM: nothing knows how to deprovision it (install waagent for Azure, cloud-init elsewhere)',
  );
}

export function planDeprovision(f: DeprovisionFacts, a: DeprovisionArgs): DeprovisionPlan | null {
  const method = pickMethod(f, a.method);
  const warnings: string[] = [];
  const commands: string[] = [];
  const remove: Item[] = [];

  // cloud-init: on Debian's Azure images it is the provisioning agent (waagent.conf Provisioning.Agent=cloud-init)
  const ciClean = method === 'cloud-init' || (a.cloud_init_clean ?? !!f.cloudInit);
  if (ciClean && !f.cloudInit) throw new ModuleError('vm_deprovision: cloud_init_clean=true but cloud-init is not installed on this VM');
  if (ciClean) {
    const state = f.cloud.filter((p) => a.seed || !/\/seed$/.test(p));
    const ci = [...each('cloud-init state', state), ...(a.logs ? each('cloud-init log', f.cloudInitLogs) : [])];
    if (ci.length) {
      remove.push(...ci);
      commands.push(shJoin(['cloud-init', 'clean', ...(a.logs ? ['--logs'] : []), ...(a.seed ? ['--seed'] : [])]));
    }
  }

  if (method === 'waagent') {
    const w: Item[] = [...each(`waagent state in ${f.libDir}`, f.lib)];
    if (a.delete_user) {
      if (f.ovfUser && f.ovfUserExists) {
        w.push({
          kind: `account ${f.ovfUser}`,
          text: `account ${f.ovfUser}${f.ovfUserHome ? ` and its home ${f.ovfUserHome}` : ''} (the provisioned user, from ovf-env.xml)`,
        });
        if (f.loginUser && f.loginUser === f.ovfUser)
          warnings.push(`${f.ovfUser} is the account tsplay is logged in as: this session goes on, but no new login as ${f.ovfUser} will work`);
      } else if (!f.ovfUser) {
        warnings.push(`no ovf-env.xml in ${f.libDir}: waagent -deprovision+user deletes no account (it only knows the provisioned user from that file)`);
      }
    }
    if (yes(f.conf['Provisioning.RegenerateSshHostKeyPair'], false)) w.push(...each('ssh host key', f.hostKeys));
    if (f.resolvConf !== 'none') {
      w.push({ kind: '/etc/resolv.conf', text: `/etc/resolv.conf (${f.resolvConf === 'link' ? 'a symlink' : 'a file'})` });
      if (f.resolvConf === 'file' && f.nameservers.length) {
        warnings.push(
          `waagent deletes /etc/resolv.conf (nameservers ${f.nameservers.join(', ')}): VMs made from this image get their DNS from DHCP; configure on-prem DNS through systemd-resolved or rerun the cloud-node playbook on each VM`,
        );
      }
    }
    w.push(...each('DHCP lease', f.leases), ...each('waagent log', [...f.waagentLog, ...f.extLog]));
    if (yes(f.conf['Provisioning.DeleteRootPassword'], false) && (f.rootPassword === 'set' || f.rootPassword === 'empty'))
      w.push(one('the root password (Provisioning.DeleteRootPassword=y)'));
    if (w.length) {
      remove.push(...w);
      commands.push(shJoin(['waagent', a.delete_user ? '-deprovision+user' : '-deprovision', '-force']));
    }
  }

  if (a.history && f.history.length) {
    remove.push(...each('shell history', f.history));
    commands.push(shJoin(['rm', '-f', '--', ...f.history]));
  }
  if (a.machine_id && f.machineId === 'set') {
    remove.push({ kind: '/etc/machine-id', text: "/etc/machine-id (emptied: systemd makes a new id at first boot, as in Debian's cloud images)" });
    commands.push(': > /etc/machine-id && { [ -L /var/lib/dbus/machine-id ] || rm -f /var/lib/dbus/machine-id; }');
  }
  if (!remove.length) return null;
  commands.push('sync');
  return { method, remove: remove.map((i) => i.text), kinds: kindsOf(remove), commands, warnings };
}
