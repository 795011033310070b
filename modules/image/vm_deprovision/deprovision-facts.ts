/**
 * What a VM still carries of its own identity — everything `waagent -deprovision` and `cloud-init clean`
 * remove. One POSIX sh read (run as root: /etc/shadow, /root); the absence of all of it is what marks a
 * deprovisioned VM (see deprovision-plan.ts).
 */
import { defineFact } from '../../../src/contract/index.js';

export interface DeprovisionFacts {
  waagent: string | null;
  cloudInit: string | null;
  /** /etc/waagent.conf key → value (only the keys tsplay reads) */
  conf: Record<string, string>;
  libDir: string;
  /** entries of Lib.Dir (/var/lib/waagent) */
  lib: string[];
  /** the provisioned user named by Lib.Dir/ovf-env.xml */
  ovfUser: string | null;
  ovfUserExists: boolean;
  ovfUserHome: string | null;
  hostKeys: string[];
  resolvConf: 'file' | 'link' | 'none';
  nameservers: string[];
  history: string[];
  waagentLog: string[];
  extLog: string[];
  leases: string[];
  rootPassword: 'locked' | 'set' | 'empty' | 'unknown';
  /** entries of /var/lib/cloud */
  cloud: string[];
  cloudInitLogs: string[];
  machineId: 'set' | 'empty' | 'uninitialized' | 'absent';
  hostname: string;
  /** the user tsplay logged in as (sudo's SUDO_USER) */
  loginUser: string | null;
}

const KEYS = ['Lib.Dir', 'Extension.LogDir', 'OS.SshDir', 'Provisioning.RegenerateSshHostKeyPair', 'Provisioning.DeleteRootPassword', 'Provisioning.Agent'];

/** Lists are "tag<TAB>path" lines; paths are whatever the globs find (no user input in the script). */
export function deprovisionScript(): string {
  return `LC_ALL=C; export LC_ALL
p() { printf '%s\\t%s\\n' "$1" "$2"; }
ls1() { for f in "$2"/* "$2"/.[!.]* "$2"/..?*; do if [ -e "$f" ] || [ -L "$f" ]; then p "$1" "$f"; fi; done; }
p waagent "$(command -v waagent 2>/dev/null)"
p cloudinit "$(command -v cloud-init 2>/dev/null)"
cv() { v=''; [ -f /etc/waagent.conf ] && v=$(sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\\([^[:space:]#]*\\).*/\\1/p" /etc/waagent.conf | tail -n 1); printf '%s' "\${v:-$2}"; }
${KEYS.map((k) => `p conf '${k}='"$(cv '${k.replace('.', '\\.')}' '')"`).join('\n')}
lib=$(cv 'Lib\\.Dir' /var/lib/waagent); p libdir "$lib"
ls1 lib "$lib"
u=''; [ -f "$lib/ovf-env.xml" ] && u=$(sed -n 's/.*<[^>]*UserName>\\([^<]*\\)<.*/\\1/p' "$lib/ovf-env.xml" | head -n 1)
if [ -n "$u" ]; then p ovfuser "$u"; h=$(getent passwd "$u" | cut -d: -f6) && p ovfhome "$h"; fi
for f in "$(cv 'OS\\.SshDir' /etc/ssh)"/ssh_host_*key*; do [ -e "$f" ] && p hostkey "$f"; done
if [ -L /etc/resolv.conf ]; then p resolv link; elif [ -e /etc/resolv.conf ]; then p resolv file; else p resolv none; fi
[ -r /etc/resolv.conf ] && sed -n 's/^[[:space:]]*nameserver[[:space:]]\\{1,\\}\\([^[:space:]]*\\).*/ns\t\\1/p' /etc/resolv.conf
for d in /root /home/*; do for n in .bash_history .zsh_history .sh_history .history .python_history; do [ -f "$d/$n" ] && p hist "$d/$n"; done; done
[ -e /var/log/waagent.log ] && p wlog /var/log/waagent.log
ls1 extlog "$(cv 'Extension\\.LogDir' /var/log/azure)"
for d in /var/lib/dhclient /var/lib/dhcpcd /var/lib/dhcp; do ls1 lease "$d"; done
for f in /var/lib/NetworkManager/dhclient-*.lease; do [ -e "$f" ] && p lease "$f"; done
pw=$(sed -n 's/^root:\\([^:]*\\):.*/\\1/p' /etc/shadow 2>/dev/null) && if [ -z "$pw" ]; then p rootpw empty; else case "$pw" in '!'*|'*'*) p rootpw locked;; *) p rootpw set;; esac; fi
ls1 cloud /var/lib/cloud
for f in /var/log/cloud-init.log /var/log/cloud-init-output.log; do [ -e "$f" ] && p cilog "$f"; done
if [ ! -e /etc/machine-id ]; then p machineid absent; elif [ ! -s /etc/machine-id ]; then p machineid empty; elif grep -qx uninitialized /etc/machine-id; then p machineid uninitialized; else p machineid set; fi
p hostname "$(uname -n)"
p sudouser "\${SUDO_USER:-}"
true`;
}

export function parseDeprovision(stdout: string): DeprovisionFacts {
  const f: DeprovisionFacts = {
    waagent: null,
    cloudInit: null,
    conf: {},
    libDir: '/var/lib/waagent',
    lib: [],
    ovfUser: null,
    ovfUserExists: false,
    ovfUserHome: null,
    hostKeys: [],
    resolvConf: 'none',
    nameservers: [],
    history: [],
    waagentLog: [],
    extLog: [],
    leases: [],
    rootPassword: 'unknown',
    cloud: [],
    cloudInitLogs: [],
    machineId: 'absent',
    hostname: '',
    loginUser: null,
  };
  const lists: Record<string, string[]> = {
    lib: f.lib,
    hostkey: f.hostKeys,
    ns: f.nameservers,
    hist: f.history,
    wlog: f.waagentLog,
    extlog: f.extLog,
    lease: f.leases,
    cloud: f.cloud,
    cilog: f.cloudInitLogs,
  };
  for (const line of stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const k = line.slice(0, tab);
    const v = line.slice(tab + 1);
    if (lists[k]) lists[k].push(v);
    else if (k === 'waagent') f.waagent = v || null;
    else if (k === 'cloudinit') f.cloudInit = v || null;
    else if (k === 'conf') {
      const eq = v.indexOf('=');
      if (eq > 0 && v.slice(eq + 1) !== '') f.conf[v.slice(0, eq)] = v.slice(eq + 1);
    } else if (k === 'libdir') f.libDir = v;
    else if (k === 'ovfuser') f.ovfUser = v;
    else if (k === 'ovfhome') {
      f.ovfUserExists = true;
      f.ovfUserHome = v || null;
    } else if (k === 'resolv') f.resolvConf = v as DeprovisionFacts['resolvConf'];
    else if (k === 'rootpw') f.rootPassword = v as DeprovisionFacts['rootPassword'];
    else if (k === 'machineid') f.machineId = v as DeprovisionFacts['machineId'];
    else if (k === 'hostname') f.hostname = v;
    else if (k === 'sudouser') f.loginUser = v || null;
  }
  return f;
}

export const deprovisionFact = defineFact<void, DeprovisionFacts>({
  name: 'vm_deprovision_state',
  command: deprovisionScript,
  parse: (r) => parseDeprovision(r.stdout),
  become: true,
});
