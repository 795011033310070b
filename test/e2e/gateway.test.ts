/**
 * The site-to-site VPN gateway against real lab hosts (Debian 12, Libreswan 4.10, firewalld installed but not
 * running, no systemd).
 *
 * Lab 'gwplay' (gw-onprem, gw-cloud, onprem1): playbooks/gateway.yml through the CLI, with the repository's
 * inventory/lab/group_vars/gateways.yml. gw-onprem is the on-prem gateway, gw-cloud plays the cloud's VPN
 * gateway. Both pluto daemons negotiate and establish the IKE SA. On a kernel with ESP (`tsplay lab features
 * xfrm`) the child SA is installed too; on one without, pluto logs "netlink response for Add SA esp...:
 * Protocol not supported", and the tests assert that this is the only reason the child SA is missing.
 * A wrong PSK on one side does not establish; the seeds' modp1024 proposal is refused before the host is
 * touched; the second run changes nothing; --check changes nothing; --diff shows the changes with the PSK masked.
 *
 * Lab 'gwmod' (gw1, gw2): the modules one by one through the engine (validate → check → apply) over ssh + sudo:
 * leftsubnets/leftsourceip conns loaded into a running pluto, checkconfig refusing a bad file, the
 * firewalld module offline, the route module's EL form.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Connection } from '../../src/connection/types.js';
import { runModule } from '../harness/modules.js';
import { connectLabHost, featureGate, startLab, stopLab, type Lab } from '../harness/lab.js';
import { recap, ROOT, tsplay } from '../harness/cli.js';

const GROUP_VARS = join(ROOT, 'inventory/lab/group_vars/gateways.yml');
const VARS = parse(readFileSync(GROUP_VARS, 'utf8')) as { vpn_conn: string; vpn_psk: string; vpn_onprem: { subnet: string }; vpn_cloud: { subnet: string } };
const CONN = VARS.vpn_conn;
/** ESP SAs (the child SA) need XFRM + ESP in the kernel */
const xfrm = featureGate('xfrm', 'gwplay expects no child (ESP) SA, only the IKE SA');

let play: Lab;
let mod: Lab;
let tmp: string;
let invDir: string;
const conns: Record<string, Connection> = {};

async function sh(lab: Lab, host: string, cmd: string): Promise<string> {
  const r = await lab.exec(host, cmd);
  if (r.rc !== 0) throw new Error(`${host}: ${cmd}: rc ${r.rc}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const gateway = (...extra: string[]) => tsplay(['run', 'playbooks/gateway.yml', '-i', play.inventory, '-i', invDir, ...extra]);

/** Poll until pred(stdout of cmd) holds (IKE negotiation is asynchronous). */
async function waitFor(lab: Lab, host: string, cmd: string, pred: (out: string) => boolean, ms = 30_000): Promise<string> {
  const end = Date.now() + ms;
  let out = '';
  while (Date.now() < end) {
    out = (await lab.exec(host, cmd)).stdout;
    if (pred(out)) return out;
    await new Promise((r) => setTimeout(r, 500));
  }
  return out;
}

const IKE_UP = /STATE_V2_ESTABLISHED_IKE_SA/;
const states = (host: string) => sh(play, host, 'ipsec showstates');

/** What the play writes, with timestamps: proves check mode (and refusals) left the hosts alone. */
const snapshot = (host: string) =>
  sh(play, host, `cd /etc/ipsec.d && sha256sum ${CONN}.conf ${CONN}.secrets && stat -c '%n %Y %a' ${CONN}.conf ${CONN}.secrets && ls -a`);

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'gw-e2e-'));
  [play, mod] = await Promise.all([
    startLab('gwplay', { hosts: ['gw-onprem', 'gw-cloud', 'onprem1'], sudo: 'nopasswd' }),
    startLab('gwmod', { hosts: ['gw1', 'gw2'], sudo: 'mixed' }),
  ]);
  // the groups the playbook runs on, and the repository's gateway group vars next to them
  invDir = join(tmp, 'inventory');
  mkdirSync(join(invDir, 'group_vars'), { recursive: true });
  writeFileSync(
    join(invDir, 'hosts.yml'),
    'all:\n  children:\n    gateways:\n      hosts:\n        gw-onprem:\n        gw-cloud:\n    onprem_nodes:\n      hosts:\n        onprem1:\n',
  );
  copyFileSync(GROUP_VARS, join(invDir, 'group_vars', 'gateways.yml'));
  for (const h of mod.hosts) {
    const c = await connectLabHost(mod, h.name);
    conns[h.name] = c;
  }
});

afterAll(async () => {
  await Promise.all(Object.values(conns).map((c) => c.close()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await Promise.all([stopLab('gwplay'), stopLab('gwmod')]);
});

describe('playbooks/gateway.yml (lab gwplay)', () => {
  it('check mode on fresh hosts plans changes and writes nothing', async () => {
    const r = await gateway('--check');
    expect(r.code, r.all).toBe(0);
    const rc = recap(r.stdout);
    expect(rc['gw-onprem']!.changed).toBeGreaterThanOrEqual(5);
    for (const h of ['gw-onprem', 'gw-cloud']) {
      expect((await play.exec(h, `ls /etc/ipsec.d/${CONN}.conf`)).rc).not.toBe(0);
      expect((await play.exec(h, 'ipsec whack --status')).rc).not.toBe(0); // pluto not started
    }
    expect(await sh(play, 'onprem1', 'ip route show 10.0.0.0/16')).toBe('');
  });

  it('first run: both gateways configured, pluto started, the IKE SA established between them', async () => {
    const t0 = Date.now();
    const r = await gateway();
    const secs = (Date.now() - t0) / 1000;
    expect(r.code, r.all).toBe(0);
    const rc = recap(r.stdout);
    for (const h of ['gw-onprem', 'gw-cloud']) expect(rc[h], r.stdout).toMatchObject({ failed: 0, unreachable: 0, changed: 6 }); // sysctl (a loop counts once), 2 x firewalld, secret, conn, pluto
    expect(rc['onprem1']).toMatchObject({ changed: 1, failed: 0 });
    expect(r.stdout).not.toContain(VARS.vpn_psk);
    console.log(`gateway.yml first run (3 hosts): ${secs.toFixed(1)} s`);

    // the files: conn 0644, secrets 0600 root, PSK quoted; the peers' lab addresses as left/right
    const onprem = play.host('gw-onprem').ip;
    const cloud = play.host('gw-cloud').ip;
    const conf = await sh(play, 'gw-onprem', `cat /etc/ipsec.d/${CONN}.conf`);
    expect(conf).toContain(
      `conn ${CONN}\n\tleft=${onprem}\n\tleftsubnet=${VARS.vpn_onprem.subnet}\n\tright=${cloud}\n\trightsubnet=${VARS.vpn_cloud.subnet}\n`,
    );
    expect(conf).toContain('\tike=aes256-sha1;modp2048\n');
    expect(await sh(play, 'gw-cloud', `grep -E 'left=|right=|subnet=' /etc/ipsec.d/${CONN}.conf`)).toBe(
      `\tleft=${cloud}\n\tleftsubnet=${VARS.vpn_cloud.subnet}\n\tright=${onprem}\n\trightsubnet=${VARS.vpn_onprem.subnet}\n`,
    );
    expect(await sh(play, 'gw-onprem', `stat -c '%a %U %G' /etc/ipsec.d/${CONN}.conf /etc/ipsec.d/${CONN}.secrets`)).toBe('644 root root\n600 root root\n');
    expect(await sh(play, 'gw-onprem', `tail -n1 /etc/ipsec.d/${CONN}.secrets`)).toBe(`${onprem} ${cloud} : PSK "${VARS.vpn_psk}"\n`);

    // kernel settings, persisted and live
    expect(
      await sh(
        play,
        'gw-onprem',
        'sysctl -n net.ipv4.ip_forward net.ipv4.conf.all.rp_filter net.ipv4.conf.default.send_redirects net.ipv4.conf.default.accept_redirects',
      ),
    ).toBe('1\n2\n0\n0\n');
    expect(await sh(play, 'gw-onprem', 'cat /etc/sysctl.d/60-ipsec-gateway.conf')).toMatch(/net.ipv4.conf.all.rp_filter=2/);
    // firewalld (not running in the lab): the permanent configuration
    expect(await sh(play, 'gw-onprem', 'firewall-offline-cmd --query-service=ipsec; firewall-offline-cmd --zone=trusted --query-source=10.2.0.0/16')).toBe(
      'yes\nyes\n',
    );
    expect(await sh(play, 'gw-cloud', 'firewall-offline-cmd --zone=trusted --query-source=10.0.0.0/16')).toBe('yes\n');

    // both daemons negotiated: the IKE SA is established on both ends
    const on = await waitFor(play, 'gw-onprem', 'ipsec showstates', (o) => IKE_UP.test(o));
    expect(on).toMatch(new RegExp(`"${CONN}":500 STATE_V2_ESTABLISHED_IKE_SA \\(established IKE SA\\)`));
    expect(await waitFor(play, 'gw-cloud', 'ipsec showstates', (o) => IKE_UP.test(o))).toMatch(IKE_UP);
    // (both ends initiate at start: crossing exchanges may leave one IKE SA per direction)
    expect(await sh(play, 'gw-onprem', 'ipsec status')).toMatch(/IKE SAs: total\([12]\), .*authenticated\([12]\)/);
    const logs = async () => (await sh(play, 'gw-onprem', 'cat /var/log/pluto.log')) + (await sh(play, 'gw-cloud', 'cat /var/log/pluto.log'));
    if (xfrm.available) {
      // the kernel has ESP: the child SA is installed (a traffic line for the conn)
      expect(await waitFor(play, 'gw-onprem', 'ipsec whack --trafficstatus', (o) => o.includes(`"${CONN}"`))).toContain(`"${CONN}"`);
    } else {
      // no child SA: the kernel refused the ESP SA (no CONFIG_INET_ESP), nothing else went wrong
      expect(await sh(play, 'gw-onprem', 'ipsec status')).toMatch(/IPsec SAs: total\(0\)/);
      expect(await sh(play, 'gw-onprem', 'ipsec whack --trafficstatus')).not.toMatch(/\S/);
      expect(await logs()).toMatch(/netlink response for Add SA esp\.[0-9a-f]+@[\d.]+: Protocol not supported/);
    }
    expect(await logs()).not.toMatch(/AUTHENTICATION_FAILED|NO_PROPOSAL_CHOSEN|no local proposal matches/);

    // onprem1: route via the gateway, live and in the ifupdown hook; the hook restores it as ifup would at boot
    expect(await sh(play, 'onprem1', 'ip route show 10.0.0.0/16')).toBe(`10.0.0.0/16 via ${onprem} dev eth0 \n`);
    await sh(play, 'onprem1', 'ip route del 10.0.0.0/16 && IFACE=eth0 /etc/network/if-up.d/tsplay-routes-eth0');
    expect(await sh(play, 'onprem1', 'ip route show 10.0.0.0/16')).toBe(`10.0.0.0/16 via ${onprem} dev eth0 \n`);
  });

  it('second run changes nothing', async () => {
    const r = await gateway();
    expect(r.code, r.all).toBe(0);
    for (const [h, s] of Object.entries(recap(r.stdout))) expect(s, h).toMatchObject({ changed: 0, failed: 0 });
    expect(await states('gw-onprem')).toMatch(IKE_UP);
  });

  it('--check --diff with a new PSK (from a vault) and proposal: shows the changes, PSK masked, changes nothing', async () => {
    const before = await Promise.all(['gw-onprem', 'gw-cloud'].map(snapshot));
    const vp = join(tmp, 'vault-pass');
    writeFileSync(vp, 'gw-lab-vault\n');
    const NEW_PSK = 'Vaulted-Key-7hQ2xR9w';
    const enc = await tsplay(['vault', 'encrypt-string', '--vault-password-file', vp, '-n', 'vpn_psk', NEW_PSK]);
    expect(enc.code, enc.all).toBe(0);
    writeFileSync(join(tmp, 'psk.yml'), enc.stdout);
    const r = await gateway('--check', '--diff', '--vault-password-file', vp, '-e', `@${join(tmp, 'psk.yml')}`, '-e', 'vpn_esp=aes256-sha2');
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain('-\tesp=aes128-sha1');
    expect(r.stdout).toContain('+\tesp=aes256-sha2');
    expect(r.stdout).toMatch(/-[\d.]+ [\d.]+ : PSK "\*{8}"\n\+[\d.]+ [\d.]+ : PSK "\*{8}" {3}# <- key changed \(both masked\)/);
    expect(r.all).not.toContain(NEW_PSK);
    expect(r.all).not.toContain(VARS.vpn_psk);
    for (const s of Object.values(recap(r.stdout)).slice(0, 2)) expect(s.changed).toBe(2);
    expect(await Promise.all(['gw-onprem', 'gw-cloud'].map(snapshot))).toEqual(before);
  });

  it("the seeds' modp1024 proposal is refused before the host is touched", async () => {
    const before = await Promise.all(['gw-onprem', 'gw-cloud'].map(snapshot));
    const r = await gateway('-e', 'vpn_ike=aes256-sha1;modp1024');
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(
      /playbooks\/gateway\.yml:\d+:\d+: libreswan_conn: ike='aes256-sha1;modp1024': DH group 'modp1024' \(group 2\) is not supported by Libreswan 4\.x/,
    );
    expect(r.stdout).toContain('Use modp2048 (DH group 14) or stronger: ike=aes256-sha1;modp2048');
    expect(await Promise.all(['gw-onprem', 'gw-cloud'].map(snapshot))).toEqual(before);
    // the running tunnel is untouched
    expect(await states('gw-onprem')).toMatch(IKE_UP);
  });

  it('a wrong PSK on one side does not establish; the right one does again', async () => {
    // gw-cloud gets another key (pluto rereads it), then gw-onprem renegotiates
    const wrong = await gateway('--limit', 'gw-cloud', '-e', 'vpn_psk=not-the-same-key-4242');
    expect(wrong.code, wrong.all).toBe(0);
    expect(recap(wrong.stdout)['gw-cloud']!.changed).toBe(1);
    await sh(play, 'gw-onprem', `ipsec auto --down ${CONN} >/dev/null; ipsec auto --asynchronous --up ${CONN}`);
    const log = await waitFor(play, 'gw-onprem', 'cat /var/log/pluto.log', (o) => /AUTHENTICATION_FAILED/.test(o.slice(o.lastIndexOf('initiating IKEv2'))));
    expect(log.slice(log.lastIndexOf('initiating IKEv2'))).toMatch(/AUTHENTICATION_FAILED/);
    expect(await states('gw-onprem')).not.toMatch(IKE_UP);
    expect(await states('gw-cloud')).not.toMatch(IKE_UP);

    const fixed = await gateway('--limit', 'gw-cloud');
    expect(recap(fixed.stdout)['gw-cloud']!.changed).toBe(1);
    await sh(play, 'gw-onprem', `ipsec auto --asynchronous --up ${CONN}`);
    expect(await waitFor(play, 'gw-onprem', 'ipsec showstates', (o) => IKE_UP.test(o))).toMatch(IKE_UP);
    const again = await gateway();
    for (const s of Object.values(recap(again.stdout))) expect(s.changed).toBe(0);
  });

  it('a changed proposal is written and reloaded into the running pluto, which renegotiates', async () => {
    const r = await gateway('-e', 'vpn_esp=aes256-sha2', '--limit', 'gateways');
    expect(r.code, r.all).toBe(0);
    expect(await sh(play, 'gw-onprem', `grep esp= /etc/ipsec.d/${CONN}.conf`)).toBe('\tesp=aes256-sha2\n');
    expect(await sh(play, 'gw-onprem', 'ipsec status')).toMatch(/ESP algorithms: AES_CBC_256-HMAC_SHA2_256_128/);
    expect(await waitFor(play, 'gw-onprem', 'ipsec showstates', (o) => IKE_UP.test(o))).toMatch(IKE_UP);
  });
});

describe("the example site's values (inventory/group_vars/gateways.yml)", () => {
  it("plan the seeds' conn (with modp2048) on a lab host standing in for gw1, in check mode", async () => {
    const dir = join(tmp, 'site');
    mkdirSync(join(dir, 'group_vars'), { recursive: true });
    copyFileSync(join(ROOT, 'inventory/group_vars/gateways.yml'), join(dir, 'group_vars', 'gateways.yml'));
    const labVars = (parse(readFileSync(play.inventory, 'utf8')) as { all: { vars: Record<string, string> } }).all.vars;
    const hosts = { all: { vars: labVars, children: { gateways: { hosts: { 'gw1.cluster.example.com': { ansible_host: play.host('gw-onprem').ip } } } } } };
    writeFileSync(join(dir, 'hosts.yml'), JSON.stringify(hosts));
    const before = await snapshot('gw-onprem');
    const r = await tsplay(['run', 'playbooks/gateway.yml', '-i', dir, '--check', '--diff', '-e', 'vault_vpn_psk=example-site-key-31415']);
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain(
      '+conn azure\n+\tleft=123.45.67.89\n+\tleftsubnet=10.2.0.0/16\n+\tleftsourceip=10.2.0.1\n+\tright=20.21.22.23\n+\trightsubnet=10.0.0.0/16\n',
    );
    expect(r.stdout).toContain('+\tike=aes256-sha1;modp2048\n');
    expect(r.stdout).toContain('+123.45.67.89 20.21.22.23 : PSK "********"');
    expect(r.all).not.toContain('example-site-key-31415');
    expect(await snapshot('gw-onprem')).toBe(before);
  });
});

describe('the modules one by one (lab gwmod)', () => {
  const run = async (host: string, name: string, args: Record<string, unknown>, check = false) =>
    (await runModule(conns[host]!, name, args, { become: true, check })).result;
  const conn = (over: Record<string, unknown> = {}) => ({
    name: 'multi',
    left: mod.host('gw1').ip,
    leftsubnets: ['10.2.0.0/16', '10.3.0.0/16'],
    leftsourceip: '10.3.0.1',
    right: mod.host('gw2').ip,
    rightsubnet: '10.0.0.0/16',
    auto: 'add',
    ike: 'aes256-sha2;modp3072',
    ...over,
  });

  it('libreswan_conn + secret into a running pluto: written, checked, loaded; second run ok', async () => {
    await sh(mod, 'gw1', 'ipsec checknss >/dev/null && ipsec pluto --config /etc/ipsec.conf --logfile /var/log/pluto.log');
    const s = await run('gw1', 'libreswan_secret', { name: 'multi', psk: 'module-test-key-1234' });
    expect(s.failed, s.msg).toBeFalsy();
    expect(s).toMatchObject({ changed: true, reread: true });
    const c = await run('gw1', 'libreswan_conn', conn());
    expect(c.failed, c.msg).toBeFalsy();
    expect(c).toMatchObject({ changed: true, loaded: true });
    expect(await sh(mod, 'gw1', 'ipsec status')).toMatch(/"multi\/1x0": 10\.2\.0\.0\/16===/);
    expect(await sh(mod, 'gw1', 'ipsec status')).toMatch(/"multi\/2x0": 10\.3\.0\.0\/16===/);
    expect(await run('gw1', 'libreswan_conn', conn())).toMatchObject({ changed: false });
    // pluto restarted without the conn: the module loads it again, though the file is unchanged
    await sh(mod, 'gw1', 'ipsec auto --delete multi >/dev/null');
    expect(await run('gw1', 'libreswan_conn', conn())).toMatchObject({ changed: true, loaded: true });
  });

  it('ipsec addconn --checkconfig refuses a bad file: the old one stays, no temp file left', async () => {
    const before = await sh(mod, 'gw1', 'sha256sum /etc/ipsec.d/multi.conf; ls -a /etc/ipsec.d');
    const r = await run('gw1', 'libreswan_conn', conn({ extra: { nosuchkeyword: 'yes' } }));
    expect(r.failed).toBe(true);
    expect(r.msg).toMatch(/failed to validate: rc:3 .*syntax error \[nosuchkeyword\]/);
    expect(await sh(mod, 'gw1', 'sha256sum /etc/ipsec.d/multi.conf; ls -a /etc/ipsec.d')).toBe(before);
  });

  it("the host's algparse refuses what the static checks do not know", async () => {
    const r = await run('gw1', 'libreswan_conn', conn({ esp: 'aes999-sha1' }), true);
    expect(r.failed).toBe(true);
    expect(r.msg).toMatch(/Libreswan 4\.10 refuses the proposals: ESP encryption algorithm AES_CBC with key length 999 invalid/);
  });

  it('firewalld offline: port enabled, idempotent, disabled (sudo with a password on gw2)', async () => {
    const args = { port: '4500/tcp', zone: 'public', permanent: true, state: 'enabled' };
    const first = await run('gw2', 'firewalld', args);
    expect(first.failed, first.msg).toBeFalsy();
    expect(first.changed).toBe(true);
    expect(await sh(mod, 'gw2', 'firewall-offline-cmd --zone=public --query-port=4500/tcp')).toBe('yes\n');
    expect(await run('gw2', 'firewalld', args)).toMatchObject({ changed: false });
    expect(await run('gw2', 'firewalld', { ...args, state: 'disabled' })).toMatchObject({ changed: true });
    expect((await mod.exec('gw2', 'firewall-offline-cmd --zone=public --query-port=4500/tcp')).stdout).toBe('no\n');
    const rt = await run('gw2', 'firewalld', { ...args, permanent: false });
    expect(rt.msg).toMatch(/firewalld is not running: a runtime-only change/);
  });

  it('route, EL form on a host that has /etc/sysconfig/network-scripts', async () => {
    await sh(mod, 'gw2', 'mkdir -p /etc/sysconfig/network-scripts');
    const gw = mod.host('gw1').ip;
    const args = { dest: '10.0.0.0/16', gateway: gw, persist: 'redhat' };
    const first = await run('gw2', 'route', args);
    expect(first.failed, first.msg).toBeFalsy();
    expect(await sh(mod, 'gw2', 'cat /etc/sysconfig/network-scripts/route-eth0')).toBe(`ADDRESS0=10.0.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=${gw}\n`);
    expect(await sh(mod, 'gw2', 'ip route show 10.0.0.0/16')).toBe(`10.0.0.0/16 via ${gw} dev eth0 \n`);
    expect(await run('gw2', 'route', args)).toMatchObject({ changed: false });
    const gone = await run('gw2', 'route', { ...args, state: 'absent' });
    expect(gone.changed).toBe(true);
    expect(await sh(mod, 'gw2', 'ip route show 10.0.0.0/16; cat /etc/sysconfig/network-scripts/route-eth0')).toBe('');
  });
});
