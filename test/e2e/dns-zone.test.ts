/**
 * dns_zone against a real BIND (Debian 12's bind9) in the lab: dns1 runs named (started directly: no
 * systemd) with rndc on its default control channel, a file-managed forward zone file.example.com (comments,
 * $TTL, the SOA over three lines, a blank-owner record), its reverse zone, and a dynamic zone dyn.example.com
 * (allow-update with a TSIG key). The module runs on dns1 over SSH and sudo; client1 asks with dig.
 * Measured: check mode writes nothing; first run changed, second ok; the serial raised only on change
 * (date style); dig from client1 answers after the reload; a changed address replaces the old line; other
 * lines and comments kept; owner and mode kept; a bad record refused with named-checkzone's message and the
 * old file untouched; a journal present and the zone not frozen refused; frozen by rndc: edited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/connection/types.js';
import { converge, runModule } from '../harness/modules.js';
import { connectLabHost, startLab, stopLab, type Lab } from '../harness/lab.js';

const LAB = 'dzf';
const ZONE = 'file.example.com';
const DYN = 'dyn.example.com';
const FILE = `/var/lib/bind/db.${ZONE}`;
const DYNFILE = `/var/lib/bind/db.${DYN}`;

let lab: Lab;
let conn: Connection;
let server: string;
let net: string;
let revZone: string;
let revFile: string;

async function sh(host: string, cmd: string, input?: string): Promise<string> {
  const r = await lab.exec(host, cmd, input === undefined ? undefined : { input });
  if (r.rc !== 0) throw new Error(`${host}: ${cmd}: rc ${r.rc}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const forward = (ns: string) => `; ${ZONE}: kept by hand, and by tsplay for the cloud nodes
$TTL 1h
@\tIN\tSOA\tns1 hostmaster (
\t\t\t2026010101\t; serial YYYYMMDDnn
\t\t\t3600 600 86400 300 )
\tIN\tNS\tns1
ns1\tIN\tA\t${ns}\t; this server
node01\tIN\tA\t${net}.1
\tIN\tTXT\t"rack 1"
; end of the hand-kept part
`;
const simple = (serial: number) => `$TTL 3600
@ IN SOA ns1.${ZONE}. hostmaster.${ZONE}. ( ${serial} 3600 600 86400 300 )
@ IN NS ns1.${ZONE}.
`;

async function startNamed(): Promise<void> {
  const conf = `include "/etc/bind/dz.key";
options {
  directory "/var/cache/bind";
  pid-file "/run/named/named.pid";
  listen-on { any; };
  listen-on-v6 { none; };
  recursion no;
  allow-query { any; };
  dnssec-validation no;
};
zone "${ZONE}" { type primary; file "${FILE}"; };
zone "${revZone}" { type primary; file "${revFile}"; };
zone "${DYN}" { type primary; file "${DYNFILE}"; allow-update { key dz-key; }; };
`;
  await sh('dns1', 'tsig-keygen -a hmac-sha256 dz-key > /etc/bind/dz.key && chown root:bind /etc/bind/dz.key && chmod 0640 /etc/bind/dz.key');
  await sh('dns1', 'test -s /etc/bind/rndc.key || rndc-confgen -a; chown root:bind /etc/bind/rndc.key; chmod 0640 /etc/bind/rndc.key');
  await sh('dns1', 'cat > /etc/bind/named.conf', conf);
  await sh('dns1', `cat > ${FILE}`, forward(server));
  await sh('dns1', `cat > ${revFile}`, simple(7));
  await sh('dns1', `cat > ${DYNFILE}`, simple(1) + `ns1 IN A ${server}\n`);
  await sh('dns1', 'chown bind:bind /var/lib/bind/db.* && chmod 0644 /var/lib/bind/db.* && mkdir -p /run/named && chown bind:bind /run/named');
  await sh('dns1', 'named-checkconf /etc/bind/named.conf && named -u bind -c /etc/bind/named.conf');
  for (let i = 0; i < 50; i++) {
    if ((await lab.exec('client1', `dig @${server} +norecurse +short ${ZONE} SOA`)).stdout.trim()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('named on dns1 does not answer');
}

const dig = (name: string, type: string) => sh('client1', `dig @${server} +norecurse +noall +answer ${name} ${type}`);
const serial = async (zone: string) => Number((await sh('client1', `dig @${server} +norecurse +short ${zone} SOA`)).split(/\s+/)[2]);
const fileState = (path = FILE) => sh('dns1', `stat -c '%U:%G %a' ${path}; md5sum < ${path}`);
const today = () => Number(new Date().toISOString().slice(0, 10).replace(/-/g, '') + '00');

const run = (args: Record<string, unknown>, opts: { check?: boolean; diff?: boolean } = {}) =>
  runModule(conn, 'dns_zone', { path: FILE, zone: ZONE, ...args }, { become: true, ...opts });

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: ['dns1', 'client1'], sudo: 'nopasswd' });
  server = lab.host('dns1').ip;
  net = server.split('.').slice(0, 3).join('.');
  revZone = `${server.split('.').slice(0, 3).reverse().join('.')}.in-addr.arpa`;
  revFile = `/var/lib/bind/db.${revZone}`;
  await startNamed();
  conn = await connectLabHost(lab, 'dns1');
}, 180_000);

afterAll(async () => {
  await conn?.close().catch(() => undefined);
  await stopLab(LAB);
});

describe('dns_zone on a BIND zone file (lab dzf)', () => {
  it('A for cloudnode001: check mode writes nothing, first changed (serial raised, reloaded), second ok; dig answers', async () => {
    const before = await sh('dns1', `cat ${FILE}`);
    const unchanged = async () => ({ file: await fileState(), serial: await serial(ZONE), a: await dig(`cloudnode001.${ZONE}`, 'A') });
    const c = await converge(
      conn,
      'dns_zone',
      { path: FILE, zone: ZONE, record: 'cloudnode001', value: `${net}.201` },
      { become: true, diff: true, unchanged },
    );
    // check mode: the diff shows the record line and the serial; no write, no validate, no rndc reload
    const d = JSON.stringify(c.checked!.result.diff);
    expect(d).toContain(`cloudnode001\\t3600\\tIN\\tA\\t${net}.201`);
    expect(d).toContain(String(today()));
    expect(c.checked!.commands.some((x) => /named-checkzone|rndc reload|mv -f/.test(x.script))).toBe(false);
    expect(c.first.result).toMatchObject({ changed: true, reloaded: true, previous_serial: 2026010101, serial: today() });
    expect(c.first.commands.filter((x) => x.script.includes('rndc reload'))).toHaveLength(1);
    expect(c.second.result).toMatchObject({ changed: false, serial: today() });
    expect(c.second.commands.some((x) => /named-checkzone|rndc reload/.test(x.script))).toBe(false);
    expect(await serial(ZONE)).toBe(today());
    expect(await sh('client1', `host cloudnode001.${ZONE} ${server}`)).toContain(`cloudnode001.${ZONE} has address ${net}.201`);
    // every other line and comment kept: only the serial line changed and the record line was added at the end
    const after = await sh('dns1', `cat ${FILE}`);
    expect(after).toBe(before.replace('2026010101', String(today())) + `cloudnode001\t3600\tIN\tA\t${net}.201\n`);
    expect(await fileState()).toMatch(/^bind:bind 644\n/);
  });

  it('a changed address replaces the old line (one A), the serial raised again; unchanged: no bump (the current serial returned)', async () => {
    const r = await run({ record: 'cloudnode001', value: `${net}.202` });
    expect(r.result).toMatchObject({ changed: true, previous: { ttl: 3600, values: [`${net}.201`] }, serial: today() + 1 });
    const lines = (await dig(`cloudnode001.${ZONE}`, 'A')).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`\\s${net.replace(/\./g, '\\.')}\\.202$`));
    expect((await sh('dns1', `grep -c cloudnode001 ${FILE}`)).trim()).toBe('1');
    expect((await run({ record: 'cloudnode001', value: `${net}.202` })).result).toMatchObject({ changed: false, serial: today() + 1 });
    expect(await serial(ZONE)).toBe(today() + 1);
  });

  it('PTR in the reverse zone file (serial not a date: +1); TXT; state absent', async () => {
    const p = await run({ path: revFile, zone: revZone, record: '202', type: 'PTR', value: `cloudnode001.${ZONE}.` });
    expect(p.result).toMatchObject({ changed: true, previous_serial: 7, serial: 8 });
    expect(await sh('client1', `host ${net}.202 ${server}`)).toContain(`domain name pointer cloudnode001.${ZONE}.`);
    expect((await run({ path: revFile, zone: revZone, record: '202', type: 'PTR', value: `cloudnode001.${ZONE}` })).result.changed).toBe(false);
    expect((await run({ record: 'cloudnode001', type: 'TXT', value: 'burst node' })).result.changed).toBe(true);
    expect(await dig(`cloudnode001.${ZONE}`, 'TXT')).toContain('"burst node"');
    const gone = await run({ record: 'cloudnode001', type: 'TXT', state: 'absent' });
    expect(gone.result.changed).toBe(true);
    expect(await dig(`cloudnode001.${ZONE}`, 'TXT')).toBe('');
    expect((await run({ record: 'cloudnode001', type: 'TXT', state: 'absent' })).result.changed).toBe(false);
  });

  it("a bad record: named-checkzone's message, the old file untouched, the serial not raised", async () => {
    const before = await fileState();
    const s = await serial(ZONE);
    const r = await run({ record: 'node01', type: 'CNAME', value: `ns1.${ZONE}.` });
    expect(r.result.failed).toBe(true);
    expect(String(r.result.msg)).toMatch(/failed to validate/);
    expect(String(r.result.msg)).toMatch(/CNAME and other data/);
    expect(await fileState()).toBe(before);
    expect(await serial(ZONE)).toBe(s);
    expect((await sh('dns1', 'ls /var/lib/bind')).split('\n').filter((f) => f.includes('tmp') || f.startsWith('.'))).toEqual([]);
  });

  it('a dynamic zone with a journal, not frozen: refused (check mode too); frozen by rndc: edited and reloaded', async () => {
    // dynamic (allow-update) but no journal yet: rndc zonestatus says so
    const nojnl = await run({ path: DYNFILE, zone: DYN, record: 'early', value: `${net}.59` });
    expect(String(nojnl.result.msg)).toContain(`zone ${DYN} takes dynamic updates (rndc zonestatus says dynamic: yes)`);
    const secret = /secret "([^"]+)"/.exec(await sh('dns1', 'cat /etc/bind/dz.key'))![1]!;
    await sh('client1', 'nsupdate', `key hmac-sha256:dz-key ${secret}\nserver ${server}\nzone ${DYN}\nupdate add dyn1.${DYN} 300 IN A ${net}.50\nsend\n`);
    await sh('dns1', `for i in $(seq 50); do test -e ${DYNFILE}.jnl && exit 0; sleep 0.1; done; exit 1`);
    const args = { path: DYNFILE, zone: DYN, record: 'cloudnode001', value: `${net}.60` };
    const before = await fileState(DYNFILE);
    for (const check of [true, false]) {
      const r = await run(args, { check });
      expect(r.result.failed).toBe(true);
      expect(String(r.result.msg)).toContain(`zone ${DYN} takes dynamic updates`);
      expect(String(r.result.msg)).toMatch(/rndc freeze dyn\.example\.com.*nsupdate/);
    }
    expect(await fileState(DYNFILE)).toBe(before);
    await sh('dns1', `rndc freeze ${DYN}`);
    const f = await run(args);
    expect(f.result).toMatchObject({ changed: true, reloaded: true });
    expect((await run(args)).result.changed).toBe(false);
    await sh('dns1', `rndc thaw ${DYN}`);
    expect(await dig(`cloudnode001.${DYN}`, 'A')).toContain(`${net}.60`);
    expect(await dig(`dyn1.${DYN}`, 'A')).toContain(`${net}.50`); // the update made before the freeze is in the file too
  });

  it('bad input refused before anything is read', async () => {
    await expect(run({ record: 'x', type: 'MX', value: 'a' })).rejects.toThrow(/type/);
    await expect(run({ record: 'x', value: '10.0.0.300' })).rejects.toThrow(/not an IPv4 address/);
    await expect(run({ record: 'x.other.org.', value: '10.0.0.3' })).rejects.toThrow(/not in zone/);
    await expect(run({ record: 'x' })).rejects.toThrow(/value/);
  });
});
