/**
 * gather_facts: one POSIX sh command per host that reads the facts playbooks use most (names, OS, kernel,
 * service and package manager, addresses, DNS, memory, CPUs, and python where python3 exists), in Ansible's variable
 * names. One round trip.
 */
import type { Connection } from '../../src/connection/types.js';

/** The one command that reads every fact (also the setup module's). */
export const GATHER_SCRIPT = String.raw`
p() { printf '%s=%s\n' "$1" "$2"; }
p hostname "$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"
p fqdn "$(hostname -f 2>/dev/null || hostname)"
p kernel "$(uname -r)"
p machine "$(uname -m)"
p system "$(uname -s)"
p user_id "$(id -un)"
p user_uid "$(id -u)"
if [ -r /etc/os-release ]; then . /etc/os-release; p os_id "$ID"; p os_like "$ID_LIKE"; p os_version "$VERSION_ID"; p os_codename "$VERSION_CODENAME"; p os_pretty "$PRETTY_NAME"; fi
[ -r /etc/debian_version ] && p debian_version "$(cat /etc/debian_version)"
p pid1 "$(cat /proc/1/comm 2>/dev/null)"
[ -d /run/systemd/system ] && p systemd_run yes
for m in apt-get dnf yum zypper apk pacman; do command -v $m >/dev/null 2>&1 && { p pkg_mgr $m; break; }; done
p vcpus "$(grep -c ^processor /proc/cpuinfo 2>/dev/null)"
awk '/^(MemTotal|MemFree|Buffers|Cached|SwapTotal|SwapFree|SwapCached):/{sub(":", "", $1); print "mem_" $1 "=" $2}' /proc/meminfo 2>/dev/null
p default_route "$(ip -4 route show default 2>/dev/null | head -n1)"
ip -o -4 addr show 2>/dev/null | awk '{print "addr4=" $2 " " $4}'
ip -o link show 2>/dev/null | awk -F': ' '{print "iface=" $2}'
command -v python3 >/dev/null 2>&1 && p python "$(python3 -c 'import sys, json
try:
    from ssl import SSLContext
    s = True
except ImportError:
    s = False
v = sys.version_info
print(json.dumps({"version": {"major": v[0], "minor": v[1], "micro": v[2], "releaselevel": v[3], "serial": v[4]}, "version_info": list(v), "executable": sys.executable, "has_sslcontext": s, "type": sys.implementation.name}))' 2>/dev/null)"
awk '/^nameserver/{print "ns=" $2} /^search/{$1=""; print "search=" substr($0,2)} /^domain/{print "domain_rc=" $2}' /etc/resolv.conf 2>/dev/null
`;

export async function gatherFacts(conn: Connection): Promise<Record<string, unknown>> {
  const r = await conn.run(GATHER_SCRIPT, { become: false });
  return parseFacts(r.stdout);
}

export function parseFacts(out: string): Record<string, unknown> {
  const kv: Record<string, string> = {};
  const addrs: { iface: string; cidr: string }[] = [];
  const ifaces: string[] = [];
  const ns: string[] = [];
  let search: string[] = [];
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    if (k === 'addr4') {
      const [iface, cidr] = v.split(' ');
      addrs.push({ iface: iface!, cidr: cidr! });
    } else if (k === 'iface') ifaces.push(v.split('@')[0]!);
    else if (k === 'ns') ns.push(v);
    else if (k === 'search') search = v.split(/\s+/).filter(Boolean);
    else kv[k] = v;
  }
  const osId = kv['os_id'] ?? '';
  const like = `${osId} ${kv['os_like'] ?? ''}`;
  const family = /debian|ubuntu/.test(like)
    ? 'Debian'
    : /rhel|fedora|centos|rocky|alma/.test(like)
      ? 'RedHat'
      : /suse/.test(like)
        ? 'Suse'
        : /alpine/.test(like)
          ? 'Alpine'
          : /arch/.test(like)
            ? 'Archlinux'
            : (kv['system'] ?? 'Linux');
  const distNames: Record<string, string> = {
    debian: 'Debian',
    ubuntu: 'Ubuntu',
    rhel: 'RedHat',
    centos: 'CentOS',
    rocky: 'Rocky',
    almalinux: 'AlmaLinux',
    fedora: 'Fedora',
    alpine: 'Alpine',
    sles: 'SLES',
    opensuse: 'openSUSE',
  };
  const version = osId === 'debian' && kv['debian_version'] ? kv['debian_version'] : (kv['os_version'] ?? '');
  const route = kv['default_route'] ?? '';
  const gw = /via (\S+)/.exec(route)?.[1];
  const dev = /dev (\S+)/.exec(route)?.[1];
  const defAddr = addrs.find((a) => a.iface === dev && dev !== 'lo') ?? addrs.find((a) => a.iface !== 'lo');
  const fqdn = kv['fqdn'] ?? kv['hostname'] ?? '';
  const hostname = kv['hostname'] ?? '';
  const pid1 = kv['pid1'] ?? '';
  const serviceMgr = kv['systemd_run'] === 'yes' || pid1 === 'systemd' ? 'systemd' : pid1 === 'init' ? 'sysvinit' : pid1 || 'service';
  const pkg = kv['pkg_mgr'] === 'apt-get' ? 'apt' : (kv['pkg_mgr'] ?? 'unknown');
  const ipv4 = (a?: { iface: string; cidr: string }) => {
    if (!a) return {};
    const [address, prefix] = a.cidr.split('/');
    return { address, interface: a.iface, prefix, gateway: gw, netmask: prefixToMask(Number(prefix)) };
  };
  // the python facts, as Ansible's (only where python3 exists: tsplay's modules need none)
  let python: Record<string, unknown> | undefined;
  try {
    python = kv['python'] ? (JSON.parse(kv['python']) as Record<string, unknown>) : undefined;
  } catch {
    python = undefined;
  }
  const pv = python?.['version'] as Record<string, unknown> | undefined;
  return {
    ...(python ? { python, python_version: `${String(pv?.['major'])}.${String(pv?.['minor'])}.${String(pv?.['micro'])}` } : {}),
    hostname: hostname.split('.')[0],
    nodename: hostname,
    fqdn,
    domain: fqdn.includes('.') ? fqdn.slice(fqdn.indexOf('.') + 1) : '',
    kernel: kv['kernel'],
    machine: kv['machine'],
    architecture: kv['machine'],
    system: kv['system'],
    user_id: kv['user_id'],
    user_uid: Number(kv['user_uid']),
    distribution: distNames[osId] ?? (osId ? osId[0]!.toUpperCase() + osId.slice(1) : 'Unknown'),
    distribution_version: version,
    distribution_major_version: version.split('.')[0] ?? '',
    distribution_release: kv['os_codename'] ?? '',
    os_family: family,
    service_mgr: serviceMgr,
    pkg_mgr: pkg,
    processor_vcpus: Number(kv['vcpus'] ?? 0),
    ...memoryFacts(kv),
    default_ipv4: ipv4(defAddr),
    all_ipv4_addresses: addrs.filter((a) => a.iface !== 'lo').map((a) => a.cidr.split('/')[0]),
    interfaces: ifaces,
    dns: { nameservers: ns, search },
  };
}

/** memtotal_mb, memfree_mb, swaptotal_mb, swapfree_mb and memory_mb, as ansible-core's Linux hardware facts compute them. */
function memoryFacts(kv: Record<string, string>): Record<string, unknown> {
  const mb = (k: string): number | null => (kv[`mem_${k}`] !== undefined && kv[`mem_${k}`] !== '' ? Math.floor(Number(kv[`mem_${k}`]) / 1024) : null);
  const [total, free, buffers, cached, swapTotal, swapFree, swapCached] = [
    'MemTotal',
    'MemFree',
    'Buffers',
    'Cached',
    'SwapTotal',
    'SwapFree',
    'SwapCached',
  ].map(mb);
  const sub = (a: number | null, b: number | null) => (a !== null && b !== null ? a - b : null);
  const nocacheFree = cached !== null && free !== null && buffers !== null ? cached + free + buffers : null;
  const out: Record<string, unknown> = {};
  if (total !== null) out['memtotal_mb'] = total;
  if (free !== null) out['memfree_mb'] = free;
  if (swapTotal !== null) out['swaptotal_mb'] = swapTotal;
  if (swapFree !== null) out['swapfree_mb'] = swapFree;
  out['memory_mb'] = {
    real: { total, used: sub(total, free), free },
    nocache: { free: nocacheFree, used: sub(total, nocacheFree) },
    swap: { total: swapTotal, free: swapFree, used: sub(swapTotal, swapFree), cached: swapCached },
  };
  return out;
}

function prefixToMask(p: number): string {
  if (!(p >= 0 && p <= 32)) return '';
  const n = p === 0 ? 0 : (~0 << (32 - p)) >>> 0;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}
