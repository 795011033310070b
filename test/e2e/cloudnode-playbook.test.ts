/**
 * playbooks/cloudnode.yml end to end through the CLI (lab 'cnplay': onprem1 = the on-prem mail relay,
 * cloudnode001/002 = cloud VMs), exactly as the demo runs it:
 *   tsplay run playbooks/cloudnode.yml -i <lab inventory> -i inventory/lab/
 * Check mode first changes nothing; the run converges; every cloud node then has the FQDN, the resolv.conf,
 * the smart host, the users with the inventory's uid/gid, the same munge key, the automounts; mail sent on a
 * cloud node arrives at the smart host; a second run changes nothing.
 * On a kernel without autofs the play runs as the demo runs it there, with cloudnode_autofs=false (maps and
 * links written, the automounter not started), and the mount-on-access test is skipped with the reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { featureGate, startLab, stopLab, type Lab } from '../harness/lab.js';
import { recap, ROOT, tsplay } from '../harness/cli.js';

const LAB = 'cnplay';
const CLOUD = ['cloudnode001', 'cloudnode002'];
const SITE = parse(readFileSync(join(ROOT, 'inventory/lab/group_vars/all.yml'), 'utf8')) as {
  domain: string;
  onprem_dns: string[];
  cloud_dns: string[];
  munge_key_b64: string;
  cluster_users: { name: string; uid?: number; gid: number; group?: string; groups?: string[]; ssh_keys?: string[] }[];
};
let lab: Lab;
const autofs = featureGate('autofs', 'cloudnode.yml runs with -e cloudnode_autofs=false (autofs not started), the mount test is skipped');
/** what the demo passes on a kernel without autofs */
const AUTOFS_VARS = autofs.available ? [] : ['-e', 'cloudnode_autofs=false'];

const play = (...extra: string[]) => tsplay(['run', 'playbooks/cloudnode.yml', '-i', lab.inventory, '-i', 'inventory/lab/', ...AUTOFS_VARS, ...extra]);

async function sh(host: string, cmd: string): Promise<string> {
  const r = await lab.exec(host, cmd);
  if (r.rc !== 0) throw new Error(`${host}: ${cmd}: rc ${r.rc}: ${r.stderr}`);
  return r.stdout;
}

/** Everything the play changes, as text (to prove check mode left it alone). */
const snapshot = (host: string) =>
  lab.exec(
    host,
    'uname -n; cat /etc/hostname /etc/resolv.conf /etc/hosts; md5sum /etc/mail/sendmail.mc /etc/mail/sendmail.cf; getent passwd alice munge; ls /etc/auto.master.d /etc/munge; ls -la /home',
  );

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: ['onprem1', ...CLOUD], sudo: 'mixed' });
});
afterAll(async () => {
  await stopLab(LAB);
});

describe('cloudnode.yml on the lab site', () => {
  it('check mode reports changes and changes nothing', async () => {
    const before = await Promise.all(lab.hosts.map((h) => snapshot(h.name)));
    const r = await play('--check');
    expect(r.code, r.all).toBe(0);
    const rc = recap(r.stdout);
    for (const h of CLOUD) expect(rc[h]).toMatchObject({ failed: 0, unreachable: 0 });
    for (const h of CLOUD) expect(rc[h]!.changed).toBeGreaterThan(5);
    const after = await Promise.all(lab.hosts.map((h) => snapshot(h.name)));
    expect(after).toEqual(before);
  });

  it('the first run converges every host', async () => {
    const r = await play();
    expect(r.code, r.all).toBe(0);
    const rc = recap(r.stdout);
    for (const h of lab.hosts) expect(rc[h.name], r.all).toMatchObject({ failed: 0, unreachable: 0 });
    for (const h of CLOUD) expect(rc[h]!.changed).toBeGreaterThan(10);
    expect(r.stdout).toContain('RUNNING HANDLER [restart sendmail]');
    expect(r.stdout).toContain('RUNNING HANDLER [reload autofs]'); // notified by the maps (skipped without autofs)
    // the munge key never shows (no_log), nor the base64 value
    expect(r.all).not.toContain(SITE.munge_key_b64.slice(0, 24));
  });

  it('uname -n is the FQDN; resolv.conf lists on-prem DNS first, cloud DNS last', async () => {
    for (const h of CLOUD) {
      expect((await sh(h, 'uname -n')).trim()).toBe(`${h}.${SITE.domain}`);
      const ns = (await sh(h, 'awk \'$1=="nameserver" {print $2}\' /etc/resolv.conf')).trim().split('\n');
      expect(ns).toEqual([...SITE.onprem_dns, ...SITE.cloud_dns]);
      expect(await sh(h, "grep '^search' /etc/resolv.conf")).toBe(`search ${SITE.domain}\n`);
    }
  });

  it("users and groups have the inventory's ids on every cloud node", async () => {
    for (const h of CLOUD) {
      for (const u of SITE.cluster_users) {
        const group = (await sh(h, `getent group ${u.group ?? u.name}`)).trim().split(':');
        expect(Number(group[2]), `${h} group ${u.name}`).toBe(u.gid);
        if (u.uid === undefined) continue;
        const pw = (await sh(h, `getent passwd ${u.name}`)).trim().split(':');
        expect([Number(pw[2]), Number(pw[3])], `${h} user ${u.name}`).toEqual([u.uid, u.gid]);
        for (const g of u.groups ?? []) expect(await sh(h, `id -nG ${u.name}`)).toContain(g);
      }
      const alice = SITE.cluster_users.find((u) => u.name === 'alice')!;
      expect(await sh(h, 'stat -c "%a %U" /home/alice/.ssh /home/alice/.ssh/authorized_keys; cat /home/alice/.ssh/authorized_keys')).toBe(
        `700 alice\n600 alice\n${alice.ssh_keys!.join('\n')}\n`,
      );
    }
  });

  it('the munge key is the inventory key on every cloud node, munge:munge 0400, and munged runs', async () => {
    const want = Buffer.from(SITE.munge_key_b64, 'base64');
    for (const h of CLOUD) {
      expect(await sh(h, 'stat -c "%U:%G %a" /etc/munge/munge.key')).toBe('munge:munge 400\n');
      expect(Buffer.from(await sh(h, 'base64 -w0 /etc/munge/munge.key'), 'base64').equals(want)).toBe(true);
      expect((await lab.exec(h, 'pgrep -x munged')).rc).toBe(0);
    }
  });

  it('automount: the Azure NFS lines as in the procedure; the link; autofs enabled at boot', async () => {
    for (const h of CLOUD) {
      expect(await sh(h, 'grep -v "^#" /etc/auto.master.d/azure.autofs')).toBe('/azure /etc/auto.azure --timeout=60\n');
      expect(await sh(h, 'grep -v "^#" /etc/auto.azure')).toBe('nfsdata -sec=sys,vers=3,nolock,proto=tcp ACCOUNT.blob.core.windows.net:/ACCOUNT/CONTAINER\n');
      expect((await sh(h, 'readlink /home/nfsdata')).trim()).toBe('/azure/nfsdata');
      expect(await sh(h, 'ls /etc/rc2.d | grep autofs')).toMatch(/^S\d\dautofs$/m);
    }
  });

  it.skipIf(!autofs.available)(autofs.title('automount: the automounter runs; the lab tmpfs mounts on access'), async () => {
    for (const h of CLOUD) {
      expect((await lab.exec(h, '/etc/init.d/autofs status')).rc).toBe(0);
      expect(await sh(h, 'touch /lab/scratch/probe && awk \'$2=="/lab/scratch" {print $3}\' /proc/mounts')).toBe('tmpfs\n');
    }
  });

  it('mail sent on a cloud node reaches the smart host', async () => {
    const relay = lab.host('onprem1').ip;
    for (const h of CLOUD) expect(await sh(h, "grep '^DS' /etc/mail/sendmail.cf")).toBe(`DS[${relay}]\n`);
    // The lab has no DNS: /etc/hosts stands in for it. The domain's mail host is unreachable from the cloud
    // (10.2.0.99), so the mail only arrives if the cloud node hands it to the smart host.
    await sh('onprem1', `echo "${relay} ${SITE.domain}" >> /etc/hosts`);
    for (const h of CLOUD) {
      await sh(h, `echo "10.2.0.99 ${SITE.domain}" >> /etc/hosts`);
      await sh(h, `printf 'Subject: cnplay from ${h}\\n\\nhello\\n' | su ops -c '/usr/sbin/sendmail -oi ops@${SITE.domain}'`);
    }
    let box = '';
    for (let i = 0; i < 40 && !CLOUD.every((h) => box.includes(`Subject: cnplay from ${h}`)); i++) {
      await new Promise((r) => setTimeout(r, 500));
      await lab.exec('onprem1', '/usr/sbin/sendmail -q');
      box = (await lab.exec('onprem1', 'cat /var/mail/ops 2>/dev/null')).stdout;
    }
    for (const h of CLOUD) {
      expect(box).toContain(`Subject: cnplay from ${h}`);
      expect(box).toMatch(new RegExp(`Received: from ${h}\\.${SITE.domain.replace(/\./g, '\\.')} \\(\\S+ \\[${lab.host(h).ip.replace(/\./g, '\\.')}\\]\\)`));
    }
  });

  it('a second run changes nothing', async () => {
    const r = await play();
    expect(r.code, r.all).toBe(0);
    for (const [h, s] of Object.entries(recap(r.stdout))) expect(s, h).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
    expect(r.stdout).not.toContain('RUNNING HANDLER');
  });
});
