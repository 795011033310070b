/**
 * The VM side for real, in lab 'imgvm' (Debian 12 hosts with Debian's waagent 2.7.3 and cloud-init 22.4.2):
 *  - azvm: set up as a provisioned Azure VM (ovf-env.xml naming the admin user azureuser, its account and
 *    sudoers entry, histories, a DHCP lease, resolv.conf, machine-id, a root password); vm_deprovision runs
 *    the real `waagent -deprovision+user -force`: check mode changes nothing; first run changed, second ok.
 *  - civm: real cloud-init instance state (NoCloud seed, `cloud-init init --local`); `cloud-init clean`.
 *  - vm1: the whole playbooks/image.yml — builder start (stand-in az), cloudnode.yml configuring the lab
 *    host, the real deprovision, capture into a gallery version (stand-in az) — then the reruns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recap, tsplay } from '../harness/cli.js';
import { featureGate, startLab, stopLab, type Lab } from '../harness/lab.js';
import { FIX, loadState, runWithStandins } from '../fixtures/image/standin-run.js';

const LAB = 'imgvm';
let lab: Lab;
// image.yml imports cloudnode.yml: without autofs in the kernel the builder gets its maps but the automounter
// is not started (cloudnode_autofs=false, as the demo runs it); nothing below depends on a running automounter
const autofs = featureGate('autofs', 'image.yml runs with cloudnode_autofs=false (autofs not started on vm1)');
const CLOUDNODE_VARS = autofs.available ? {} : { cloudnode_autofs: false };

async function sh(host: string, cmd: string, input?: string): Promise<string> {
  const r = await lab.exec(host, cmd, { input });
  if (r.rc !== 0) throw new Error(`${host}: ${cmd}: rc ${r.rc}: ${r.stderr}`);
  return r.stdout;
}

interface Ev {
  type: string;
  host?: string;
  task?: string;
  status?: string;
  message?: string;
  result?: Record<string, unknown>;
}
const events = (stdout: string): Ev[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Ev);
const results = (evs: Ev[]) => evs.filter((e) => e.type === 'host_result').map((e) => [e.task, e.status]);

const DEPROVISION = (host: string, extra: string[] = []) => ['run', join(FIX, 'deprovision.yml'), '-i', lab.inventory, '--limit', host, '--json', ...extra];

/** what waagent and tsplay remove, read as root inside the host */
const IDENTITY = `ls /etc/ssh/ | grep -c '^ssh_host_' || true
[ -e /etc/resolv.conf ] && echo resolv || echo no-resolv
getent passwd azureuser >/dev/null && echo user || echo no-user
[ -d /home/azureuser ] && echo home || echo no-home
grep -qs azureuser /etc/sudoers.d/waagent && echo sudoers || echo no-sudoers
ls -A /var/lib/waagent | wc -l
ls -A /var/lib/dhcp | wc -l
ls /root/.bash_history /home/ops/.bash_history 2>/dev/null | wc -l
wc -c < /etc/machine-id
sed -n 's/^root:\\([^:]*\\):.*/\\1/p' /etc/shadow | cut -c1-6
cat /etc/hostname; echo
getent passwd ops >/dev/null && echo ops || echo no-ops`;

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: ['vm1', 'azvm', 'civm'] });
  // azvm: what Azure provisioning leaves on a VM (ovf-env.xml is the file waagent reads the admin user from)
  await sh('azvm', 'cat > /var/lib/waagent/ovf-env.xml', readFileSync(join(FIX, 'ovf-env.xml'), 'utf8'));
  await sh(
    'azvm',
    `useradd -m -s /bin/bash azureuser && echo 'azureuser ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/waagent
echo 'ls -la' > /home/azureuser/.bash_history; echo 'az login' > /root/.bash_history; echo 'sudo -i' > /home/ops/.bash_history
mkdir -p /var/lib/dhcp && echo 'lease { fixed-address 10.0.1.4; }' > /var/lib/dhcp/dhclient.eth0.leases
printf 'nameserver 10.2.0.53\\nnameserver 168.63.129.16\\nsearch cluster.example.com\\n' > /etc/resolv.conf
echo 4c4c4544004d3510804bc4c04f524432 > /etc/machine-id
echo 'root:builder-root-pw' | chpasswd`,
  );
  // civm: a real cloud-init instance (NoCloud seed), as a non-Azure builder has after its first boot
  await sh(
    'civm',
    `mkdir -p /var/lib/cloud/seed/nocloud && cat > /var/lib/cloud/seed/nocloud/meta-data && printf '#cloud-config\\n{}\\n' > /var/lib/cloud/seed/nocloud/user-data
echo 'datasource_list: [ NoCloud, None ]' > /etc/cloud/cloud.cfg.d/90_lab.cfg
timeout 120 cloud-init init --local >/dev/null 2>&1; echo 'make' > /root/.bash_history`,
    readFileSync(join(FIX, 'nocloud-meta-data'), 'utf8'),
  );
}, 300_000);

afterAll(() => stopLab(LAB));

describe('vm_deprovision with waagent (azvm)', () => {
  let before: string;
  it('check mode: says what would go and that it cannot be undone; removes nothing', async () => {
    before = await sh('azvm', IDENTITY);
    expect(before.split('\n').slice(0, 9)).toEqual(['4', 'resolv', 'user', 'home', 'sudoers', '1', '1', '2', '33']);
    const r = await tsplay(DEPROVISION('azvm', ['--check']));
    expect(r.code, r.all).toBe(0);
    const evs = events(r.stdout);
    expect(results(evs)).toEqual([
      ['deprovision', 'changed'],
      ['deprovision again', 'changed'],
      ['deprovision again in check mode', 'changed'],
    ]);
    const first = evs.find((e) => e.type === 'host_result')!.result!;
    expect(first.msg).toBe(
      'waagent: remove waagent state in /var/lib/waagent, account azureuser, ssh host key ×4, /etc/resolv.conf, DHCP lease, the root password (Provisioning.DeleteRootPassword=y), shell history ×3, /etc/machine-id',
    );
    expect(first.would_remove).toContain('account azureuser and its home /home/azureuser (the provisioned user, from ovf-env.xml)');
    expect(first.commands).toEqual([
      'waagent -deprovision+user -force',
      'rm -f -- /root/.bash_history /home/azureuser/.bash_history /home/ops/.bash_history',
      ': > /etc/machine-id && { [ -L /var/lib/dbus/machine-id ] || rm -f /var/lib/dbus/machine-id; }',
      'sync',
    ]);
    const warnings = evs.filter((e) => e.type === 'warning').map((e) => e.message);
    expect(warnings).toContain(
      "azvm: vm_deprovision: this cannot be undone: waagent removes this VM's identity (waagent state in /var/lib/waagent, account azureuser, ssh host key ×4, /etc/resolv.conf, DHCP lease, the root password (Provisioning.DeleteRootPassword=y), shell history ×3, /etc/machine-id); new ssh logins may fail afterwards; the VM is only fit to be captured as an image",
    );
    expect(warnings.join('\n')).toMatch(/waagent deletes \/etc\/resolv.conf \(nameservers 10\.2\.0\.53, 168\.63\.129\.16\)/);
    expect(await sh('azvm', IDENTITY)).toBe(before);
  });

  it('runs the real waagent -deprovision+user: changed, then ok twice (same connection)', async () => {
    const r = await tsplay(DEPROVISION('azvm'));
    expect(r.code, r.all).toBe(0);
    expect(results(events(r.stdout))).toEqual([
      ['deprovision', 'changed'],
      ['deprovision again', 'ok'],
      ['deprovision again in check mode', 'ok'],
    ]);
    expect((await sh('azvm', IDENTITY)).split('\n')).toEqual([
      '0', // ssh host keys
      'no-resolv',
      'no-user', // the provisioned admin
      'no-home',
      'no-sudoers', // its line in /etc/sudoers.d/waagent
      '0', // /var/lib/waagent emptied
      '0', // DHCP leases
      '0', // histories
      '0', // machine-id emptied
      '*LOCK*', // root password
      'localhost.localdomain', // waagent resets the name
      'ops', // other accounts stay
      '',
    ]);
  });

  it('the warned consequence is real: a new ssh login fails (no host keys)', async () => {
    const r = await lab.ssh('azvm', 'true');
    expect(r.rc).toBe(255);
    // sshd re-reads its host keys for each connection and finds none
    expect(r.stderr).toMatch(/kex_exchange_identification|Connection (reset|closed)/);
  });
});

describe('vm_deprovision with cloud-init (civm)', () => {
  it('check mode lists the real instance state, removes nothing', async () => {
    const cloud = await sh('civm', 'ls -A /var/lib/cloud');
    expect(cloud.split('\n').filter(Boolean)).toEqual(['data', 'handlers', 'instance', 'instances', 'scripts', 'seed', 'sem']);
    const r = await tsplay(DEPROVISION('civm', ['--check', '-e', 'method=cloud-init']));
    expect(r.code, r.all).toBe(0);
    const first = events(r.stdout).find((e) => e.type === 'host_result')!.result!;
    expect(first.commands).toEqual(['cloud-init clean --logs --seed', 'rm -f -- /root/.bash_history', 'sync']);
    expect(first.msg).toBe('cloud-init: remove cloud-init state ×7, cloud-init log ×2, shell history');
    expect(await sh('civm', 'ls -A /var/lib/cloud')).toBe(cloud);
  });

  it('cloud-init clean: changed, ok, ok; host keys stay, so a new run (new login) is ok too', async () => {
    const r = await tsplay(DEPROVISION('civm', ['-e', 'method=cloud-init']));
    expect(r.code, r.all).toBe(0);
    expect(results(events(r.stdout))).toEqual([
      ['deprovision', 'changed'],
      ['deprovision again', 'ok'],
      ['deprovision again in check mode', 'ok'],
    ]);
    expect(await sh('civm', 'ls -A /var/lib/cloud | wc -l; ls /var/log/cloud-init*.log 2>/dev/null | wc -l; ls /etc/ssh | grep -c ^ssh_host_')).toBe(
      '0\n0\n4\n',
    );
    const again = await tsplay(DEPROVISION('civm', ['-e', 'method=cloud-init']));
    expect(again.code, again.all).toBe(0);
    expect(results(events(again.stdout))).toEqual([
      ['deprovision', 'ok'],
      ['deprovision again', 'ok'],
      ['deprovision again in check mode', 'ok'],
    ]);
  });
});

describe('playbooks/image.yml on the lab builder (vm1), Azure side on the stand-in', () => {
  const args = () => [
    'run',
    'playbooks/image.yml',
    '-i',
    lab.inventory,
    '-i',
    'inventory/lab/',
    '-i',
    join(FIX, 'lab-builder.yml'),
    '--limit',
    'image_builders',
  ];
  let statePath = '';

  it('builder started → configured as a cloud node → deprovisioned → deallocated → generalized → gallery version', async () => {
    const r = await runWithStandins(args(), { state: loadState('lab-azure-state.json'), extraVars: CLOUDNODE_VARS });
    expect(r.code, r.all).toBe(0);
    statePath = r.statePath;
    const mutating = r.calls.filter((c) => /^az (vm (start|stop|deallocate|generalize)|sig image-version create)/.test(c));
    expect(mutating).toEqual([
      'az vm start -g rg-lab -n vm1 --no-wait',
      'az vm deallocate -g rg-lab -n vm1 --no-wait',
      'az vm generalize -g rg-lab -n vm1',
      expect.stringMatching(
        /^az sig image-version create -g rg-lab --gallery-name galLab --gallery-image-definition cloudnode --gallery-image-version 1\.0\.10 --virtual-machine \S+\/virtualMachines\/vm1 --location westeurope --target-regions westeurope northeurope=2 --no-wait$/,
      ),
    ]);
    expect(r.violations).toEqual([]);
    expect(r.stdout).toMatch(/"msg": "golden image: \S+\/galleries\/galLab\/images\/cloudnode\/versions\/1\.0\.10 \(gallery version 1\.0\.10\)"/);
    // the cloud-node configuration is in the image, the builder's identity is not
    expect(
      await sh(
        'vm1',
        'getent passwd alice | cut -d: -f3; stat -c %U:%a /etc/munge/munge.key; ls /etc/ssh | grep -c ^ssh_host_; [ -e /etc/resolv.conf ] && echo resolv || echo no-resolv',
      ),
    ).toBe('20002\nmunge:400\n0\nno-resolv\n');
    expect(recap(r.stdout)['vm1']).toMatchObject({ failed: 0, unreachable: 0 });
  });

  it('rerun of the capture (--tags capture): ok, nothing created', async () => {
    const r = await runWithStandins([...args(), '--tags', 'capture'], { state: statePath, extraVars: CLOUDNODE_VARS });
    expect(r.code, r.all).toBe(0);
    expect(r.calls).toEqual([
      'az account show -o json',
      'az sig image-version list -g rg-lab --gallery-name galLab --gallery-image-definition cloudnode -o json',
      'az vm get-instance-view -g rg-lab -n vm1 -o json',
    ]);
    expect(recap(r.stdout)['vm1']).toMatchObject({ changed: 0, failed: 0 });
  });

  it('a full rerun stops at once: the builder is generalized and can never be started again', async () => {
    const r = await runWithStandins(args(), { state: statePath, extraVars: CLOUDNODE_VARS });
    expect(r.code).toBe(2);
    expect(r.all).toMatch(/VM 'vm1' in resource group 'rg-lab' is generalized \(OSState\/generalized\): a generalized VM can never be started again/);
    expect(r.calls.filter((c) => /^az (vm (start|deallocate|generalize)|sig image-version create)/.test(c))).toEqual([]);
    expect(recap(r.stdout)['vm1']).toMatchObject({ failed: 1 });
  });
});
