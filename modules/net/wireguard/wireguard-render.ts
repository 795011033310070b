/**
 * wireguard: the arguments' checks and the conf file (wg-quick(8) format), pure functions.
 *
 * The private key is never in the conf: it stays in its own file (DIR/IF.key, 0600, generated on the host by
 * wireguard_key or by this module) and `PostUp = wg set %i private-key DIR/IF.key` loads it. So the conf can
 * be read, compared and diffed by the controller while the key never leaves the host. A conf written by
 * hand (the seed's, with a PrivateKey line) is read with that line redacted on the host (see wireguard-fact.ts).
 */
import { ArgsError } from '../../../src/contract/index.js';
import { IFNAME, KEY, confFile, keyFile } from '../../../lib/net/wireguard-key.js';
import { containsAddress, isDefaultPrefix, isHostname, overlaps, parseAddress, parsePrefix, prefixText, type Prefix } from '../../../lib/net/prefix.js';

export interface PeerSpec {
  name?: string;
  public_key: string;
  address?: string;
  allowed_ips: string[];
  endpoint?: string;
  persistent_keepalive?: number;
}

export interface WgSpec {
  name: string;
  dir: string;
  address: string[];
  listen_port?: number;
  mtu?: number;
  peers: PeerSpec[];
}

export { IFNAME, KEY, confFile, keyFile };

export const CONF_HEADER = '# Managed by tsplay (wireguard): edit the playbook or inventory, not this file.\n';

const err = (msg: string, path: string): never => {
  throw new ArgsError(`wireguard: ${msg}`, path);
};

/** The interface addresses: host address + prefix (10.200.0.1/24), never the subnet's network address. */
export function interfaceAddresses(addrs: readonly string[]): Prefix[] {
  return addrs.map((t, i) => {
    const p = parsePrefix(t);
    if (!p || !t.includes('/')) return err(`address '${t}' is not an address with its prefix length (e.g. 10.200.0.1/24)`, `/address/${i}`);
    const max = p.family === 4 ? 32 : 128;
    if (!p.hostBits && p.bits < max - 1)
      return err(
        `address '${t}' is the network address of ${prefixText(p)}: give this end's own address in it, with the prefix length (e.g. 10.200.0.1/24)`,
        `/address/${i}`,
      );
    return p;
  });
}

/** The host address of an interface address (10.200.0.1 of 10.200.0.1/24). */
export function hostOf(p: Prefix): { family: 4 | 6; address: string; value: bigint } {
  return parseAddress(p.text.split('/')[0]!)!;
}

/** "host:port", "1.2.3.4:51820" or "[2001:db8::1]:51820" */
export function checkEndpoint(ep: string, path: string): void {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(ep.trim());
  if (!m) err(`endpoint '${ep}' must be HOST:PORT (IPv6: [ADDR]:PORT)`, path);
  const host = m![1] ?? m![2]!;
  const port = Number(m![3]);
  if (port < 1 || port > 65535) err(`endpoint '${ep}': port ${port} is out of range (1-65535)`, path);
  if (m![1] !== undefined ? parseAddress(host)?.family !== 6 : !parseAddress(host) && (/^[\d.]+$/.test(host) || !isHostname(host)))
    err(`endpoint '${ep}': '${host}' is not an IP address or a host name`, path);
}

/** A peer's AllowedIPs, its own tunnel address (as /32 or /128) first. */
export function peerPrefixes(p: PeerSpec): string[] {
  const own = p.address === undefined ? [] : [`${parseAddress(p.address)!.address}/${parseAddress(p.address)!.family === 4 ? 32 : 128}`];
  return [...own, ...p.allowed_ips.map((t) => prefixText(parsePrefix(t)!))];
}

/** Everything the arguments must satisfy before the host is touched; throws ArgsError. */
export function checkNames(s: Pick<WgSpec, 'name' | 'dir'>): void {
  if (!IFNAME.test(s.name)) err(`name '${s.name}' must be 1-15 letters, digits or _=+.- (wg-quick's interface names)`, '/name');
  if (!s.dir.startsWith('/')) err('dir must be an absolute path', '/dir');
}

export function checkSpec(s: WgSpec): void {
  checkNames(s);
  if (s.address.length === 0) err('address: at least one interface address is needed (e.g. 10.200.0.1/24)', '/address');
  const own = interfaceAddresses(s.address);
  const keys = new Map<string, number>();
  const claimed: { peer: number; prefix: Prefix; text: string }[] = [];
  s.peers.forEach((p, i) => {
    const at = `/peers/${i}`;
    const who = p.name ? `peer ${i} (${p.name})` : `peer ${i}`;
    if (!KEY.test(p.public_key.trim())) err(`${who}: public_key is not a WireGuard key (44 characters of base64, from \`wg pubkey\`)`, `${at}/public_key`);
    const dup = keys.get(p.public_key.trim());
    if (dup !== undefined) err(`${who} has the public key of peer ${dup}: one [Peer] per key`, `${at}/public_key`);
    keys.set(p.public_key.trim(), i);
    if (p.name !== undefined && /[\n\r]/.test(p.name)) err(`${who}: name must be one line`, `${at}/name`);
    if (p.endpoint !== undefined) checkEndpoint(p.endpoint, `${at}/endpoint`);
    const mine: { prefix: Prefix; text: string }[] = [];
    if (p.address !== undefined) {
      const a = parseAddress(p.address);
      if (!a) err(`${who}: address '${p.address}' is not an IP address (the peer's own tunnel address, without a prefix)`, `${at}/address`);
      const subnet = own.find((o) => containsAddress(o, a!));
      if (!subnet)
        err(
          `${who}: address ${p.address} is outside this interface's subnet${own.length > 1 ? 's' : ''} ${own.map(prefixText).join(', ')}: the tunnel's two ends must share one`,
          `${at}/address`,
        );
      if (own.some((o) => o.family === a!.family && hostOf(o).value === a!.value))
        err(`${who}: address ${p.address} is this interface's own address`, `${at}/address`);
      mine.push({ prefix: parsePrefix(p.address)!, text: p.address });
    }
    p.allowed_ips.forEach((t, j) => {
      const q = parsePrefix(t);
      if (!q || !t.includes('/')) err(`${who}: allowed_ips '${t}' is not a prefix (CIDR such as 172.31.0.0/16)`, `${at}/allowed_ips/${j}`);
      if (q!.hostBits) err(`${who}: allowed_ips '${t}' has host bits set: did you mean ${prefixText(q!)}?`, `${at}/allowed_ips/${j}`);
      for (const o of own) {
        if (!isDefaultPrefix(q!) && containsAddress(q!, hostOf(o)))
          err(
            `${who}: allowed_ips ${t} holds this interface's own address ${hostOf(o).address}: traffic to it would be sent to the peer`,
            `${at}/allowed_ips/${j}`,
          );
      }
      for (const m of mine) if (overlaps(m.prefix, q!)) err(`${who}: allowed_ips ${t} overlaps its own ${m.text}`, `${at}/allowed_ips/${j}`);
      mine.push({ prefix: q!, text: t });
    });
    if (mine.length === 0) err(`${who}: no address and no allowed_ips: WireGuard would route nothing to it`, `${at}/allowed_ips`);
    for (const m of mine) {
      const other = claimed.find((c) => overlaps(c.prefix, m.prefix));
      if (other)
        err(
          `${who}: ${m.text} overlaps ${other.text} of peer ${other.peer}: WireGuard routes each address to one peer only (cryptokey routing), the later peer would take it from the earlier`,
          `${at}/allowed_ips`,
        );
    }
    claimed.push(...mine.map((m) => ({ peer: i, ...m })));
  });
}

/**
 * The conf: [Interface] (Address, ListenPort, MTU, the PostUp loading the key file, and for each peer with a
 * keepalive a PostUp that starts the first handshake at once), then one [Peer] each.
 */
export function renderConf(s: WgSpec): string {
  const L: string[] = [
    CONF_HEADER.trimEnd(),
    `# The private key is in ${keyFile(s.dir, s.name)} (0600; it never leaves this host): PostUp loads it.`,
    '[Interface]',
  ];
  L.push(
    `Address = ${interfaceAddresses(s.address)
      .map((p) => `${hostOf(p).address}/${p.bits}`)
      .join(', ')}`,
  );
  if (s.listen_port !== undefined) L.push(`ListenPort = ${s.listen_port}`);
  if (s.mtu !== undefined) L.push(`MTU = ${s.mtu}`);
  L.push(`PostUp = wg set %i private-key ${keyFile(s.dir, s.name)}`);
  // the keepalive set at link-up, before the key, started a handshake that failed (retried 5 s later): once
  // the key is there, turning keepalive off and on again sends one at once
  for (const p of s.peers) {
    const k = p.public_key.trim();
    if (p.persistent_keepalive)
      L.push(`PostUp = wg set %i peer ${k} persistent-keepalive 0 && wg set %i peer ${k} persistent-keepalive ${p.persistent_keepalive}`);
  }
  for (const p of s.peers) {
    L.push('', '[Peer]');
    if (p.name) L.push(`# ${p.name}`);
    L.push(`PublicKey = ${p.public_key.trim()}`);
    L.push(`AllowedIPs = ${peerPrefixes(p).join(', ')}`);
    if (p.endpoint !== undefined) L.push(`Endpoint = ${p.endpoint.trim()}`);
    if (p.persistent_keepalive) L.push(`PersistentKeepalive = ${p.persistent_keepalive}`);
  }
  return L.join('\n') + '\n';
}

/** The redaction the host applies to a conf before the controller sees it (sed, see wireguard-fact.ts). */
export const REDACTED = '(redacted on the host)';
const KEY_LINE = /^(\s*(?:PrivateKey|PresharedKey)\s*=\s*).*$/gim;

/** Same as the host's sed: for canned files in tests, and as a second guard on anything shown. */
export function redactConf(text: string): string {
  return text.replace(KEY_LINE, `$1${REDACTED}`);
}

/** The live peer state wanted: public key → sorted AllowedIPs and keepalive. */
export interface LivePeer {
  allowedIps: string[];
  keepalive: number;
}

export function wantedPeers(s: WgSpec): Map<string, LivePeer> {
  return new Map(s.peers.map((p) => [p.public_key.trim(), { allowedIps: [...peerPrefixes(p)].sort(), keepalive: p.persistent_keepalive ?? 0 }]));
}

export function samePeers(a: Map<string, LivePeer>, b: Map<string, LivePeer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.keepalive !== v.keepalive || w.allowedIps.join(',') !== v.allowedIps.join(',')) return false;
  }
  return true;
}
