/**
 * nsupdate against a real BIND (Debian 12's bind9) in the lab: node1 runs named (started directly: no
 * systemd), with a TSIG key made by tsig-keygen on the host, the forward zone cluster.example.com and the
 * reverse zone of the lab's /24, both `allow-update { key tsplay-key; }`. node2 runs the module over SSH and
 * sudo. Measured: A and PTR for cloudnode001 answered by `host` from node2 (forward and reverse), the second
 * run ok, check mode sending no update (the zone's serial unchanged), a changed address replacing the old one
 * (exactly one A), a TTL change, state absent, bad input refused, and the TSIG secret in no command line, no
 * result and no output: only in nsupdate's stdin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/connection/types.js';
import { netFilters } from '../../src/engine/templating/filters-net.js';
import { converge, runModule, type ModuleRun } from '../harness/modules.js';
import { connectLabHost, startLab, stopLab, type Lab } from '../harness/lab.js';

const ZONE = 'cluster.example.com';
const FQDN = `cloudnode001.${ZONE}`;

let lab: Lab;
let conn: Connection;
let server: string;
let secret: string;
let net: string; // a.b.c of the lab /24
let revZone: string;
const runs: ModuleRun[] = [];

async function sh(host: string, cmd: string): Promise<string> {
  const r = await lab.exec(host, cmd);
  if (r.rc !== 0) throw new Error(`${host}: ${cmd}: rc ${r.rc}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const zoneFile = () => `$TTL 3600
@ IN SOA ns1.${ZONE}. hostmaster.${ZONE}. ( 1 3600 600 86400 300 )
@ IN NS ns1.${ZONE}.
`;

async function startNamed(): Promise<void> {
  const node1 = lab.host('node1').ip;
  const conf = `include "/etc/bind/tsplay.key";
options {
  directory "/var/cache/bind";
  pid-file "/run/named/named.pid";
  listen-on { any; };
  listen-on-v6 { none; };
  recursion no;
  allow-query { any; };
  dnssec-validation no;
};
zone "${ZONE}" { type primary; file "/var/lib/bind/${ZONE}.db"; allow-update { key tsplay-key; }; };
zone "${revZone}" { type primary; file "/var/lib/bind/${revZone}.db"; allow-update { key tsplay-key; }; };
`;
  await sh('node1', 'tsig-keygen -a hmac-sha256 tsplay-key > /etc/bind/tsplay.key && chown root:bind /etc/bind/tsplay.key && chmod 0640 /etc/bind/tsplay.key');
  await lab.exec('node1', 'cat > /etc/bind/named.conf', { input: conf });
  await lab.exec('node1', `cat > /var/lib/bind/${ZONE}.db`, { input: zoneFile() + `ns1 IN A ${node1}\n` });
  await lab.exec('node1', `cat > /var/lib/bind/${revZone}.db`, { input: zoneFile() });
  await sh('node1', 'chown bind:bind /var/lib/bind/*.db && mkdir -p /run/named && chown bind:bind /run/named && named-checkconf /etc/bind/named.conf');
  await sh('node1', 'named -u bind -c /etc/bind/named.conf');
  for (let i = 0; i < 50; i++) {
    if ((await lab.exec('node2', `dig @${node1} +norecurse +short ${ZONE} SOA`)).stdout.trim()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`named on node1 does not answer: ${(await lab.exec('node1', 'cat /var/cache/bind/*.log 2>/dev/null; ps ax | grep named')).stdout}`);
}

const key = () => ({ server, key_name: 'tsplay-key', key_secret: secret });
const A1 = () => `${net}.201`;
const A2 = () => `${net}.202`;
const digShort = (name: string, type: string) => sh('node2', `dig @${server} +norecurse +noall +answer ${name} ${type}`);
const serial = async (zone: string) => (await sh('node2', `dig @${server} +norecurse +short ${zone} SOA`)).split(/\s+/)[2];
const snapshot = async () => ({
  a: await digShort(FQDN, 'A'),
  ptr: await digShort(`201.${revZone}`, 'PTR'),
  s1: await serial(ZONE),
  s2: await serial(revZone),
});

async function run(args: Record<string, unknown>, opts: { check?: boolean } = {}): Promise<ModuleRun> {
  const r = await runModule(conn, 'nsupdate', { ...key(), ...args }, { become: true, ...opts });
  runs.push(r);
  return r;
}

beforeAll(async () => {
  lab = await startLab('nsup', { hosts: ['node1', 'node2'], sudo: 'nopasswd' });
  server = lab.host('node1').ip;
  net = server.split('.').slice(0, 3).join('.');
  revZone = `${server.split('.').slice(0, 3).reverse().join('.')}.in-addr.arpa`;
  await startNamed();
  secret = /secret "([^"]+)"/.exec(await sh('node1', 'cat /etc/bind/tsplay.key'))![1]!;
  conn = await connectLabHost(lab, 'node2');
}, 180_000);

afterAll(async () => {
  await conn?.close().catch(() => undefined);
  await stopLab('nsup');
});

describe('nsupdate against BIND (lab nsup)', () => {
  it('A for cloudnode001: check mode sends no update, then changed, then ok; host answers from node2', async () => {
    const c = await converge(conn, 'nsupdate', { ...key(), zone: ZONE, record: 'cloudnode001', type: 'A', value: A1() }, { become: true, unchanged: snapshot });
    runs.push(c.checked!, c.first, c.second);
    expect(c.checked!.commands.some((x) => x.script.includes('nsupdate') && !x.script.startsWith('dig'))).toBe(false);
    expect(c.checked!.commands.every((x) => x.script.startsWith('dig '))).toBe(true);
    expect(c.first.result.record).toEqual({ zone: `${ZONE}.`, record: `${FQDN}.`, type: 'A', ttl: 3600, value: [A1()] });
    expect(c.first.result.dns_rc).toBe(0);
    expect(c.second.commands.every((x) => x.script.startsWith('dig '))).toBe(true);
    const h = await sh('node2', `host ${FQDN} ${server}`);
    expect(h).toContain(`${FQDN} has address ${A1()}`);
  });

  it('PTR: the zone found by an SOA query, the name as ipaddr(revdns) gives it; the reverse lookup answers', async () => {
    const rev = String(netFilters.ipaddr!.fn({} as never, A1(), ['revdns'], {}));
    expect(rev).toBe(`${A1().split('.').reverse().join('.')}.in-addr.arpa.`);
    const c = await converge(conn, 'nsupdate', { ...key(), record: rev, type: 'PTR', value: `${FQDN}.` }, { become: true, unchanged: snapshot });
    runs.push(c.checked!, c.first, c.second);
    expect((c.first.result.record as { zone: string }).zone).toBe(`${revZone}.`);
    expect(await sh('node2', `host ${A1()} ${server}`)).toContain(`domain name pointer ${FQDN}.`);
  });

  it('a changed address replaces the old one (exactly one A), in one update', async () => {
    const r = await run({ zone: ZONE, record: 'cloudnode001', value: A2() });
    expect(r.result.changed).toBe(true);
    expect(r.commands.filter((x) => x.script === 'nsupdate')).toHaveLength(1);
    const lines = (await digShort(FQDN, 'A')).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`\\s3600\\s+IN\\s+A\\s+${A2().replace(/\./g, '\\.')}$`));
    expect((await run({ zone: ZONE, record: 'cloudnode001', value: A2() })).result.changed).toBe(false);
  });

  it('a TTL change applies (and then is ok)', async () => {
    const r = await run({ zone: ZONE, record: 'cloudnode001', value: A2(), ttl: 600 });
    expect(r.result.changed).toBe(true);
    expect((await digShort(FQDN, 'A')).trim()).toMatch(/\s600\s+IN\s+A\s/);
    expect((await run({ zone: ZONE, record: 'cloudnode001', value: A2(), ttl: 600 })).result.changed).toBe(false);
  });

  it('a list of values is the whole rrset; TXT quoted', async () => {
    const r = await run({ zone: ZONE, record: 'multi', value: [`${net}.10`, `${net}.11`] });
    expect(r.result.changed).toBe(true);
    expect((await digShort(`multi.${ZONE}`, 'A')).trim().split('\n')).toHaveLength(2);
    expect((await run({ zone: ZONE, record: 'multi', value: [`${net}.11`, `${net}.10`] })).result.changed).toBe(false);
    const t = await run({ zone: ZONE, record: 'multi', type: 'TXT', value: 'hello world' });
    expect(t.result.changed).toBe(true);
    expect(await digShort(`multi.${ZONE}`, 'TXT')).toContain('"hello world"');
    expect((await run({ zone: ZONE, record: 'multi', type: 'TXT', value: 'hello world' })).result.changed).toBe(false);
  });

  it('state absent removes (check mode first sends nothing), then ok', async () => {
    const c = await converge(conn, 'nsupdate', { ...key(), zone: ZONE, record: 'cloudnode001', state: 'absent' }, { become: true, unchanged: snapshot });
    runs.push(c.checked!, c.first, c.second);
    expect(await digShort(FQDN, 'A')).toBe('');
    const h = await lab.exec('node2', `host ${FQDN} ${server}`);
    expect(h.rc).not.toBe(0);
    const p = await run({ record: `${A1().split('.').reverse().join('.')}.in-addr.arpa.`, type: 'PTR', state: 'absent' });
    expect(p.result.changed).toBe(true);
    expect(await digShort(`201.${revZone}`, 'PTR')).toBe('');
  });

  it("a wrong key fails with the server's answer, the secret not in the message", async () => {
    const wrong = Buffer.from('not-the-key-at-all-0123456789abc').toString('base64');
    const r = await runModule(conn, 'nsupdate', { ...key(), key_secret: wrong, zone: ZONE, record: 'x', value: `${net}.9` }, { become: true });
    expect(r.result.failed).toBe(true);
    expect(JSON.stringify(r.result)).not.toContain(wrong);
    expect(String(r.result.msg)).toMatch(/update failed/);
  });

  it('bad input is refused before anything is sent', async () => {
    await expect(run({ zone: ZONE, record: 'x', type: 'MX', value: 'a' })).rejects.toThrow(/type/);
    await expect(run({ zone: ZONE, record: 'x', type: 'A', value: '10.0.0.300' })).rejects.toThrow(/not an IPv4 address/);
    await expect(run({ zone: ZONE, record: 'x', type: 'AAAA', value: '10.0.0.1' })).rejects.toThrow(/not an IPv6 address/);
    await expect(run({ zone: ZONE, record: 'x', type: 'A' })).rejects.toThrow(/value/);
  });

  it('the TSIG secret is in no command line, result or output: only in nsupdate stdin', () => {
    expect(runs.length).toBeGreaterThan(10);
    let inStdin = 0;
    for (const r of runs) {
      for (const c of r.commands) {
        expect(c.script).not.toContain(secret);
        if (c.stdin?.includes(secret)) inStdin++;
      }
      expect(JSON.stringify(r.result)).not.toContain(secret);
      expect(JSON.stringify(r.logs) + JSON.stringify(r.warnings)).not.toContain(secret);
    }
    expect(inStdin).toBeGreaterThan(0);
  });
});
