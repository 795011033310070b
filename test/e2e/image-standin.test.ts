/**
 * The controller side of playbooks/image.yml through the real CLI (`tsplay run ... --tags capture`), against
 * RECORDING STAND-INs of az and aws (test/fixtures/image/standin/: they log every argv and answer with the
 * real CLIs' JSON shapes and errors from a state file — they are not Azure or AWS). Proves the exact command
 * sequence, that generalize never runs before PowerState/deallocated was read back, idempotency (a second
 * run changes nothing), check mode (reads only), and the failures: az missing, not logged in, VM missing,
 * no AWS credentials, `state: stopped` refused.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recap, tsplay } from '../harness/cli.js';
import { FIX, loadState, runWithStandins } from '../fixtures/image/standin-run.js';

const GALLERY = [
  'run',
  'playbooks/image.yml',
  '-i',
  join(FIX, 'standin-builder.yml'),
  '-i',
  'inventory/lab/',
  '--limit',
  'image_builders',
  '--tags',
  'capture',
];
const MANAGED = ['run', 'playbooks/image.yml', '-i', join(FIX, 'standin-managed.yml'), '--tags', 'capture'];
const AWS = ['run', 'playbooks/image.yml', '-i', join(FIX, 'standin-aws.yml'), '--tags', 'capture'];

const SUB = '0b1f6471-1bf0-4dda-aec3-111122223333';
const VM_ID = `/subscriptions/${SUB}/resourceGroups/RG-LAB/providers/Microsoft.Compute/virtualMachines/vm1`;
const G = '-g rg-lab --gallery-name galLab --gallery-image-definition cloudnode';
const Q = 'az vm get-instance-view -g rg-lab -n vm1 --query instanceView.statuses -o json';
const MUTATING = /^az (vm (start|stop|deallocate|generalize)|image create|sig image-version create)|^aws ec2 create-image/;

function azureState(over: Record<string, unknown> = {}, vm: Record<string, unknown> = {}) {
  const s = loadState('lab-azure-state.json') as { vms: Record<string, Record<string, unknown>> };
  Object.assign(s.vms['rg-lab/vm1']!, { power: 'running' }, vm);
  return { ...s, ...over };
}

describe('image.yml capture on Azure: Compute Gallery version (stand-in az)', () => {
  it('first run: the exact sequence; generalize only after PowerState/deallocated; version 1.0.10 printed', async () => {
    const r = await runWithStandins(GALLERY, { state: azureState() });
    expect(r.code, r.all).toBe(0);
    expect(r.calls).toEqual([
      'az account show -o json',
      `az sig image-version list ${G} -o json`,
      'az vm get-instance-view -g rg-lab -n vm1 -o json',
      `az sig image-definition show ${G} -o json`,
      'az vm deallocate -g rg-lab -n vm1 --no-wait',
      Q, // deallocating
      Q, // deallocating
      Q, // deallocated
      'az vm generalize -g rg-lab -n vm1',
      `az sig image-version create ${G} --gallery-image-version 1.0.10 --virtual-machine ${VM_ID} --location westeurope --target-regions westeurope northeurope=2 --no-wait`,
      `az sig image-version show ${G} --gallery-image-version 1.0.10 -o json`,
      `az sig image-version show ${G} --gallery-image-version 1.0.10 -o json`,
      `az sig image-version show ${G} --gallery-image-version 1.0.10 -o json`,
    ]);
    expect(r.violations).toEqual([]);
    expect(r.stdout).toContain(
      `"msg": "golden image: /subscriptions/${SUB}/resourceGroups/RG-LAB/providers/Microsoft.Compute/galleries/galLab/images/cloudnode/versions/1.0.10 (gallery version 1.0.10)"`,
    );
    expect(r.all.replace(/\s+/g, ' ')).toMatch(/\[WARNING\]: vm1: azure_image: generalizing vm1 cannot be undone/);
    expect(recap(r.stdout)['vm1']).toMatchObject({ changed: 1, failed: 0 });
  });

  it('second run: ok, three reads (the VM is generalized: the version is its own), nothing created or touched', async () => {
    const first = await runWithStandins(GALLERY, { state: azureState() });
    expect(first.code).toBe(0);
    const second = await runWithStandins(GALLERY, { state: first.statePath });
    expect(second.code, second.all).toBe(0);
    expect(second.calls).toEqual(['az account show -o json', `az sig image-version list ${G} -o json`, 'az vm get-instance-view -g rg-lab -n vm1 -o json']);
    expect(recap(second.stdout)['vm1']).toMatchObject({ changed: 0, failed: 0 });
    expect(second.stdout).toContain('versions/1.0.10 (gallery version 1.0.10)');
    expect(Object.keys((second.state as { definitions: Record<string, { versions: object }> }).definitions['rg-lab/galLab/cloudnode']!.versions)).toEqual([
      '1.0.0',
      '1.0.9',
      '1.0.10',
    ]);
  });

  it('check mode: reports the change, runs only reads, the cloud is unchanged', async () => {
    const r = await runWithStandins([...GALLERY, '--check'], { state: azureState() });
    expect(r.code, r.all).toBe(0);
    expect(r.calls.filter((c) => MUTATING.test(c))).toEqual([]);
    expect(r.all).toMatch(
      /deallocate vm1, wait for PowerState\/deallocated, generalize vm1 \(irreversible: it can never be started again\), create version 1\.0\.10 of galLab\/cloudnode in westeurope northeurope=2/,
    );
    expect(recap(r.stdout)['vm1']).toMatchObject({ changed: 1, failed: 0 });
    expect(r.stdout).toContain('"msg": "would: deallocate vm1, wait for PowerState/deallocated, generalize vm1');
    expect((r.state as { vms: Record<string, { power: string; generalized?: boolean }> }).vms['rg-lab/vm1']).toMatchObject({ power: 'running' });
  });

  it('a slow deallocation: generalize waits for it (5 polls), the stand-in saw no generalize of an allocated VM', async () => {
    const r = await runWithStandins(GALLERY, { state: azureState({ transitionPolls: 5 }) });
    expect(r.code, r.all).toBe(0);
    const dealloc = r.calls.indexOf('az vm deallocate -g rg-lab -n vm1 --no-wait');
    const gen = r.calls.indexOf('az vm generalize -g rg-lab -n vm1');
    expect(r.calls.slice(dealloc + 1, gen)).toEqual(Array(6).fill(Q));
    expect(r.violations).toEqual([]);
  });

  it('a deallocation that outlasts image_timeout: fails, never generalizes', async () => {
    const r = await runWithStandins(GALLERY, { state: azureState({ transitionPolls: 1000 }), extraVars: { image_timeout: 1 } });
    expect(r.code).toBe(2);
    expect(r.all).toMatch(
      /timed out after 1 s waiting for VM 'vm1' in resource group 'rg-lab' to be PowerState\/deallocated \(last seen: PowerState\/deallocating\)/,
    );
    expect(r.calls.some((c) => c.includes('generalize'))).toBe(false);
  });

  it('resume after that timeout: deallocated by now → no second deallocate, generalize, publish', async () => {
    const first = await runWithStandins(GALLERY, { state: azureState({ transitionPolls: 3 }), extraVars: { image_timeout: 0 } });
    expect(first.code).toBe(2);
    const again = await runWithStandins(GALLERY, { state: first.statePath });
    expect(again.code, again.all).toBe(0);
    expect(again.calls.filter((c) => MUTATING.test(c))).toEqual([
      'az vm generalize -g rg-lab -n vm1',
      expect.stringMatching(/^az sig image-version create .* --gallery-image-version 1\.0\.10 /),
    ]);
  });

  it('not logged in: one clear failure after `az account show`', async () => {
    const r = await runWithStandins(GALLERY, { state: azureState({ loggedIn: false }) });
    expect(r.code).toBe(2);
    expect(r.calls).toEqual(['az account show -o json']);
    expect(r.all).toMatch(/"msg": "az: not logged in, run `az login` as root \(on [^)]+\): Please run 'az login' to setup account\."/);
  });

  it('az missing on the controller', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-az-'));
    const r = await runWithStandins(GALLERY, { state: azureState(), cliPath: empty });
    expect(r.code).toBe(2);
    expect(r.calls).toEqual([]);
    expect(r.all).toMatch(new RegExp(`"msg": "the Azure CLI \\(az\\) is not installed on \\S+ \\(not found in PATH=${empty} of user root\\)"`));
  });

  it('the VM does not exist', async () => {
    const r = await runWithStandins([...GALLERY, '-e', 'azure_vm_name=imgbuilder-typo'], { state: azureState() });
    expect(r.code).toBe(2);
    expect(r.all).toMatch(
      /"msg": "az: VM 'imgbuilder-typo' in resource group 'rg-lab' not found \(ResourceNotFound\): \(ResourceNotFound\) The Resource 'Microsoft.Compute\/virtualMachines\/imgbuilder-typo' under resource group 'rg-lab' was not found/,
    );
    expect(r.calls.filter((c) => MUTATING.test(c))).toEqual([]);
  });
});

describe('image.yml capture on Azure: managed image (stand-in az)', () => {
  it("sequence (--location = the VM's region, not the resource group's), then idempotent", async () => {
    const r = await runWithStandins(MANAGED, { state: azureState() });
    expect(r.code, r.all).toBe(0);
    expect(r.calls).toEqual([
      'az account show -o json',
      'az image show -g rg-lab -n cloudnode-debian12-2405 -o json',
      'az vm get-instance-view -g rg-lab -n vm1 -o json',
      'az vm deallocate -g rg-lab -n vm1 --no-wait',
      Q,
      Q,
      Q,
      'az vm generalize -g rg-lab -n vm1',
      `az image create -g rg-lab -n cloudnode-debian12-2405 --source ${VM_ID} --location westeurope --hyper-v-generation V2 -o json`,
      'az image show -g rg-lab -n cloudnode-debian12-2405 -o json',
    ]);
    expect(r.violations).toEqual([]);
    expect(r.stdout).toContain(`"msg": "golden image: /subscriptions/${SUB}/resourceGroups/rg-lab/providers/Microsoft.Compute/images/cloudnode-debian12-2405"`);
    const again = await runWithStandins(MANAGED, { state: r.statePath });
    expect(again.code).toBe(0);
    expect(again.calls).toEqual([
      'az account show -o json',
      'az image show -g rg-lab -n cloudnode-debian12-2405 -o json',
      'az vm get-instance-view -g rg-lab -n vm1 -o json',
    ]);
    expect(recap(again.stdout)['vm1']).toMatchObject({ changed: 0 });
  });

  it('an existing image of the name from another VM: refused, never overwritten', async () => {
    const first = await runWithStandins(MANAGED, { state: azureState() });
    const r = await runWithStandins([...MANAGED, '-e', 'azure_vm_name=vm2', '-e', 'azure_resource_group=rg-lab'], { state: first.statePath });
    expect(r.code).toBe(2);
    expect(r.all).toMatch(
      /image 'cloudnode-debian12-2405' already exists in resource group 'rg-lab' \(made from .*virtualMachines\/vm1\): tsplay never overwrites an image; choose a new name/,
    );
    expect(r.violations).toEqual([]);
  });
});

describe('image.yml capture on AWS (stand-in aws)', () => {
  it('create-image with reboot, wait image-available (3 rounds), confirm; then idempotent by name', async () => {
    const r = await runWithStandins(AWS, { state: loadState('lab-aws-state.json') });
    expect(r.code, r.all).toBe(0);
    const R = '--region eu-west-1 --output json';
    expect(r.calls).toEqual([
      `aws ec2 describe-images --owners self --filters Name=name,Values=cloudnode-debian12-2405 ${R}`,
      `aws ec2 describe-instances --instance-ids i-0a1b2c3d4e5f60718 ${R}`,
      `aws ec2 create-image --instance-id i-0a1b2c3d4e5f60718 --name cloudnode-debian12-2405 --description cloud node golden image (Debian 12) --reboot ${R}`,
      'aws ec2 wait image-available --image-ids ami-00000000000000001 --region eu-west-1',
      'aws ec2 wait image-available --image-ids ami-00000000000000001 --region eu-west-1',
      'aws ec2 wait image-available --image-ids ami-00000000000000001 --region eu-west-1',
      `aws ec2 describe-images --image-ids ami-00000000000000001 ${R}`,
    ]);
    expect(r.log.filter((l) => l.argv).every((l) => l.pager === '')).toBe(true);
    expect(r.log.some((l) => l.rebooted === 'i-0a1b2c3d4e5f60718')).toBe(true);
    expect(r.stdout).toContain('"msg": "golden image: ami-00000000000000001"');
    const again = await runWithStandins(AWS, { state: r.statePath });
    expect(again.code).toBe(0);
    expect(again.calls).toEqual([`aws ec2 describe-images --owners self --filters Name=name,Values=cloudnode-debian12-2405 ${R}`]);
    expect(again.violations).toEqual([]);
  });

  it('aws_no_reboot: --no-reboot and the consistency warning', async () => {
    const r = await runWithStandins([...AWS, '-e', 'aws_no_reboot=true'], { state: loadState('lab-aws-state.json') });
    expect(r.code, r.all).toBe(0);
    expect(r.calls.find((c) => c.includes('create-image'))).toMatch(/ --no-reboot /);
    expect(r.log.some((l) => l.rebooted)).toBe(false);
    expect(r.all.replace(/\s+/g, ' ')).toMatch(/\[WARNING\]: vm1: aws_image: no_reboot: the instance is not rebooted, so its file systems are not quiesced/);
  });

  it('no credentials: one clear failure', async () => {
    const r = await runWithStandins(AWS, { state: { ...loadState('lab-aws-state.json'), credentials: false } });
    expect(r.code).toBe(2);
    expect(r.all).toMatch(
      /"msg": "aws: Unable to locate credentials for root on \S+: run `aws configure` as root, set AWS_PROFILE, or give the host an instance profile"/,
    );
    expect(r.calls).toHaveLength(1);
  });
});

describe('azure_vm', () => {
  it('state: stopped is refused when the playbook loads, with the billing reason (file:line)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'azvm-'));
    const pb = join(dir, 'stop.yml');
    writeFileSync(
      pb,
      '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - azure_vm:\n        resource_group: rg-lab\n        name: vm1\n        state: stopped\n',
    );
    const r = await tsplay(['run', pb, '-i', 'localhost,']);
    expect(r.code).toBe(4); // a load-time (parse) error, as ansible-playbook exits
    expect(r.all).toContain(
      `${pb}:7:9: azure_vm: state=stopped is refused: \`az vm stop\` powers the VM off but keeps it allocated, and Azure keeps billing it; use state=deallocated (\`az vm deallocate\`)`,
    );
  });
});
