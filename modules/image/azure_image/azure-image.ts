/**
 * azure_image: capture a deprovisioned Azure VM as a managed image or a Compute Gallery image version
 * (run on the controller: delegate_to: localhost). procedures §4:
 *   az vm deallocate → PowerState/deallocated → az vm generalize → az image create --source VM
 *   (or az sig image-version create, next Major.Minor.Patch, target regions incl. the source region) → show.
 * Idempotent: an image (or a version) made from this VM is the answer, and is never overwritten; a VM
 * already deallocated / generalized skips those steps. Azure ids are names, so "made from this VM" also needs
 * the VM to be generalized (or gone): a new builder under an old name gets a new version. Generalize only ever runs after the power state was
 * read back as PowerState/deallocated.
 */
import { ArgsError, ModuleError, Type, change, defineModule, ok, type CheckContext, type ModuleContext } from '../../../src/contract/index.js';
import { CloudCli } from '../../../lib/cloud/cli.js';
import { pollUntil } from '../../../lib/cloud/wait.js';
import {
  azGlobal,
  describeStatuses,
  isGeneralized,
  powerState,
  readStatuses,
  readVm,
  vmWhat,
  waitPower,
  type AzStatus,
  type AzVmView,
} from '../../../lib/cloud/azure-state.js';
import {
  captureSteps,
  checkDefinition,
  compareVersions,
  nextVersion,
  parseVersion,
  sameId,
  stepSummary,
  versionSource,
  vmResourceId,
  withSourceRegion,
  type AzImage,
  type AzImageDefinition,
  type AzImageVersion,
  type CaptureStep,
} from './azure-image-plan.js';

const Args = Type.Object(
  {
    resource_group: Type.String({ minLength: 1, description: 'resource group of the builder VM (and of the managed image)' }),
    vm: Type.String({ minLength: 1, description: 'the builder VM (deprovisioned; it is generalized here)' }),
    name: Type.Optional(Type.String({ minLength: 1, description: 'managed image name (az image create); or use gallery_name' })),
    gallery_name: Type.Optional(Type.String({ minLength: 1, description: 'Compute Gallery: publish an image version there' })),
    gallery_image_definition: Type.Optional(Type.String({ minLength: 1, description: 'the gallery image definition (os state Generalized)' })),
    gallery_resource_group: Type.Optional(Type.String({ minLength: 1, description: 'resource group of the gallery (default: resource_group)' })),
    version: Type.Optional(Type.String({ description: 'the version to create (default: the next after the existing ones)' })),
    version_bump: Type.Union([Type.Literal('patch'), Type.Literal('minor'), Type.Literal('major')], {
      default: 'patch',
      description: 'which part of the highest existing version to raise',
    }),
    initial_version: Type.String({ default: '1.0.0', description: 'the version when the definition has none yet' }),
    target_regions: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'regions to replicate to (az syntax REGION[=REPLICAS][=STORAGE]); the source region is always included',
    }),
    replica_count: Type.Optional(Type.Integer({ minimum: 1, description: 'default replicas per region' })),
    storage_account_type: Type.Optional(
      Type.Union([Type.Literal('Standard_LRS'), Type.Literal('Standard_ZRS'), Type.Literal('Premium_LRS')], {
        description: "storage of the version's replicas (az --storage-account-type; default: Azure's)",
      }),
    ),
    deallocate: Type.Boolean({ default: true, description: 'deallocate a running VM first (false: refuse unless it is already deallocated)' }),
    subscription: Type.Optional(Type.String({ minLength: 1, description: "subscription name or id (default: the CLI's current one)" })),
    timeout: Type.Number({ default: 3600, minimum: 0, description: 'seconds to wait for deallocation, and again for the image version' }),
    poll_interval: Type.Number({ default: 15, minimum: 0, description: 'seconds between two reads of the power state or the version state' }),
  },
  { additionalProperties: false },
);

type A = typeof Args.static;

interface Plan {
  steps: CaptureStep[];
  vmId: string;
  location: string;
  hyperV?: string;
  /** null: only wait for a version of this VM that is still being created */
  create: { kind: 'image'; name: string } | { kind: 'version'; version: string; regions: string[] } | null;
  waitVersion?: string;
}

const gallery = (a: A) => ({ rg: a.gallery_resource_group ?? a.resource_group, name: a.gallery_name!, def: a.gallery_image_definition! });
const galleryArgs = (a: A) => ['-g', gallery(a).rg, '--gallery-name', gallery(a).name, '--gallery-image-definition', gallery(a).def];
const defWhat = (a: A) => `image definition '${gallery(a).def}' of gallery '${gallery(a).name}' in resource group '${gallery(a).rg}'`;
const cli = (ctx: CheckContext | ModuleContext, a: A) => new CloudCli(ctx, 'az', { globalArgs: azGlobal(a.subscription) });

function versionCall(a: A, version: string) {
  return { argv: ['sig', 'image-version', 'show', ...galleryArgs(a), '--gallery-image-version', version], what: `version ${version} of ${defWhat(a)}` };
}

function versionResult(v: AzImageVersion, vmId: string) {
  return { image_id: v.id, version: v.name, version_id: v.id, vm_id: vmId, target_regions: (v.publishingProfile?.targetRegions ?? []).map((r) => r.name) };
}

/**
 * A version made from this VM: done (Succeeded), to wait for (Creating/Updating), or a failure to clean up.
 * `ours`: versions with the VM's id are this VM's (false: they came from an earlier VM of the same name).
 */
function existingVersion(versions: AzImageVersion[], vmId: string, a: A, ours: boolean): AzImageVersion | undefined {
  const mine = ours ? versions.filter((v) => sameId(versionSource(v), vmId)) : [];
  const v = mine.sort((x, y) => compareVersions(parseVersion(y.name) ?? [0, 0, 0], parseVersion(x.name) ?? [0, 0, 0]))[0];
  if (v && /^fail/i.test(v.provisioningState ?? '')) {
    throw new ModuleError(
      `version ${v.name} of ${defWhat(a)} (from this VM) is in state ${v.provisioningState}: delete it (az sig image-version delete ... --gallery-image-version ${v.name}) and rerun; tsplay never overwrites a version`,
    );
  }
  if (!v && a.version && versions.some((x) => x.name === a.version)) {
    const other = versions.find((x) => x.name === a.version)!;
    throw new ModuleError(
      `version ${a.version} of ${defWhat(a)} already exists (from ${versionSource(other) ?? 'another source'}): tsplay never overwrites a version; drop 'version' to publish the next one`,
    );
  }
  return v;
}

export const azureImage = defineModule<typeof Args, Plan>({
  name: 'azure_image',
  description: 'Capture a deprovisioned Azure VM: deallocate, generalize, managed image or Compute Gallery version (az CLI)',
  examples: `- name: capture the deprovisioned builder as the next minor version in the gallery
  azure_image:
    resource_group: rg-hpc-images
    vm: builder-el9
    gallery_name: hpc_gallery
    gallery_image_definition: hpc-el9
    version_bump: minor
    target_regions: [westeurope, northeurope=2]
  delegate_to: localhost
  register: image
- name: or as a managed image in the builder's resource group
  azure_image:
    resource_group: rg-hpc-images
    vm: builder-el9
    name: hpc-el9-2024-06
  delegate_to: localhost
`,
  returns: {
    image_id: 'the id of the managed image or of the gallery version',
    image_name: 'managed image: its name',
    version: 'gallery: the version (planned, in check mode)',
    version_id: 'gallery: the version id',
    target_regions: 'gallery: the regions the version is replicated to',
    vm_id: 'the source VM id',
    location: 'the region',
    power_state: "the VM's power state before the task (when a capture was planned)",
  },
  args: Args,
  // name: a managed image; gallery_name (+ gallery_image_definition): a gallery image version
  rules: {
    requiredOneOf: [['name', 'gallery_name']],
    mutuallyExclusive: [['name', 'gallery_name']],
    requiredBy: { gallery_name: ['gallery_image_definition'] },
  },
  validate(a) {
    if (a.gallery_name === undefined) {
      for (const k of ['gallery_image_definition', 'gallery_resource_group', 'version', 'replica_count', 'storage_account_type'] as const) {
        if (a[k] !== undefined) throw new ArgsError(`azure_image: ${k} only applies to a gallery version (gallery_name)`, `/${k}`);
      }
      if (a.target_regions.length)
        throw new ArgsError(
          "azure_image: target_regions only applies to a gallery version (gallery_name); a managed image lives in the VM's region",
          '/target_regions',
        );
    }
    if (a.version !== undefined && !parseVersion(a.version))
      throw new ArgsError(`azure_image: version must be Major.Minor.Patch (e.g. 1.0.3), not '${a.version}'`, '/version');
    if (!parseVersion(a.initial_version))
      throw new ArgsError(`azure_image: initial_version must be Major.Minor.Patch, not '${a.initial_version}'`, '/initial_version');
  },
  async check(ctx, a) {
    const az = cli(ctx, a);
    const account = await az.preflight();
    const expectedVmId = vmResourceId(account?.id ?? '', a.resource_group, a.vm);
    const vmName = vmWhat(a.resource_group, a.vm);

    // 1. already captured from this VM? Resource ids are names: a builder deleted and made again under the
    //    same name has the same id. A VM that is not generalized cannot have been captured yet, so an image or
    //    version with its id then comes from an earlier VM of that name (and is not the answer).
    let view: AzVmView | null | undefined;
    const vmNow = async () =>
      view === undefined
        ? (view = await az.run<AzVmView>({ argv: ['vm', 'get-instance-view', '-g', a.resource_group, '-n', a.vm], what: vmName, notFoundOk: true }))
        : view;
    const capturedFromThisVm = async () => {
      const v = await vmNow();
      return !v || isGeneralized(v.instanceView?.statuses);
    };
    let versions: AzImageVersion[] = [];
    if (a.name !== undefined) {
      const img = await az.run<AzImage>({ argv: ['image', 'show', '-g', a.resource_group, '-n', a.name], what: `image '${a.name}'`, notFoundOk: true });
      if (img) {
        const sameName = sameId(img.sourceVirtualMachine?.id, expectedVmId);
        if (sameName && (await capturedFromThisVm()))
          return ok({ image_id: img.id, image_name: img.name, vm_id: img.sourceVirtualMachine!.id, location: img.location });
        const from = sameName ? `an earlier VM named '${a.vm}' (this one is not generalized yet)` : (img.sourceVirtualMachine?.id ?? 'another source');
        throw new ModuleError(
          `image '${a.name}' already exists in resource group '${a.resource_group}' (made from ${from}): tsplay never overwrites an image; choose a new name`,
        );
      }
    } else {
      versions = (await az.run<AzImageVersion[]>({ argv: ['sig', 'image-version', 'list', ...galleryArgs(a)], what: defWhat(a) })) ?? [];
      const fromId = versions.filter((v) => sameId(versionSource(v), expectedVmId));
      const ours = fromId.length > 0 && (await capturedFromThisVm());
      if (fromId.length && !ours) {
        ctx.warn(
          `azure_image: version(s) ${fromId.map((v) => v.name).join(', ')} came from an earlier VM named '${a.vm}'; this VM is not generalized yet, so it gets a new version`,
        );
      }
      const v = existingVersion(versions, expectedVmId, a, ours);
      if (v && /^succeeded$/i.test(v.provisioningState ?? '')) return ok(versionResult(v, versionSource(v)!));
      if (v)
        return change(`wait for version ${v.name} (${v.provisioningState})`, {
          steps: [],
          vmId: versionSource(v)!,
          location: v.location ?? '',
          create: null,
          waitVersion: v.name,
        });
    }

    // 2. the VM: exists, its state says which steps remain
    const read = await vmNow();
    if (!read) await readVm(az, a.resource_group, a.vm); // not found: fails with az's own words
    const vm = read!;
    if (a.gallery_name !== undefined) {
      const def = await az.run<AzImageDefinition>({ argv: ['sig', 'image-definition', 'show', ...galleryArgs(a)], what: defWhat(a) });
      checkDefinition(def!, vm);
    }
    const steps = captureSteps(vm, { deallocate: a.deallocate, what: vmName });
    const plan: Plan = {
      steps,
      vmId: vm.id,
      location: vm.location,
      hyperV: vm.instanceView?.hyperVGeneration,
      create:
        a.name !== undefined
          ? { kind: 'image', name: a.name }
          : {
              kind: 'version',
              version:
                a.version ??
                nextVersion(
                  versions.map((v) => v.name),
                  a.version_bump,
                  a.initial_version,
                ),
              regions: withSourceRegion(a.target_regions, vm.location),
            },
    };
    const what =
      plan.create!.kind === 'image'
        ? `create image ${plan.create!.name} in ${vm.location}`
        : `create version ${plan.create!.version} of ${gallery(a).name}/${gallery(a).def} in ${plan.create!.regions.join(' ')}`;
    if (steps.includes('generalize'))
      ctx.warn(`azure_image: generalizing ${a.vm} cannot be undone: the VM can never be started again (it is only a capture source from then on)`);
    return change([...stepSummary(steps, a.vm), what].join(', '), plan, {
      result: {
        vm_id: vm.id,
        location: vm.location,
        power_state: describeStatuses(vm.instanceView?.statuses),
        ...(plan.create!.kind === 'version' ? { version: plan.create!.version } : { image_name: a.name }),
      },
    });
  },
  async apply(ctx, a, plan) {
    const az = cli(ctx, a);
    const rg = a.resource_group;
    let statuses: AzStatus[] | undefined;
    const vmArgs = ['-g', rg, '-n', a.vm];
    if (plan.steps.includes('deallocate')) await az.run({ argv: ['vm', 'deallocate', ...vmArgs, '--no-wait'], what: vmWhat(rg, a.vm), noOutput: true });
    if (plan.steps.includes('wait-deallocated')) statuses = await waitPower(az, rg, a.vm, 'deallocated', { timeoutS: a.timeout, intervalS: a.poll_interval });
    if (plan.steps.includes('generalize')) {
      statuses ??= await readStatuses(az, rg, a.vm);
      if (powerState(statuses) !== 'deallocated') {
        throw new ModuleError(`refusing to generalize ${vmWhat(rg, a.vm)}: it is ${describeStatuses(statuses)}, not PowerState/deallocated`);
      }
      await az.run({ argv: ['vm', 'generalize', ...vmArgs], what: vmWhat(rg, a.vm), noOutput: true });
    }

    if (plan.create?.kind === 'image') {
      const gen = plan.hyperV ? ['--hyper-v-generation', plan.hyperV] : [];
      await az.run<AzImage>({
        argv: ['image', 'create', '-g', rg, '-n', plan.create.name, '--source', plan.vmId, '--location', plan.location, ...gen],
        what: `image '${plan.create.name}'`,
      });
      const img = await az.run<AzImage>({ argv: ['image', 'show', '-g', rg, '-n', plan.create.name], what: `image '${plan.create.name}'` });
      if (!img || !/^succeeded$/i.test(img.provisioningState ?? ''))
        throw new ModuleError(`image '${plan.create.name}' is ${img?.provisioningState ?? 'missing'} after az image create`);
      return { image_id: img.id, image_name: img.name, vm_id: plan.vmId, location: img.location };
    }

    const version = plan.create?.kind === 'version' ? plan.create.version : plan.waitVersion!;
    if (plan.create?.kind === 'version') {
      const extra = [
        ...(a.replica_count ? ['--replica-count', String(a.replica_count)] : []),
        ...(a.storage_account_type ? ['--storage-account-type', a.storage_account_type] : []),
      ];
      await az.run({
        argv: [
          'sig',
          'image-version',
          'create',
          ...galleryArgs(a),
          '--gallery-image-version',
          version,
          '--virtual-machine',
          plan.vmId,
          '--location',
          plan.location,
          '--target-regions',
          ...plan.create.regions,
          ...extra,
          '--no-wait',
        ],
        what: `version ${version} of ${defWhat(a)}`,
        noOutput: true,
      });
    }
    const v = await pollUntil({
      what: `version ${version} of ${defWhat(a)} to be Succeeded`,
      timeoutS: a.timeout,
      intervalS: a.poll_interval,
      read: async () =>
        (await az.run<AzImageVersion>({ ...versionCall(a, version), notFoundOk: true })) ??
        ({ id: '', name: version, provisioningState: 'not yet visible' } as AzImageVersion),
      done: (x) => /^succeeded$/i.test(x.provisioningState ?? ''),
      failed: (x) =>
        /^fail/i.test(x.provisioningState ?? '') ? `version ${version} of ${defWhat(a)} failed (provisioningState ${x.provisioningState})` : undefined,
      describe: (x) => `provisioningState ${x.provisioningState ?? '?'}`,
    });
    return { ...versionResult(v, plan.vmId), changed: plan.create !== null };
  },
});
