/**
 * playbooks/cloudnode.yml's DNS registration through the CLI (`--tags dns_register`, the rest of the play is
 * proven by cloudnode-playbook.test.ts), against a real BIND in the lab 'dzc':
 *   dns1          named with a TSIG key: cluster.example.com, the lab's reverse zone, privatelink.blob.core.
 *                 windows.net and 0.0.10.in-addr.arpa take dynamic updates; filez.example.com and
 *                 0.99.10.in-addr.arpa are plain zone files
 *   cloudnode001  the cloud node registering itself
 *   login1        another host asking (host NAME SERVER)
 * Measured: check mode sends nothing; the node's A and PTR and the storage private endpoint's A and PTR
 * (seed 001) answered from login1; the updates sent from dns1 (delegate_to) or from the node; a second run
 * changed=0; a changed address replacing the A record (one record) and the old address's PTR removed; the zone-file path (dns_registration:
 * file) edited on dns1 and answered, then changed=0; the TSIG secret in no output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startLab, stopLab, type Lab } from '../harness/lab.js';
import { recap, tsplay } from '../harness/cli.js';

const LAB = 'dzc';
const DOMAIN = 'cluster.example.com';
const FILEZ = 'filez.example.com';
const PL = 'privatelink.blob.core.windows.net';
const FQDN = `cloudnode001.${DOMAIN}`;

let lab: Lab;
let dir: string;
let server: string;
let node: string;
let net: string;
let secret: string;

async function sh(host: string, cmd: string, input?: string): Promise<string> {
  const r = await lab.exec(host, cmd, input === undefined ? undefined : { input });
  if (r.rc !== 0) throw new Error(`${host}: ${cmd}: rc ${r.rc}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const soa = (zone: string, serial: number) => `$TTL 3600
@ IN SOA ns1.${DOMAIN}. hostmaster.${DOMAIN}. ( ${serial} 3600 600 86400 300 )
@ IN NS ns1.${DOMAIN}.
`;

async function startNamed(revZone: string): Promise<void> {
  const dyn = [DOMAIN, revZone, PL, '0.0.10.in-addr.arpa'];
  const files = [FILEZ, '0.99.10.in-addr.arpa'];
  const conf =
    `include "/etc/bind/dz.key";
options { directory "/var/cache/bind"; pid-file "/run/named/named.pid"; listen-on { any; }; listen-on-v6 { none; };
  recursion no; allow-query { any; }; dnssec-validation no; };
` +
    dyn.map((z) => `zone "${z}" { type primary; file "/var/lib/bind/db.${z}"; allow-update { key dz-key; }; };\n`).join('') +
    files.map((z) => `zone "${z}" { type primary; file "/var/lib/bind/db.${z}"; };\n`).join('');
  await sh('dns1', 'tsig-keygen -a hmac-sha256 dz-key > /etc/bind/dz.key && chown root:bind /etc/bind/dz.key && chmod 0640 /etc/bind/dz.key');
  await sh('dns1', 'test -s /etc/bind/rndc.key || rndc-confgen -a; chown root:bind /etc/bind/rndc.key; chmod 0640 /etc/bind/rndc.key');
  await sh('dns1', 'cat > /etc/bind/named.conf', conf);
  for (const z of [...dyn, ...files]) await sh('dns1', `cat > /var/lib/bind/db.${z}`, soa(z, 2026010100) + (z === DOMAIN ? `ns1 IN A ${server}\n` : ''));
  await sh('dns1', 'chown bind:bind /var/lib/bind/db.* && mkdir -p /run/named && chown bind:bind /run/named');
  await sh('dns1', 'named-checkconf /etc/bind/named.conf && named -u bind -c /etc/bind/named.conf');
  for (let i = 0; i < 50; i++) {
    if ((await lab.exec('login1', `dig @${server} +norecurse +short ${DOMAIN} SOA`)).stdout.trim()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('named on dns1 does not answer');
}

const host = (q: string) => sh('login1', `host ${q} ${server}`);
const dig = (name: string, type: string) => sh('login1', `dig @${server} +norecurse +noall +answer ${name} ${type}`);
const serials = async () =>
  Promise.all([DOMAIN, PL, FILEZ].map(async (z) => (await sh('login1', `dig @${server} +norecurse +short ${z} SOA`)).split(/\s+/)[2]));

/** cloudnode.yml's registration tasks on the lab (cloudnode001 in cloud_nodes), with these vars files and -e. */
const play = (files: string[], ...extra: string[]) =>
  tsplay([
    'run',
    'playbooks/cloudnode.yml',
    '-i',
    lab.inventory,
    '-i',
    join(dir, 'site.yml'),
    '--tags',
    'dns_register',
    ...files.flatMap((f) => ['-e', `@${join(dir, f)}`]),
    ...extra,
  ]);

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: ['dns1', 'cloudnode001', 'login1'], sudo: 'nopasswd' });
  server = lab.host('dns1').ip;
  node = lab.host('cloudnode001').ip;
  net = server.split('.').slice(0, 3).join('.');
  await startNamed(`${server.split('.').slice(0, 3).reverse().join('.')}.in-addr.arpa`);
  secret = /secret "([^"]+)"/.exec(await sh('dns1', 'cat /etc/bind/dz.key'))![1]!;
  dir = mkdtempSync(join(tmpdir(), 'dzc-'));
  writeFileSync(
    join(dir, 'site.yml'),
    stringify({ all: { children: { cloud_nodes: { hosts: { cloudnode001: null } }, dns_servers: { hosts: { dns1: null } } }, vars: { domain: DOMAIN } } }),
  );
  writeFileSync(
    join(dir, 'dns.yml'),
    stringify({
      dns_update_server: server,
      dns_update_key_name: 'dz-key',
      dns_update_key_secret: secret,
      storage_account: 'myexamplestorage',
      storage_private_endpoint_ip: '10.0.0.7',
      storage_private_endpoint_ptr: true,
    }),
  );
  writeFileSync(join(dir, 'delegate.yml'), stringify({ dns_update_delegate: 'dns1' }));
  writeFileSync(
    join(dir, 'file.yml'),
    stringify({
      dns_registration: 'file',
      dns_zone_host: 'dns1',
      domain: FILEZ,
      dns_forward_zone_file: `/var/lib/bind/db.${FILEZ}`,
      dns_reverse_zone: '0.99.10.in-addr.arpa',
      dns_reverse_zone_file: '/var/lib/bind/db.0.99.10.in-addr.arpa',
      dns_node_address: '10.99.0.5',
    }),
  );
}, 180_000);

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await stopLab(LAB);
});

describe('cloudnode.yml registers the node in the on-prem DNS (lab dzc)', () => {
  const outputs: string[] = [];

  it('check mode reports the records and sends nothing', async () => {
    const before = await serials();
    const r = await play(['dns.yml', 'delegate.yml'], '--check');
    outputs.push(r.all);
    expect(r.code, r.all).toBe(0);
    expect(recap(r.stdout).cloudnode001).toMatchObject({ changed: 3, failed: 0 });
    expect(await serials()).toEqual(before);
    expect(await dig(FQDN, 'A')).toBe('');
  });

  it('delegated to dns1: A, PTR and the privatelink records answer from login1; a second run changed=0', async () => {
    const r = await play(['dns.yml', 'delegate.yml']);
    outputs.push(r.all);
    expect(r.code, r.all).toBe(0);
    expect(recap(r.stdout).cloudnode001).toMatchObject({ changed: 3, failed: 0 });
    expect(r.stdout).toMatch(/changed: \[cloudnode001 -> dns1[\](]/);
    expect(await host(FQDN)).toContain(`${FQDN} has address ${node}`);
    expect(await host(node)).toContain(`domain name pointer ${FQDN}.`);
    expect(await host(`myexamplestorage.${PL}`)).toContain(`myexamplestorage.${PL} has address 10.0.0.7`);
    expect(await host('10.0.0.7')).toContain(`domain name pointer myexamplestorage.${PL}.`);
    const again = await play(['dns.yml', 'delegate.yml']);
    outputs.push(again.all);
    expect(recap(again.stdout).cloudnode001, again.all).toMatchObject({ changed: 0, failed: 0 });
  });

  it('a changed address replaces the A record (one record) and drops the old PTR; from the node itself (no delegate) too', async () => {
    const r = await play(['dns.yml', 'delegate.yml'], '-e', `dns_node_address=${net}.77`);
    outputs.push(r.all);
    expect(recap(r.stdout).cloudnode001, r.all).toMatchObject({ changed: 3, failed: 0 });
    expect(await dig(node.split('.').reverse().join('.') + '.in-addr.arpa', 'PTR')).toBe(''); // the old address's PTR removed
    expect((await dig(FQDN, 'A')).trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`\\s${net.replace(/\./g, '\\.')}\\.77$`))]);
    expect(await host(`${net}.77`)).toContain(`domain name pointer ${FQDN}.`);
    const self = await play(['dns.yml']);
    outputs.push(self.all);
    expect(recap(self.stdout).cloudnode001, self.all).toMatchObject({ changed: 3, failed: 0 }); // A back, PTR back, the .77 PTR removed
    expect(await dig(`77.${net.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR')).toBe('');
    expect(self.stdout).toMatch(/changed: \[cloudnode001\]/);
    expect(self.stdout).not.toContain('-> dns1');
    expect((await dig(FQDN, 'A')).trim().split('\n')).toHaveLength(1);
    expect(await host(FQDN)).toContain(`${FQDN} has address ${node}`);
  });

  it('dns_registration: file — the zone files edited on dns1 (serial raised, reloaded), answered; then changed=0', async () => {
    const r = await play(['file.yml']);
    outputs.push(r.all);
    expect(r.code, r.all).toBe(0);
    expect(recap(r.stdout).cloudnode001, r.all).toMatchObject({ changed: 2, failed: 0 });
    expect(await host(`cloudnode001.${FILEZ}`)).toContain(`cloudnode001.${FILEZ} has address 10.99.0.5`);
    expect(await host('10.99.0.5')).toContain(`domain name pointer cloudnode001.${FILEZ}.`);
    expect(await sh('dns1', `grep -c . /var/lib/bind/db.${FILEZ}; ls /var/lib/bind/db.${FILEZ}.jnl 2>/dev/null || true`)).toBe('4\n');
    const again = await play(['file.yml']);
    outputs.push(again.all);
    expect(recap(again.stdout).cloudnode001, again.all).toMatchObject({ changed: 0, failed: 0 });
  });

  it('the TSIG secret is in no output', () => {
    expect(outputs.length).toBeGreaterThan(5);
    for (const o of outputs) expect(o).not.toContain(secret);
  });
});
