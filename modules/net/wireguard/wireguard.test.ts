/**
 * wireguard: the conf rendered from typed arguments, the refusals
 * (with their messages and argument paths), the key generated on the host (never on a command line, never
 * in a result), a hand-written conf's key adopted on the host and redacted in the diff, the live step chosen
 * (up / sync through a pipe / restart), check mode running nothing; on the shared fake host.
 */
import { describe, expect, it } from 'vitest';
import { renderDiff } from '../../../src/output/diff.js';
import { argsError, runGw, type GwHost } from '../../../test/harness/gateway.js';
import { wgPublicKey } from '../../../lib/net/wireguard-key.js';
import { parseWgLive, type WgLive } from './wireguard-fact.js';
import { REDACTED, redactConf, renderConf } from './wireguard-render.js';
import { liveCommand, syncCommand } from './wireguard.js';

// RFC 7748's X25519 test vector (Alice), base64: a real key pair, so wgPublicKey is checked too
const PRIV = 'dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=';
const PUB = 'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=';
const PEER = 'XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os=';
const PEER2 = '3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=';
const CONF = '/etc/wireguard/wg0.conf';
const KEYF = '/etc/wireguard/wg0.key';

const ARGS = {
  name: 'wg0',
  address: ['10.200.0.1/24'],
  listen_port: 51820,
  peers: [{ name: 'aws', public_key: PEER, address: '10.200.0.2', allowed_ips: ['172.31.0.0/16'], endpoint: '203.0.113.20:51820', persistent_keepalive: 25 }],
};

const FILE = `# Managed by tsplay (wireguard): edit the playbook or inventory, not this file.
# The private key is in /etc/wireguard/wg0.key (0600; it never leaves this host): PostUp loads it.
[Interface]
Address = 10.200.0.1/24
ListenPort = 51820
PostUp = wg set %i private-key /etc/wireguard/wg0.key
PostUp = wg set %i peer ${PEER} persistent-keepalive 0 && wg set %i peer ${PEER} persistent-keepalive 25

[Peer]
# aws
PublicKey = ${PEER}
AllowedIPs = 10.200.0.2/32, 172.31.0.0/16
Endpoint = 203.0.113.20:51820
PersistentKeepalive = 25
`;

function live(over: Partial<WgLive> = {}): WgLive {
  return {
    wg: true,
    wgQuick: true,
    init: 'sysv',
    unitActive: false,
    unitEnabled: false,
    link: false,
    addresses: [],
    peers: new Map(),
    routes: [],
    handshakes: new Map(),
    conf: null,
    ...over,
  };
}
/** the interface up exactly as FILE says */
const upLive = (over: Partial<WgLive> = {}) =>
  live({
    link: true,
    mtu: 1420,
    listenPort: 51820,
    publicKey: PUB,
    addresses: ['10.200.0.1/24'],
    peers: new Map([[PEER, { allowedIps: ['10.200.0.2/32', '172.31.0.0/16'], keepalive: 25 }]]),
    routes: ['172.31.0.0/16'],
    conf: FILE,
    ...over,
  });
const keyOk = { exists: true, attrs: '600 root root', publicKey: PUB, wg: true, confHasKey: false };

function host(o: { live?: WgLive; key?: object; conf?: string } = {}): GwHost {
  return {
    dirs: ['/etc/wireguard'],
    files: o.conf !== undefined ? { [CONF]: { content: o.conf, mode: 0o600 } } : {},
    facts: { 'wireguard.live': o.live ?? live(), 'wireguard.key': o.key ?? { exists: false, wg: true, confHasKey: false } },
  };
}

describe('the conf', () => {
  it('[Interface] Address, ListenPort, the PostUp loading the key file; one [Peer] with its address first in AllowedIPs', () => {
    expect(renderConf({ ...ARGS, dir: '/etc/wireguard' })).toBe(FILE);
  });

  it('several addresses and peers, MTU, no keepalive when 0', () => {
    const c = renderConf({
      name: 'wg1',
      dir: '/etc/wireguard',
      address: ['10.200.0.1/24', 'fd00::1/64'],
      mtu: 1380,
      peers: [{ public_key: PEER, allowed_ips: ['172.31.0.0/16', '172.32.0.0/16'], persistent_keepalive: 0 }],
    });
    expect(c).toContain('Address = 10.200.0.1/24, fd00::1/64\nMTU = 1380\nPostUp = wg set %i private-key /etc/wireguard/wg1.key\n');
    expect(c).toContain(`[Peer]\nPublicKey = ${PEER}\nAllowedIPs = 172.31.0.0/16, 172.32.0.0/16\n`);
    expect(c).not.toMatch(/PersistentKeepalive|persistent-keepalive/);
    expect(c).not.toContain('ListenPort');
  });

  it('the host-side redaction (sed) and its TS twin hide PrivateKey and PresharedKey values, any case', () => {
    expect(redactConf(`[Interface]\nPrivateKey = ${PRIV}\n[Peer]\n  presharedkey=abc\nPublicKey = ${PEER}\n`)).toBe(
      `[Interface]\nPrivateKey = ${REDACTED}\n[Peer]\n  presharedkey=${REDACTED}\nPublicKey = ${PEER}\n`,
    );
  });

  it('the live state as `wg show IF <field>` prints it', () => {
    const out = `wg=yes\nwgquick=yes\nlink=yes\nmtu=1420\nport=51820\npub=${PUB}\n@@tsplay:addr\n10.200.0.1/24\n@@tsplay:allowed\n${PEER}\t172.31.0.0/16 10.200.0.2/32\n${PEER2}\t(none)\n@@tsplay:keepalive\n${PEER}\t25\n${PEER2}\toff\n@@tsplay:handshakes\n${PEER}\t1796283150\n${PEER2}\t0\n@@tsplay:conf\n[Interface]\n`;
    const l = parseWgLive(out);
    expect(l).toMatchObject({
      wg: true,
      wgQuick: true,
      init: 'sysv',
      link: true,
      mtu: 1420,
      listenPort: 51820,
      publicKey: PUB,
      addresses: ['10.200.0.1/24'],
      conf: '[Interface]\n',
    });
    expect(l.peers.get(PEER)).toEqual({ allowedIps: ['10.200.0.2/32', '172.31.0.0/16'], keepalive: 25 });
    expect(l.peers.get(PEER2)).toEqual({ allowedIps: [], keepalive: 0 });
    expect(l.handshakes.get(PEER)).toBe(1796283150);
  });

  it("the public key of a vault key is computed here, as `wg pubkey` would (RFC 7748's vector)", () => {
    expect(wgPublicKey(PRIV)).toBe(PUB);
  });
});

describe('refusals, before the host is touched', () => {
  const peer = ARGS.peers[0]!;
  it.each<[string, Record<string, unknown>, RegExp, string]>([
    [
      'overlapping AllowedIPs between peers',
      { peers: [peer, { public_key: PEER2, allowed_ips: ['172.31.128.0/17'] }] },
      /peer 1: 172\.31\.128\.0\/17 overlaps 172\.31\.0\.0\/16 of peer 0: WireGuard routes each address to one peer only/,
      '/peers/1/allowed_ips',
    ],
    [
      'a peer address outside the subnet',
      { peers: [{ ...peer, address: '10.201.0.2' }] },
      /peer 0 \(aws\): address 10\.201\.0\.2 is outside this interface's subnet 10\.200\.0\.0\/24/,
      '/peers/0/address',
    ],
    [
      "the peer given this end's own address",
      { peers: [{ ...peer, address: '10.200.0.1' }] },
      /address 10\.200\.0\.1 is this interface's own address/,
      '/peers/0/address',
    ],
    [
      "AllowedIPs holding this end's address",
      { peers: [{ ...peer, address: undefined, allowed_ips: ['10.200.0.0/24'] }] },
      /allowed_ips 10\.200\.0\.0\/24 holds this interface's own address 10\.200\.0\.1/,
      '/peers/0/allowed_ips/0',
    ],
    [
      'AllowedIPs with host bits',
      { peers: [{ ...peer, allowed_ips: ['172.31.0.1/16'] }] },
      /allowed_ips '172\.31\.0\.1\/16' has host bits set: did you mean 172\.31\.0\.0\/16\?/,
      '/peers/0/allowed_ips/0',
    ],
    ['an address without prefix', { address: ['10.200.0.1'] }, /address '10\.200\.0\.1' is not an address with its prefix length/, '/address/0'],
    [
      "the subnet's network address as Address",
      { address: ['10.200.0.0/24'] },
      /address '10\.200\.0\.0\/24' is the network address of 10\.200\.0\.0\/24/,
      '/address/0',
    ],
    ['no address', { address: [] }, /address: at least one interface address is needed/, '/address'],
    ['a malformed public key', { peers: [{ ...peer, public_key: 'not-a-key' }] }, /peer 0 \(aws\): public_key is not a WireGuard key/, '/peers/0/public_key'],
    [
      'the same key twice',
      { peers: [peer, { ...peer, name: undefined, address: undefined, allowed_ips: ['172.32.0.0/16'] }] },
      /peer 1 has the public key of peer 0/,
      '/peers/1/public_key',
    ],
    ['an endpoint without port', { peers: [{ ...peer, endpoint: '203.0.113.20' }] }, /endpoint '203\.0\.113\.20' must be HOST:PORT/, '/peers/0/endpoint'],
    ['an endpoint port out of range', { peers: [{ ...peer, endpoint: 'gw.example.com:70000' }] }, /port 70000 is out of range/, '/peers/0/endpoint'],
    ['a peer routing nothing', { peers: [{ public_key: PEER }] }, /no address and no allowed_ips/, '/peers/0/allowed_ips'],
    ['an interface name wg-quick refuses', { name: 'wireguard-to-aws-0' }, /name 'wireguard-to-aws-0' must be 1-15 letters/, '/name'],
  ])('%s', (_t, over, msg, path) => {
    const e = argsError('wireguard', { ...ARGS, ...over });
    expect(e, 'accepted').toBeDefined();
    expect(e!.message).toMatch(msg);
    expect(e!.path).toBe(path);
  });

  it('a full tunnel (0.0.0.0/0) to one peer is accepted', () => {
    expect(argsError('wireguard', { ...ARGS, peers: [{ public_key: PEER, allowed_ips: ['0.0.0.0/0'] }] })).toBeUndefined();
  });

  it('wireguard_key: a malformed vault key is refused without quoting it', () => {
    const e = argsError('wireguard_key', { private_key: 'secret-but-not-a-key' });
    expect(e!.message).toMatch(/private_key is not a WireGuard key/);
    expect(e!.message).not.toContain('secret-but-not-a-key');
  });
});

describe('the wireguard module on a fake host', () => {
  it('fresh host: the key generated on the host, the conf written 0600 from stdin (checked), wg-quick up', async () => {
    const r = await runGw('wireguard', ARGS, host());
    expect(r.result.failed, r.result.msg).toBeFalsy();
    expect(r.result).toMatchObject({ changed: true, key: 'generate', live: 'up', path: CONF, key_file: KEYF });
    const [key, write, up] = r.commands;
    expect(key!.script).toContain('umask 077');
    expect(key!.script).toContain('wg genkey > "$_t"');
    expect(key!.script).toContain(`mv -f -- "$_t" ${KEYF}`);
    expect(key!.stdin).toBeUndefined();
    expect(write!.stdin).toBe(FILE);
    expect(write!.script).toMatch(/chmod 00600 -- "\$_t"|chmod 00600/);
    expect(write!.script).toContain('wg-quick strip "$_d"/wg0.conf');
    expect(up!.script).toContain('wg-quick up /etc/wireguard/wg0.conf </dev/null >"$_o" 2>&1');
    expect(r.commands).toHaveLength(3);
  });

  it('check mode: the plan and the diff, no command run', async () => {
    const r = await runGw('wireguard', ARGS, host(), { check: true });
    expect(r.result.changed).toBe(true);
    expect(r.commands).toEqual([]);
    expect(r.result.msg).toBe(
      `generate the private key ${KEYF} (wg genkey, on the host), create ${CONF}, bring the interface up (no systemd: no boot-time start)`,
    );
    expect(r.result.diff?.[0]?.after).toBe(FILE);
  });

  it('everything in line: ok, nothing run; the public key returned', async () => {
    const r = await runGw('wireguard', ARGS, host({ conf: FILE, live: upLive(), key: keyOk }));
    expect(r.result).toMatchObject({ changed: false, public_key: PUB });
    expect(r.commands).toEqual([]);
  });

  it('a peer change: the conf replaced, then wg syncconf through a pipe with the key file (the tunnel stays up)', async () => {
    const args = { ...ARGS, peers: [{ ...ARGS.peers[0]!, persistent_keepalive: 15, allowed_ips: ['172.31.0.0/16', '172.32.0.0/16'] }] };
    const r = await runGw('wireguard', args, host({ conf: FILE, live: upLive(), key: keyOk }));
    expect(r.result).toMatchObject({ changed: true, live: 'sync', routes: { add: ['172.32.0.0/16'], del: [] } });
    const sync = r.commands.at(-2)!.script;
    expect(sync).toBe(syncCommand('wg0', CONF, KEYF));
    expect(sync).toBe(
      `{ printf '[Interface]\\nPrivateKey = '; cat -- ${KEYF}; wg-quick strip ${CONF} | sed '/^\\[Interface\\]/d'; } | wg syncconf wg0 /dev/stdin`,
    );
    expect(sync).not.toContain('<(');
    const shown = renderDiff(r.result.diff![0]!);
    expect(shown).toContain('-PersistentKeepalive = 25\n+PersistentKeepalive = 15');
  });

  it('a new AllowedIPs: after the syncconf its route through wg0 (syncconf sets peers only); a removed one loses it', async () => {
    const args = { ...ARGS, peers: [{ ...ARGS.peers[0]!, allowed_ips: ['172.32.0.0/16'] }] };
    const r = await runGw('wireguard', args, host({ conf: FILE, live: upLive(), key: keyOk }));
    expect(r.result).toMatchObject({ changed: true, live: 'sync', routes: { add: ['172.32.0.0/16'], del: ['172.31.0.0/16'] } });
    expect(r.commands.at(-1)!.script).toBe('ip route del 172.31.0.0/16 dev wg0 || exit 1\nip route replace 172.32.0.0/16 dev wg0 || exit 1');
    expect(r.result.msg).toContain('routes through wg0: +172.32.0.0/16 -172.31.0.0/16');
  });

  it('a route through wg0 lost (conf and peers right): put back alone; a full tunnel is left to wg-quick', async () => {
    const r = await runGw('wireguard', ARGS, host({ conf: FILE, live: upLive({ routes: [] }), key: keyOk }));
    expect(r.result).toMatchObject({ changed: true, routes: { add: ['172.31.0.0/16'], del: [] } });
    expect(r.result.live).toBeUndefined();
    expect(r.commands.map((c) => c.script)).toEqual(['ip route replace 172.31.0.0/16 dev wg0 || exit 1']);
    const full = { ...ARGS, peers: [{ public_key: PEER, allowed_ips: ['0.0.0.0/0'] }] };
    const f = renderConf({ ...full, dir: '/etc/wireguard' });
    const st = upLive({ conf: f, routes: [], peers: new Map([[PEER, { allowedIps: ['0.0.0.0/0'], keepalive: 0 }]]) });
    expect((await runGw('wireguard', full, host({ conf: f, live: st, key: keyOk }))).result.changed).toBe(false);
  });

  it("the routes as `ip -o route show dev wg0` prints them: the kernel's own and link-local ones are not ours", () => {
    const out =
      'link=yes\n@@tsplay:routes\n10.200.0.0/24 proto kernel scope link src 10.200.0.1 \n172.31.0.0/16 scope link \n10.9.9.9 scope link \nfe80::/64 proto kernel metric 256 pref medium\n';
    expect(parseWgLive(out).routes).toEqual(['10.9.9.9', '172.31.0.0/16']);
  });

  it('a peer changed by hand (wg set) with the conf right: synced back', async () => {
    const r = await runGw(
      'wireguard',
      ARGS,
      host({ conf: FILE, live: upLive({ peers: new Map([[PEER, { allowedIps: ['10.200.0.2/32'], keepalive: 25 }]]) }), key: keyOk }),
    );
    expect(r.result).toMatchObject({ changed: true, live: 'sync' });
    expect(r.commands).toHaveLength(1);
  });

  it('an Address change: restart (wg-quick down && up)', async () => {
    const r = await runGw('wireguard', { ...ARGS, address: ['10.200.0.1/16'] }, host({ conf: FILE, live: upLive(), key: keyOk }));
    expect(r.result).toMatchObject({ changed: true, live: 'restart' });
    expect(r.commands.at(-1)!.script).toContain('wg-quick down /etc/wireguard/wg0.conf && wg-quick up /etc/wireguard/wg0.conf');
  });

  it('a seed-style conf with PrivateKey: adopted into the key file on the host, the diff redacted, the key nowhere', async () => {
    const seed = `[Interface]\nPrivateKey = ${PRIV}\nAddress = 10.200.0.1/24\nListenPort = 51820\n`;
    const r = await runGw(
      'wireguard',
      { ...ARGS, up: false },
      host({ conf: seed, live: live({ conf: redactConf(seed) }), key: { exists: false, wg: true, confHasKey: true } }),
    );
    expect(r.result).toMatchObject({ changed: true, key: 'adopt' });
    expect(r.commands[0]!.script).toContain(`sed -nE 's/^[[:space:]]*PrivateKey[[:space:]]*=[[:space:]]*([^[:space:]#]+).*$/\\1/Ip' ${CONF}`);
    const shown = renderDiff(r.result.diff![0]!);
    expect(shown).toContain(`-PrivateKey = ${REDACTED}`);
    const all = JSON.stringify({ result: r.result, commands: r.commands, logs: r.logs });
    expect(all).not.toContain(PRIV);
  });

  it('systemd as PID 1: systemctl start and enable wg-quick@wg0', async () => {
    const r = await runGw('wireguard', ARGS, host({ live: live({ init: 'systemd' }), key: keyOk }));
    expect(r.commands.map((c) => c.script).slice(-2)).toEqual(['systemctl start -- wg-quick@wg0', 'systemctl enable -- wg-quick@wg0']);
    expect(r.result.msg).toBeUndefined();
  });

  it('wg-quick missing: the task fails naming the package', async () => {
    const r = await runGw('wireguard', ARGS, host({ live: live({ wg: false, wgQuick: false }) }));
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/wg and wg-quick missing: install wireguard-tools first/);
  });

  it('absent: down, conf and key removed', async () => {
    const r = await runGw('wireguard', { name: 'wg0', state: 'absent' }, host({ conf: FILE, live: upLive(), key: keyOk }));
    expect(r.result).toMatchObject({ changed: true, live: 'down' });
    expect(r.commands.map((c) => c.script)).toEqual([
      liveCommand('down', { name: 'wg0', conf: CONF, key: KEYF, systemd: false }),
      `rm -f -- ${CONF}`,
      `rm -f -- ${KEYF}`,
    ]);
  });
});
