/**
 * vm_deprovision planning from canned facts: the fact output below was read by the real script on a lab
 * host (Debian 12, waagent 2.7.3, cloud-init 22.4.2) set up like a freshly provisioned Azure VM.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { parseDeprovision, deprovisionScript, type DeprovisionFacts } from './deprovision-facts.js';
import { planDeprovision, type DeprovisionArgs } from './deprovision-plan.js';
import { ModuleError } from '../../../src/errors.js';

const AZURE_VM = `waagent\t/usr/sbin/waagent
cloudinit\t/usr/bin/cloud-init
conf\tLib.Dir=
conf\tExtension.LogDir=
conf\tOS.SshDir=/etc/ssh
conf\tProvisioning.RegenerateSshHostKeyPair=y
conf\tProvisioning.DeleteRootPassword=y
conf\tProvisioning.Agent=cloud-init
libdir\t/var/lib/waagent
lib\t/var/lib/waagent/ovf-env.xml
ovfuser\tazureuser
ovfhome\t/home/azureuser
hostkey\t/etc/ssh/ssh_host_ecdsa_key
hostkey\t/etc/ssh/ssh_host_ecdsa_key.pub
hostkey\t/etc/ssh/ssh_host_ed25519_key
hostkey\t/etc/ssh/ssh_host_ed25519_key.pub
resolv\tfile
ns\t10.2.0.53
ns\t168.63.129.16
hist\t/root/.bash_history
hist\t/home/azureuser/.bash_history
lease\t/var/lib/dhcp/dhclient.eth0.leases
rootpw\tlocked
machineid\tset
hostname\tazvm
sudouser\t
`;

/** the same host after `waagent -deprovision+user -force` + tsplay's history/machine-id steps */
const DEPROVISIONED = `waagent\t/usr/sbin/waagent
cloudinit\t/usr/bin/cloud-init
conf\tOS.SshDir=/etc/ssh
conf\tProvisioning.RegenerateSshHostKeyPair=y
conf\tProvisioning.DeleteRootPassword=y
conf\tProvisioning.Agent=cloud-init
libdir\t/var/lib/waagent
resolv\tnone
rootpw\tlocked
machineid\tempty
hostname\tlocalhost.localdomain
sudouser\tops
`;

const CLOUD_INIT_VM = `waagent\t
cloudinit\t/usr/bin/cloud-init
libdir\t/var/lib/waagent
hostkey\t/etc/ssh/ssh_host_ed25519_key
resolv\tfile
cloud\t/var/lib/cloud/data
cloud\t/var/lib/cloud/handlers
cloud\t/var/lib/cloud/instance
cloud\t/var/lib/cloud/instances
cloud\t/var/lib/cloud/scripts
cloud\t/var/lib/cloud/seed
cloud\t/var/lib/cloud/sem
cilog\t/var/log/cloud-init.log
cilog\t/var/log/cloud-init-output.log
rootpw\tlocked
machineid\tempty
hostname\timgbuilder
sudouser\tops
`;

const ARGS: DeprovisionArgs = { method: 'auto', delete_user: true, logs: true, seed: true, machine_id: true, history: true };
const facts = (s: string, over: Partial<DeprovisionFacts> = {}) => ({ ...parseDeprovision(s), ...over });

describe('parseDeprovision', () => {
  it('reads the real script output', () => {
    const f = parseDeprovision(AZURE_VM);
    expect(f).toMatchObject({
      waagent: '/usr/sbin/waagent',
      cloudInit: '/usr/bin/cloud-init',
      libDir: '/var/lib/waagent',
      lib: ['/var/lib/waagent/ovf-env.xml'],
      ovfUser: 'azureuser',
      ovfUserExists: true,
      ovfUserHome: '/home/azureuser',
      resolvConf: 'file',
      nameservers: ['10.2.0.53', '168.63.129.16'],
      history: ['/root/.bash_history', '/home/azureuser/.bash_history'],
      leases: ['/var/lib/dhcp/dhclient.eth0.leases'],
      rootPassword: 'locked',
      machineId: 'set',
      loginUser: null,
    });
    expect(f.hostKeys).toHaveLength(4);
    // empty values in waagent.conf fall back to waagent's defaults: not recorded
    expect(f.conf).toEqual({
      'OS.SshDir': '/etc/ssh',
      'Provisioning.RegenerateSshHostKeyPair': 'y',
      'Provisioning.DeleteRootPassword': 'y',
      'Provisioning.Agent': 'cloud-init',
    });
  });
  it('the script is valid POSIX sh (dash -n)', () => {
    expect(() => execFileSync('dash', ['-n', '-c', deprovisionScript()])).not.toThrow();
  });
});

describe('planDeprovision', () => {
  it('a provisioned Azure VM: cloud-init clean, then waagent -deprovision+user, histories, machine-id, sync', () => {
    const p = planDeprovision(facts(AZURE_VM), ARGS)!;
    expect(p.method).toBe('waagent');
    expect(p.commands).toEqual([
      'waagent -deprovision+user -force',
      'rm -f -- /root/.bash_history /home/azureuser/.bash_history',
      ': > /etc/machine-id && { [ -L /var/lib/dbus/machine-id ] || rm -f /var/lib/dbus/machine-id; }',
      'sync',
    ]);
    expect(p.remove).toContain('account azureuser and its home /home/azureuser (the provisioned user, from ovf-env.xml)');
    expect(p.remove).toContain('/etc/ssh/ssh_host_ed25519_key (ssh host key)');
    expect(p.remove).toContain('/etc/resolv.conf (a file)');
    expect(p.remove).toContain('/var/lib/dhcp/dhclient.eth0.leases (DHCP lease)');
    expect(p.kinds).toEqual([
      'waagent state in /var/lib/waagent',
      'account azureuser',
      'ssh host key ×4',
      '/etc/resolv.conf',
      'DHCP lease',
      'shell history ×2',
      '/etc/machine-id',
    ]);
    // DNS written on the builder is lost in the clones: said, not hidden
    expect(p.warnings.join('\n')).toMatch(/waagent deletes \/etc\/resolv.conf \(nameservers 10\.2\.0\.53, 168\.63\.129\.16\)/);
  });

  it('cloud-init state is cleaned first when cloud-init is installed (Debian Azure images provision with it)', () => {
    const f = facts(AZURE_VM, { cloud: ['/var/lib/cloud/instance', '/var/lib/cloud/seed'], cloudInitLogs: ['/var/log/cloud-init.log'] });
    const p = planDeprovision(f, ARGS)!;
    expect(p.commands[0]).toBe('cloud-init clean --logs --seed');
    expect(p.commands[1]).toBe('waagent -deprovision+user -force');
    expect(planDeprovision(f, { ...ARGS, cloud_init_clean: false })!.commands[0]).toBe('waagent -deprovision+user -force');
  });

  it('delete_user: false keeps the admin user (-deprovision)', () => {
    const p = planDeprovision(facts(AZURE_VM), { ...ARGS, delete_user: false })!;
    expect(p.commands[0]).toBe('waagent -deprovision -force');
    expect(p.remove.join('\n')).not.toMatch(/account/);
  });

  it('deprovisioned: nothing left → null (ok)', () => {
    expect(planDeprovision(facts(DEPROVISIONED), ARGS)).toBeNull();
  });

  it('a clone made from a golden image is not "already deprovisioned" (provisioning recreates the marker)', () => {
    const clone = facts(DEPROVISIONED, {
      lib: ['/var/lib/waagent/ovf-env.xml', '/var/lib/waagent/provisioned'],
      ovfUser: 'azureuser',
      ovfUserExists: true,
      resolvConf: 'file',
      hostKeys: ['/etc/ssh/ssh_host_ed25519_key'],
    });
    expect(planDeprovision(clone, ARGS)?.commands[0]).toBe('waagent -deprovision+user -force');
  });

  it('host keys only go when waagent.conf says RegenerateSshHostKeyPair=y (waagent default: n)', () => {
    const f = facts(AZURE_VM);
    delete f.conf['Provisioning.RegenerateSshHostKeyPair'];
    expect(planDeprovision(f, ARGS)!.remove.join('\n')).not.toMatch(/ssh host key/);
  });

  it('a usable root password is removed when DeleteRootPassword=y', () => {
    expect(planDeprovision(facts(DEPROVISIONED, { rootPassword: 'set' }), ARGS)!.remove).toEqual(['the root password (Provisioning.DeleteRootPassword=y)']);
    expect(planDeprovision(facts(DEPROVISIONED, { rootPassword: 'set', conf: {} }), ARGS)).toBeNull();
  });

  it('no ovf-env.xml: a warning that no account will be deleted', () => {
    const p = planDeprovision(facts(AZURE_VM, { lib: [], ovfUser: null, ovfUserExists: false }), ARGS)!;
    expect(p.warnings.join('\n')).toMatch(/no ovf-env.xml in \/var\/lib\/waagent: waagent -deprovision\+user deletes no account/);
  });

  it('deleting the account tsplay is logged in as is said', () => {
    const p = planDeprovision(facts(AZURE_VM, { loginUser: 'azureuser' }), ARGS)!;
    expect(p.warnings.join('\n')).toMatch(/azureuser is the account tsplay is logged in as/);
  });

  it('cloud-init only (AWS, on-prem): cloud-init clean --logs --seed; host keys stay (cloud-init renews them per instance)', () => {
    const p = planDeprovision(facts(CLOUD_INIT_VM), ARGS)!;
    expect(p.method).toBe('cloud-init');
    expect(p.commands).toEqual(['cloud-init clean --logs --seed', 'sync']);
    expect(p.kinds).toEqual(['cloud-init state ×7', 'cloud-init log ×2']);
    expect(p.remove.join('\n')).not.toMatch(/ssh host key/);
  });

  it('seed: false keeps /var/lib/cloud/seed and does not count it', () => {
    const p = planDeprovision(facts(CLOUD_INIT_VM), { ...ARGS, seed: false, logs: false })!;
    expect(p.commands[0]).toBe('cloud-init clean');
    expect(p.remove.join('\n')).not.toMatch(/seed/);
    const onlySeed = facts(CLOUD_INIT_VM, { cloud: ['/var/lib/cloud/seed'], cloudInitLogs: [] });
    expect(planDeprovision(onlySeed, { ...ARGS, seed: false })).toBeNull();
    expect(planDeprovision(onlySeed, ARGS)!.commands[0]).toBe('cloud-init clean --logs --seed');
  });

  it('machine-id: empty or "uninitialized" counts as done', () => {
    for (const m of ['empty', 'uninitialized', 'absent'] as const) expect(planDeprovision(facts(DEPROVISIONED, { machineId: m }), ARGS)).toBeNull();
    expect(planDeprovision(facts(DEPROVISIONED, { machineId: 'set' }), { ...ARGS, machine_id: false })).toBeNull();
  });

  it('history paths are quoted', () => {
    const p = planDeprovision(facts(DEPROVISIONED, { history: ["/home/o'brien/.bash_history"] }), ARGS)!;
    expect(p.commands[0]).toBe(`rm -f -- '/home/o'"'"'brien/.bash_history'`);
  });

  it('method errors are clear', () => {
    const none = facts(CLOUD_INIT_VM, { cloudInit: null });
    expect(() => planDeprovision(none, ARGS)).toThrow(ModuleError);
    expect(() => planDeprovision(none, ARGS)).toThrow(/neither waagent nor cloud-init is installed/);
    expect(() => planDeprovision(facts(CLOUD_INIT_VM), { ...ARGS, method: 'waagent' })).toThrow(/method=waagent but waagent is not installed/);
    expect(() => planDeprovision(facts(AZURE_VM, { cloudInit: null }), { ...ARGS, method: 'cloud-init' })).toThrow(
      /method=cloud-init but cloud-init is not installed/,
    );
  });
});
