/**
 * What the wireguard module reads of the host, in one command: the tools, the init system and the
 * wg-quick@IF unit, the live interface (global addresses, MTU, listen port, public key, peers' AllowedIPs and
 * keepalives, via `wg show IF <field>`: never `wg showconf` or `dump`, which print the private key), and the
 * conf with every PrivateKey/PresharedKey value replaced on the host (sed), so no key reaches the controller.
 */
import { defineFact } from '../../../src/contract/index.js';
import { keyValues, partHeader, splitParts } from '../../../lib/shell/parts.js';
import { shq } from '../../../lib/shell/quote.js';
import { REDACTED, type LivePeer } from './wireguard-render.js';

export interface WgLive {
  wg: boolean;
  wgQuick: boolean;
  init: 'systemd' | 'sysv';
  unitActive: boolean;
  unitEnabled: boolean;
  link: boolean;
  mtu?: number;
  listenPort?: number;
  publicKey?: string;
  /** global-scope addresses, "10.200.0.1/24" */
  addresses: string[];
  peers: Map<string, LivePeer>;
  /** the routes through the interface in the main table that wg-quick (or this module) added: not the kernel's */
  routes: string[];
  /** public key → unix time of the latest handshake (0: none) */
  handshakes: Map<string, number>;
  /** the conf as the host shows it (keys redacted); null when absent */
  conf: string | null;
}

export function wgLiveScript(a: { name: string; conf: string }): string {
  const i = shq(a.name);
  const c = shq(a.conf);
  const unit = shq(`wg-quick@${a.name}`);
  return `if command -v wg >/dev/null 2>&1; then echo wg=yes; fi
if command -v wg-quick >/dev/null 2>&1; then echo wgquick=yes; fi
if [ -d /run/systemd/system ]; then
  echo init=systemd
  echo "active=$(systemctl is-active -- ${unit} 2>/dev/null)"
  echo "enabled=$(systemctl is-enabled -- ${unit} 2>/dev/null)"
fi
if ip link show dev ${i} >/dev/null 2>&1; then
  echo link=yes
  echo "mtu=$(cat /sys/class/net/${i}/mtu 2>/dev/null)"
  echo "port=$(wg show ${i} listen-port 2>/dev/null)"
  echo "pub=$(wg show ${i} public-key 2>/dev/null)"
  ${partHeader('addr')}
  ip -o addr show dev ${i} scope global | awk '{ print $4 }'
  ${partHeader('allowed')}
  wg show ${i} allowed-ips 2>/dev/null
  ${partHeader('keepalive')}
  wg show ${i} persistent-keepalive 2>/dev/null
  ${partHeader('routes')}
  ip -o -4 route show dev ${i} 2>/dev/null; ip -o -6 route show dev ${i} 2>/dev/null
  ${partHeader('handshakes')}
  wg show ${i} latest-handshakes 2>/dev/null
fi
if [ -e ${c} ]; then
  ${partHeader('conf')}
  sed -E 's/^([[:space:]]*(PrivateKey|PresharedKey)[[:space:]]*=[[:space:]]*).*$/\\1${REDACTED}/I' ${c}
fi`;
}

function table(text: string | undefined): [string, string][] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f.length >= 2 && f[0]!.trim() !== '')
    .map((f) => [f[0]!.trim(), f.slice(1).join('\t').trim()]);
}

export function parseWgLive(stdout: string): WgLive {
  const parts = splitParts(stdout, { rawAfter: 'conf' });
  const kv = keyValues(parts.get(''));
  const num = (k: string) => (/^\d+$/.test(kv.get(k)?.trim() ?? '') ? Number(kv.get(k)!.trim()) : undefined);
  const peers = new Map<string, LivePeer>();
  for (const [pub, ips] of table(parts.get('allowed'))) peers.set(pub, { allowedIps: ips === '(none)' ? [] : ips.split(/\s+/).sort(), keepalive: 0 });
  for (const [pub, ka] of table(parts.get('keepalive'))) {
    const p = peers.get(pub);
    if (p) p.keepalive = /^\d+$/.test(ka) ? Number(ka) : 0;
  }
  const handshakes = new Map(table(parts.get('handshakes')).map(([k, t]) => [k, Number(t) || 0] as [string, number]));
  return {
    wg: kv.get('wg') === 'yes',
    wgQuick: kv.get('wgquick') === 'yes',
    init: kv.get('init') === 'systemd' ? 'systemd' : 'sysv',
    unitActive: kv.get('active')?.trim() === 'active',
    unitEnabled: kv.get('enabled')?.trim() === 'enabled',
    link: kv.get('link') === 'yes',
    mtu: num('mtu'),
    listenPort: num('port'),
    publicKey: kv.get('pub')?.trim() || undefined,
    addresses: (parts.get('addr') ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .sort(),
    peers,
    routes: (parts.get('routes') ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/\bproto kernel\b/.test(l) && !/^(fe80:|ff00:|multicast|local|broadcast)/.test(l))
      .map((l) => l.split(/\s+/)[0]!)
      .map((d) => (d === 'default' ? '0.0.0.0/0' : d))
      .sort(),
    handshakes,
    conf: parts.has('conf') ? parts.get('conf')! : null,
  };
}

export const wgLiveFact = defineFact<{ name: string; conf: string }, WgLive>({
  name: 'wireguard.live',
  command: wgLiveScript,
  parse: (r) => parseWgLive(r.stdout),
});
