/**
 * azure_vm / azure_image planning from canned az JSON (the shapes azure-cli prints): pure helpers, then the
 * modules through validation + check/apply with every az call answered from the test, so the exact
 * sequence, idempotency, check mode and the refusals are asserted call by call.
 */
import { describe, expect, it } from 'vitest';
import { captureSteps, checkDefinition, nextVersion, regionKey, sameId, withSourceRegion, type AzImageDefinition } from './azure_image/azure-image-plan.js';
import { describeStatuses, isGeneralized, powerState, type AzVmView } from '../../lib/cloud/azure-state.js';
import { planPower } from './azure_vm/azure-vm.js';
import { ArgsError, ModuleError } from '../../src/errors.js';
import { validateArgs } from '../../src/contract/validate.js';
import { ACCOUNT, NOT_FOUND, SUB, imageRegistry, json, runImageModule, statuses, vmId, vmView, type CliAnswer } from '../../test/harness/image.js';

const asStatuses = (x: unknown[]) => x as { code: string }[];

describe('power state from instanceView.statuses', () => {
  it.each(['running', 'starting', 'stopping', 'stopped', 'deallocating', 'deallocated'])('%s', (p) => {
    expect(powerState(asStatuses(statuses(p)))).toBe(p);
  });
  it('no PowerState status (a VM whose provisioning failed) is unknown', () => {
    expect(powerState([{ code: 'ProvisioningState/failed/InternalOperationError' }])).toBe('unknown');
  });
  it('OSState/generalized', () => {
    expect(isGeneralized(asStatuses(statuses('deallocated', true)))).toBe(true);
    expect(isGeneralized(asStatuses(statuses('deallocated')))).toBe(false);
    expect(describeStatuses(asStatuses(statuses('deallocated', true)))).toBe('OSState/generalized, PowerState/deallocated');
  });
});

describe('nextVersion', () => {
  it.each<[string[], 'patch' | 'minor' | 'major', string]>([
    [[], 'patch', '1.0.0'],
    [['1.0.0'], 'patch', '1.0.1'],
    [['1.0.0', '1.0.9'], 'patch', '1.0.10'], // numeric, not string order
    [['1.0.10', '1.0.9', '1.2.0'], 'patch', '1.2.1'],
    [['1.10.0', '1.9.7'], 'minor', '1.11.0'],
    [['2.3.4', '10.0.0'], 'major', '11.0.0'],
    [['latest', '1.0.0-rc1', '0.0.3'], 'patch', '0.0.4'], // names that are not X.Y.Z do not count
  ])('%j %s → %s', (existing, bump, want) => {
    expect(nextVersion(existing, bump, '1.0.0')).toBe(want);
  });
});

describe('target regions', () => {
  it('the source region is added first when missing; az REGION=N syntax kept', () => {
    expect(withSourceRegion([], 'westeurope')).toEqual(['westeurope']);
    expect(withSourceRegion(['northeurope=2'], 'westeurope')).toEqual(['westeurope', 'northeurope=2']);
    expect(withSourceRegion(['northeurope', 'westeurope=2=standard_zrs'], 'westeurope')).toEqual(['northeurope', 'westeurope=2=standard_zrs']);
  });
  it('display names count as the same region; a region twice is an error', () => {
    expect(regionKey('West Europe')).toBe('westeurope');
    expect(withSourceRegion(['West Europe'], 'westeurope')).toEqual(['West Europe']);
    expect(() => withSourceRegion(['westeurope', 'West Europe=2'], 'eastus')).toThrow(/names westeurope twice/);
  });
});

describe('ids and capture steps', () => {
  it('resource ids compare case-insensitively (az upper-cases resource groups)', () => {
    expect(sameId(vmId('rg-lab', 'b1'), `/subscriptions/${SUB}/resourceGroups/rg-lab/providers/Microsoft.Compute/virtualMachines/b1`)).toBe(true);
    expect(sameId(vmId('rg-lab', 'b1'), vmId('rg-lab', 'b10'))).toBe(false);
    expect(sameId(undefined, vmId('rg', 'b1'))).toBe(false);
  });
  const vm = (power: string, generalized = false) => vmView('rg', 'b1', power, { generalized }) as AzVmView;
  it.each<[string, boolean, string[]]>([
    ['running', false, ['deallocate', 'wait-deallocated', 'generalize']],
    ['stopped', false, ['deallocate', 'wait-deallocated', 'generalize']], // stopped is still allocated (billed)
    ['starting', false, ['deallocate', 'wait-deallocated', 'generalize']],
    ['deallocating', false, ['wait-deallocated', 'generalize']],
    ['deallocated', false, ['generalize']],
    ['deallocated', true, []],
  ])('%s (generalized: %s) → %j', (power, gen, steps) => {
    expect(captureSteps(vm(power, gen), { deallocate: true, what: 'VM b1' })).toEqual(steps);
  });
  it('deallocate: false refuses to generalize a VM that is not deallocated', () => {
    expect(() => captureSteps(vm('running'), { deallocate: false, what: "VM 'b1'" })).toThrow(
      "refusing to generalize VM 'b1': it is PowerState/running, not PowerState/deallocated (deallocate: false); deallocate it first (azure_vm state=deallocated)",
    );
    expect(captureSteps(vm('deallocated'), { deallocate: false, what: 'b1' })).toEqual(['generalize']);
  });
  it("the image definition must be Generalized and of the VM's Hyper-V generation", () => {
    const def = (o: Partial<AzImageDefinition>): AzImageDefinition => ({ id: 'x', name: 'cloudnode', osState: 'Generalized', hyperVGeneration: 'V2', ...o });
    expect(() => checkDefinition(def({}), vm('deallocated'))).not.toThrow();
    expect(() => checkDefinition(def({ osState: 'Specialized' }), vm('deallocated'))).toThrow(/osState Specialized: .* --os-state Generalized/);
    expect(() => checkDefinition(def({ hyperVGeneration: 'V1' }), vm('deallocated'))).toThrow(
      'image definition cloudnode is Hyper-V generation V1 but VM b1 is V2: VMs made from it would not boot',
    );
  });
});

describe('azure_vm', () => {
  it('plans: nothing / start / deallocate / wait only; a generalized VM cannot start', () => {
    const st = (p: string, g = false) => asStatuses(statuses(p, g));
    expect(planPower(st('running'), 'started', 'b1')).toBeNull();
    expect(planPower(st('deallocated'), 'started', 'b1')).toEqual({ action: 'start', target: 'running', from: 'deallocated' });
    expect(planPower(st('starting'), 'started', 'b1')).toEqual({ action: null, target: 'running', from: 'starting' });
    expect(planPower(st('stopped'), 'deallocated', 'b1')).toEqual({ action: 'deallocate', target: 'deallocated', from: 'stopped' });
    expect(planPower(st('deallocated', true), 'deallocated', 'b1')).toBeNull();
    expect(() => planPower(st('deallocated', true), 'started', "VM 'b1'")).toThrow(
      /VM 'b1' is generalized \(OSState\/generalized\): a generalized VM can never be started again/,
    );
  });

  it('state=stopped is refused before anything runs: az vm stop keeps billing', () => {
    const mod = imageRegistry.get('azure_vm')!;
    expect(() => validateArgs(mod, { resource_group: 'rg', name: 'b1', state: 'stopped' })).toThrow(ArgsError);
    expect(() => validateArgs(mod, { resource_group: 'rg', name: 'b1', state: 'stopped' })).toThrow(
      /`az vm stop` powers the VM off but keeps it allocated, and Azure keeps billing it; use state=deallocated/,
    );
  });

  /** a VM whose power state moves one step per read after start/deallocate --no-wait */
  function vmSim(initial: string, opts: { generalized?: boolean; steps?: number } = {}) {
    let power = initial;
    let pending: { to: string; left: number } | null = null;
    return (argv: string[]): CliAnswer => {
      const cmd = argv.slice(0, 2).join(' ');
      if (cmd === 'account show') return json(ACCOUNT);
      if (cmd === 'vm get-instance-view') {
        if (pending && pending.left-- <= 0) {
          power = pending.to;
          pending = null;
        }
        return json(statuses(power, opts.generalized));
      }
      if (cmd === 'vm start' || cmd === 'vm deallocate') {
        const [via, to] = cmd === 'vm start' ? ['starting', 'running'] : ['deallocating', 'deallocated'];
        power = via;
        pending = { to, left: opts.steps ?? 1 };
        return {};
      }
      throw new Error(`unexpected az ${argv.join(' ')}`);
    };
  }
  const args = { resource_group: 'rg', name: 'b1', poll_interval: 0, timeout: 30 };
  const Q = 'az vm get-instance-view -g rg -n b1 --query instanceView.statuses -o json';

  it('running + started: ok, two reads', async () => {
    const r = await runImageModule('azure_vm', { ...args, state: 'started' }, vmSim('running'));
    expect(r.result).toMatchObject({ changed: false, power_state: 'PowerState/running' });
    expect(r.calls).toEqual(['az account show -o json', Q]);
  });

  it('deallocated + started: az vm start --no-wait, then polls until PowerState/running', async () => {
    const r = await runImageModule('azure_vm', { ...args, state: 'started' }, vmSim('deallocated', { steps: 2 }));
    expect(r.result).toMatchObject({ changed: true, power_state: 'PowerState/running' });
    expect(r.calls).toEqual(['az account show -o json', Q, 'az vm start -g rg -n b1 --no-wait', Q, Q, Q]);
  });

  it('check mode: changed, no start', async () => {
    const r = await runImageModule('azure_vm', { ...args, state: 'started' }, vmSim('deallocated'), { check: true });
    expect(r.result).toMatchObject({ changed: true, msg: 'az vm start b1 (PowerState/deallocated)' });
    expect(r.calls).toEqual(['az account show -o json', Q]);
  });

  it('running + deallocated: az vm deallocate (never stop)', async () => {
    const r = await runImageModule('azure_vm', { ...args, state: 'deallocated' }, vmSim('running'));
    expect(r.calls).toContain('az vm deallocate -g rg -n b1 --no-wait');
    expect(r.calls.join('\n')).not.toMatch(/vm stop/);
    expect(r.result.power_state).toBe('PowerState/deallocated');
  });

  it('already starting: waits, does not start again, reports no change', async () => {
    const sim = vmSim('deallocated');
    sim(['vm', 'start']); // someone else started it
    const r = await runImageModule('azure_vm', { ...args, state: 'started' }, sim);
    expect(r.calls.filter((c) => c.startsWith('az vm start'))).toEqual([]);
    expect(r.result).toMatchObject({ changed: false, power_state: 'PowerState/running' });
  });

  it('times out with the last state seen', async () => {
    const r = await runImageModule('azure_vm', { ...args, state: 'started', timeout: 0 }, vmSim('deallocated', { steps: 99 }));
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(
      /^timed out after 0 s waiting for VM 'b1' in resource group 'rg' to be PowerState\/running \(last seen: PowerState\/starting\)/,
    );
  });

  it('a generalized VM: start refused with the reason', async () => {
    const r = await runImageModule('azure_vm', { ...args, state: 'started' }, vmSim('deallocated', { generalized: true }));
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/is generalized \(OSState\/generalized\): a generalized VM can never be started again/);
  });

  it('VM not found', async () => {
    const r = await runImageModule('azure_vm', { ...args, state: 'started' }, (argv) =>
      argv[0] === 'account' ? json(ACCOUNT) : NOT_FOUND('Microsoft.Compute/virtualMachines/b1', 'rg'),
    );
    expect(r.result.msg).toMatch(/^az: VM 'b1' in resource group 'rg' not found \(ResourceNotFound\)/);
  });
});

// --- azure_image -----------------------------------------------------------------------------------

interface Cloud {
  power: string;
  generalized: boolean;
  images: Record<string, unknown>;
  versions: Record<string, { provisioningState: string; source: string; left?: number }>;
  def: Partial<AzImageDefinition> | null;
  vmExists: boolean;
}

function azSim(c: Cloud) {
  let pending: { to: string; left: number } | null = null;
  const vState = (name: string) => {
    const v = c.versions[name]!;
    if (v.provisioningState === 'Creating' && (v.left ?? 0) <= 0) v.provisioningState = 'Succeeded';
    else if (v.provisioningState === 'Creating') v.left = (v.left ?? 0) - 1;
    return {
      id: `/subscriptions/${SUB}/resourceGroups/RG/providers/Microsoft.Compute/galleries/gal/images/cloudnode/versions/${name}`,
      name,
      location: 'westeurope',
      provisioningState: v.provisioningState,
      publishingProfile: { targetRegions: [{ name: 'West Europe', regionalReplicaCount: 1 }] },
      storageProfile: { source: { id: v.source } },
    };
  };
  return (argv: string[]): CliAnswer => {
    const a = argv.join(' ');
    const opt = (o: string) => argv[argv.indexOf(o) + 1]!;
    if (a.startsWith('account show')) return json(ACCOUNT);
    if (a.startsWith('vm get-instance-view')) {
      if (!c.vmExists) return NOT_FOUND('Microsoft.Compute/virtualMachines/b1', 'rg');
      if (pending && pending.left-- <= 0) {
        c.power = pending.to;
        pending = null;
      }
      const v = vmView('rg', 'b1', c.power, { generalized: c.generalized });
      return json(argv.includes('--query') ? v.instanceView.statuses : v);
    }
    if (a.startsWith('vm deallocate')) return ((c.power = 'deallocating'), (pending = { to: 'deallocated', left: 1 }), {});
    if (a.startsWith('vm generalize')) {
      if (c.power !== 'deallocated') throw new Error(`generalize while ${c.power}`);
      c.generalized = true;
      return {};
    }
    if (a.startsWith('image show')) return c.images[opt('-n')] ? json(c.images[opt('-n')]) : NOT_FOUND(`Microsoft.Compute/images/${opt('-n')}`, 'rg');
    if (a.startsWith('image create')) {
      if (!c.generalized) throw new Error('capture of a VM that is not generalized');
      c.images[opt('-n')] = {
        id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/images/${opt('-n')}`,
        name: opt('-n'),
        location: opt('--location'),
        provisioningState: 'Succeeded',
        hyperVGeneration: opt('--hyper-v-generation'),
        sourceVirtualMachine: { id: opt('--source') },
      };
      return json(c.images[opt('-n')]);
    }
    if (a.startsWith('sig image-definition show'))
      return c.def
        ? json({ id: 'def', name: 'cloudnode', osState: 'Generalized', hyperVGeneration: 'V2', ...c.def })
        : NOT_FOUND('Microsoft.Compute/galleries/gal/images/cloudnode', 'rg');
    if (a.startsWith('sig image-version list'))
      return c.def ? json(Object.keys(c.versions).map(vState)) : NOT_FOUND('Microsoft.Compute/galleries/gal/images/cloudnode', 'rg');
    if (a.startsWith('sig image-version show'))
      return c.versions[opt('--gallery-image-version')] ? json(vState(opt('--gallery-image-version'))) : NOT_FOUND('versions', 'rg');
    if (a.startsWith('sig image-version create')) {
      if (!c.generalized) throw new Error('capture of a VM that is not generalized');
      c.versions[opt('--gallery-image-version')] = { provisioningState: 'Creating', source: opt('--virtual-machine'), left: 1 };
      return {};
    }
    throw new Error(`unexpected az ${a}`);
  };
}
const cloud = (o: Partial<Cloud> = {}): Cloud => ({ power: 'running', generalized: false, images: {}, versions: {}, def: {}, vmExists: true, ...o });
const IMG = { resource_group: 'rg', vm: 'b1', name: 'golden-2405', poll_interval: 0, timeout: 30 };
const GAL = {
  resource_group: 'rg',
  vm: 'b1',
  gallery_name: 'gal',
  gallery_image_definition: 'cloudnode',
  target_regions: ['northeurope=2'],
  poll_interval: 0,
  timeout: 30,
};
const Q = 'az vm get-instance-view -g rg -n b1 --query instanceView.statuses -o json';

describe('azure_image — managed image', () => {
  it('running VM: deallocate → wait → generalize → image create (id as source, VM location, Hyper-V gen) → show', async () => {
    const c = cloud();
    const r = await runImageModule('azure_image', IMG, azSim(c));
    expect(r.calls).toEqual([
      'az account show -o json',
      'az image show -g rg -n golden-2405 -o json',
      'az vm get-instance-view -g rg -n b1 -o json',
      'az vm deallocate -g rg -n b1 --no-wait',
      Q,
      Q,
      'az vm generalize -g rg -n b1',
      `az image create -g rg -n golden-2405 --source ${vmId('rg', 'b1')} --location westeurope --hyper-v-generation V2 -o json`,
      'az image show -g rg -n golden-2405 -o json',
    ]);
    expect(r.result).toMatchObject({
      changed: true,
      image_id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/images/golden-2405`,
      vm_id: vmId('rg', 'b1'),
    });
    expect(r.warnings).toEqual(['azure_image: generalizing b1 cannot be undone: the VM can never be started again (it is only a capture source from then on)']);
  });

  it('generalize only after PowerState/deallocated was read back', async () => {
    const r = await runImageModule('azure_image', IMG, azSim(cloud()));
    const gen = r.calls.indexOf('az vm generalize -g rg -n b1');
    expect(gen).toBeGreaterThan(r.calls.indexOf('az vm deallocate -g rg -n b1 --no-wait'));
    expect(r.calls[gen - 1]).toBe(Q);
  });

  it('second run: the image exists (from this VM, now generalized): ok after three reads; the VM is not touched', async () => {
    const c = cloud();
    await runImageModule('azure_image', IMG, azSim(c));
    const r = await runImageModule('azure_image', IMG, azSim(c));
    expect(r.result).toMatchObject({ changed: false, image_id: expect.stringContaining('/images/golden-2405') });
    expect(r.calls).toEqual(['az account show -o json', 'az image show -g rg -n golden-2405 -o json', 'az vm get-instance-view -g rg -n b1 -o json']);
  });

  it('the builder was deleted after the capture: the image is still the answer', async () => {
    const c = cloud();
    await runImageModule('azure_image', IMG, azSim(c));
    c.vmExists = false;
    const r = await runImageModule('azure_image', IMG, azSim(c));
    expect(r.result).toMatchObject({ changed: false, image_id: expect.stringContaining('/images/golden-2405') });
  });

  it("a new builder under the same VM name and the old image name: refused (the image is the earlier VM's)", async () => {
    const c = cloud();
    await runImageModule('azure_image', IMG, azSim(c));
    Object.assign(c, { power: 'running', generalized: false }); // deleted, made again as b1
    const r = await runImageModule('azure_image', IMG, azSim(c));
    expect(r.result.msg).toBe(
      "image 'golden-2405' already exists in resource group 'rg' (made from an earlier VM named 'b1' (this one is not generalized yet)): tsplay never overwrites an image; choose a new name",
    );
    expect(r.calls.filter((x) => /vm (deallocate|generalize)|create/.test(x))).toEqual([]);
  });

  it('check mode: reads only, says what it would do', async () => {
    const r = await runImageModule('azure_image', IMG, azSim(cloud()), { check: true });
    expect(r.result).toMatchObject({
      changed: true,
      msg: 'deallocate b1, wait for PowerState/deallocated, generalize b1 (irreversible: it can never be started again), create image golden-2405 in westeurope',
    });
    expect(r.calls).toEqual(['az account show -o json', 'az image show -g rg -n golden-2405 -o json', 'az vm get-instance-view -g rg -n b1 -o json']);
  });

  it('already deallocated: re-reads the state, then generalize (no deallocate)', async () => {
    const r = await runImageModule('azure_image', IMG, azSim(cloud({ power: 'deallocated' })));
    expect(r.calls.slice(3, 6)).toEqual([Q, 'az vm generalize -g rg -n b1', expect.stringMatching(/^az image create /)]);
  });

  it('resume after a failure between generalize and capture: no deallocate, no generalize', async () => {
    const r = await runImageModule('azure_image', IMG, azSim(cloud({ power: 'deallocated', generalized: true })));
    expect(r.calls.filter((x) => /vm (deallocate|generalize)/.test(x))).toEqual([]);
    expect(r.result.changed).toBe(true);
  });

  it('an image of that name from another source is never overwritten', async () => {
    const c = cloud({ images: { 'golden-2405': { id: 'img', name: 'golden-2405', sourceVirtualMachine: { id: vmId('rg', 'imgbuilder-old') } } } });
    const r = await runImageModule('azure_image', IMG, azSim(c));
    expect(r.result.msg).toBe(
      `image 'golden-2405' already exists in resource group 'rg' (made from ${vmId('rg', 'imgbuilder-old')}): tsplay never overwrites an image; choose a new name`,
    );
    expect(r.calls).toHaveLength(2);
  });

  it('deallocate: false and a running VM: refused, nothing mutating ran', async () => {
    const r = await runImageModule('azure_image', { ...IMG, deallocate: false }, azSim(cloud()));
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/^refusing to generalize VM 'b1' in resource group 'rg': it is PowerState\/running, not PowerState\/deallocated/);
    expect(r.calls.filter((x) => /vm (deallocate|generalize)|image create/.test(x))).toEqual([]);
  });

  it('the VM does not exist', async () => {
    const r = await runImageModule('azure_image', IMG, azSim(cloud({ vmExists: false })));
    expect(r.result.msg).toMatch(/^az: VM 'b1' in resource group 'rg' not found \(ResourceNotFound\)/);
  });

  it('arguments: name xor gallery_name; gallery-only options refused for a managed image', () => {
    const mod = imageRegistry.get('azure_image')!;
    expect(() => validateArgs(mod, { resource_group: 'rg', vm: 'b1' })).toThrow(/one of the following is required: name, gallery_name/);
    expect(() => validateArgs(mod, { ...IMG, gallery_name: 'g', gallery_image_definition: 'd' })).toThrow(
      /parameters are mutually exclusive: name\|gallery_name/,
    );
    expect(() => validateArgs(mod, { ...IMG, target_regions: ['eastus'] })).toThrow(/target_regions only applies to a gallery version/);
    expect(() => validateArgs(mod, { ...GAL, version: '1.0' })).toThrow(/version must be Major.Minor.Patch/);
    expect(() => validateArgs(mod, { resource_group: 'rg', vm: 'b1', gallery_name: 'g' })).toThrow(
      /missing parameter\(s\) required by 'gallery_name': gallery_image_definition/,
    );
  });
});

describe('azure_image — Compute Gallery version', () => {
  const older = {
    '1.0.0': { provisioningState: 'Succeeded', source: vmId('rg', 'imgbuilder-2403') },
    '1.0.9': { provisioningState: 'Succeeded', source: vmId('rg', 'imgbuilder-2404') },
  };

  it('next version after the existing ones, source region added, --no-wait then show until Succeeded', async () => {
    const r = await runImageModule('azure_image', GAL, azSim(cloud({ versions: structuredClone(older) })));
    const G = '-g rg --gallery-name gal --gallery-image-definition cloudnode';
    expect(r.calls).toEqual([
      'az account show -o json',
      `az sig image-version list ${G} -o json`,
      'az vm get-instance-view -g rg -n b1 -o json',
      `az sig image-definition show ${G} -o json`,
      'az vm deallocate -g rg -n b1 --no-wait',
      Q,
      Q,
      'az vm generalize -g rg -n b1',
      `az sig image-version create ${G} --gallery-image-version 1.0.10 --virtual-machine ${vmId('rg', 'b1')} --location westeurope --target-regions westeurope northeurope=2 --no-wait`,
      `az sig image-version show ${G} --gallery-image-version 1.0.10 -o json`,
      `az sig image-version show ${G} --gallery-image-version 1.0.10 -o json`,
    ]);
    expect(r.result).toMatchObject({
      changed: true,
      version: '1.0.10',
      image_id: expect.stringMatching(/\/versions\/1\.0\.10$/),
      version_id: expect.stringMatching(/\/versions\/1\.0\.10$/),
    });
  });

  it('second run: the version made from this VM is the answer (ok), no new version', async () => {
    const c = cloud({ versions: structuredClone(older) });
    await runImageModule('azure_image', GAL, azSim(c));
    const r = await runImageModule('azure_image', GAL, azSim(c));
    expect(r.result).toMatchObject({ changed: false, version: '1.0.10' });
    expect(r.calls).toHaveLength(3);
    expect(Object.keys(c.versions)).toEqual(['1.0.0', '1.0.9', '1.0.10']);
  });

  it("a new builder under the same name: the earlier VM's version is not the answer; 1.0.11 is published", async () => {
    const c = cloud({ versions: structuredClone(older) });
    await runImageModule('azure_image', GAL, azSim(c));
    Object.assign(c, { power: 'running', generalized: false }); // b1 deleted and made again for the next build
    const r = await runImageModule('azure_image', GAL, azSim(c));
    expect(r.result).toMatchObject({ changed: true, version: '1.0.11' });
    expect(r.warnings[0]).toBe("azure_image: version(s) 1.0.10 came from an earlier VM named 'b1'; this VM is not generalized yet, so it gets a new version");
    expect(c.versions['1.0.11']!.source).toBe(vmId('rg', 'b1'));
  });

  it("… and pinning the earlier VM's version number is refused, not overwritten", async () => {
    const c = cloud({ versions: { ...structuredClone(older), '1.0.10': { provisioningState: 'Succeeded', source: vmId('rg', 'b1') } } });
    const r = await runImageModule('azure_image', { ...GAL, version: '1.0.10' }, azSim(c));
    expect(r.result.msg).toMatch(/^version 1\.0\.10 of .* already exists \(from .*virtualMachines\/b1\): tsplay never overwrites a version/);
  });

  it('a version from this VM still Creating (an earlier run timed out): wait for it, create nothing', async () => {
    const c = cloud({
      power: 'deallocated',
      generalized: true,
      versions: { ...structuredClone(older), '1.0.10': { provisioningState: 'Creating', source: vmId('rg', 'b1'), left: 2 } },
    });
    const r = await runImageModule('azure_image', GAL, azSim(c));
    expect(r.calls.some((x) => x.includes('image-version create'))).toBe(false);
    expect(r.result).toMatchObject({ changed: false, version: '1.0.10' });
  });

  it('a failed version from this VM: told to delete it, never overwritten', async () => {
    const c = cloud({ power: 'deallocated', generalized: true, versions: { '1.0.10': { provisioningState: 'Failed', source: vmId('rg', 'b1') } } });
    const r = await runImageModule('azure_image', GAL, azSim(c));
    expect(r.result.msg).toMatch(/version 1\.0\.10 of image definition 'cloudnode' .* is in state Failed: delete it \(az sig image-version delete/);
  });

  it('a pinned version that exists from another VM is refused', async () => {
    const r = await runImageModule('azure_image', { ...GAL, version: '1.0.9' }, azSim(cloud({ versions: structuredClone(older) })));
    expect(r.result.msg).toMatch(/^version 1\.0\.9 of .* already exists \(from .*imgbuilder-2404\): tsplay never overwrites a version/);
  });

  it('first version of an empty definition: initial_version; bump minor', async () => {
    const first = await runImageModule('azure_image', GAL, azSim(cloud()), { check: true });
    expect(first.result.version).toBe('1.0.0');
    const minor = await runImageModule('azure_image', { ...GAL, version_bump: 'minor' }, azSim(cloud({ versions: structuredClone(older) })), { check: true });
    expect(minor.result.version).toBe('1.1.0');
  });

  it('a definition that is missing, Specialized, or of another Hyper-V generation fails before any change', async () => {
    for (const [def, msg] of [
      [null, /^az: image definition 'cloudnode' of gallery 'gal' in resource group 'rg' not found \(ResourceNotFound\)/],
      [{ osState: 'Specialized' }, /osState Specialized/],
      [{ hyperVGeneration: 'V1' }, /Hyper-V generation V1 but VM b1 is V2/],
    ] as const) {
      const r = await runImageModule('azure_image', GAL, azSim(cloud({ def: def as Cloud['def'] })));
      expect(r.result.msg).toMatch(msg);
      expect(r.calls.filter((x) => /vm (deallocate|generalize)|create/.test(x))).toEqual([]);
    }
  });

  it('subscription goes on every call', async () => {
    const r = await runImageModule('azure_image', { ...GAL, subscription: 'HPC' }, azSim(cloud()), { check: true });
    for (const c of r.calls) expect(c).toMatch(/ --subscription HPC( -o json)?$/);
  });
});

describe('errors are ModuleErrors', () => {
  it('captureSteps throws ModuleError (a failed task, not a crash)', () => {
    expect(() => captureSteps(vmView('rg', 'b1', 'running') as AzVmView, { deallocate: false, what: 'b1' })).toThrow(ModuleError);
  });
});
