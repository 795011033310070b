/**
 * azure_image planning, pure (unit-tested from canned az JSON): the next gallery version, the target
 * regions, which existing image or version came from this VM, and the capture steps for the VM's state.
 */
import { ModuleError } from '../../../src/contract/index.js';
import { describeStatuses, isGeneralized, powerState, type AzVmView } from '../../../lib/cloud/azure-state.js';

/** `az image show|create` (the parts tsplay reads) */
export interface AzImage {
  id: string;
  name: string;
  location?: string;
  provisioningState?: string;
  hyperVGeneration?: string;
  sourceVirtualMachine?: { id?: string } | null;
}

/** `az sig image-version show|list|create` (the parts tsplay reads) */
export interface AzImageVersion {
  id: string;
  name: string;
  location?: string;
  provisioningState?: string;
  publishingProfile?: { targetRegions?: { name: string; regionalReplicaCount?: number }[] };
  storageProfile?: { source?: { id?: string | null; virtualMachineId?: string | null } | null };
}

/** `az sig image-definition show` */
export interface AzImageDefinition {
  id: string;
  name: string;
  osState?: string;
  osType?: string;
  hyperVGeneration?: string;
}

export type Bump = 'major' | 'minor' | 'patch';

const SEMVER = /^(\d{1,9})\.(\d{1,9})\.(\d{1,9})$/;

export function parseVersion(v: string): [number, number, number] | null {
  const m = SEMVER.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

export function compareVersions(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** The version after the highest existing Major.Minor.Patch (names that are not X.Y.Z are ignored). */
export function nextVersion(existing: readonly string[], bump: Bump, initial: string): string {
  const vs = existing.map(parseVersion).filter((v): v is [number, number, number] => v !== null);
  if (!vs.length) return initial;
  const [M, m, p] = vs.sort(compareVersions)[vs.length - 1]!;
  if (bump === 'major') return `${M + 1}.0.0`;
  if (bump === 'minor') return `${M}.${m + 1}.0`;
  return `${M}.${m}.${p + 1}`;
}

/** "West Europe", "westeurope" and "westeurope=2=standard_zrs" name the same region. */
export function regionKey(r: string): string {
  return (r.split('=')[0] ?? '').replace(/\s+/g, '').toLowerCase();
}

/** The requested target regions (az syntax REGION[=REPLICAS][=STORAGE]) with the source region first if absent. */
export function withSourceRegion(regions: readonly string[], source: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of regions) {
    const k = regionKey(r);
    if (seen.has(k)) throw new ModuleError(`target_regions names ${k} twice`);
    seen.add(k);
    out.push(r);
  }
  if (!seen.has(regionKey(source))) out.unshift(regionKey(source));
  return out;
}

/** Azure resource ids compare case-insensitively (az often upper-cases the resource group). */
export function sameId(a: string | null | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
}

export function vmResourceId(subscription: string, rg: string, name: string): string {
  return `/subscriptions/${subscription}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
}

export function versionSource(v: AzImageVersion): string | undefined {
  return v.storageProfile?.source?.virtualMachineId ?? v.storageProfile?.source?.id ?? undefined;
}

export type CaptureStep = 'deallocate' | 'wait-deallocated' | 'generalize';

/**
 * What the VM needs before it can be captured. Never generalize before PowerState/deallocated:
 * a running VM is deallocated first (or refused when deallocate=false).
 */
export function captureSteps(vm: AzVmView, o: { deallocate: boolean; what: string }): CaptureStep[] {
  const st = vm.instanceView?.statuses;
  if (isGeneralized(st)) return [];
  const ps = powerState(st);
  if (ps === 'deallocated') return ['generalize'];
  if (ps === 'deallocating') return ['wait-deallocated', 'generalize'];
  if (!o.deallocate) {
    throw new ModuleError(
      `refusing to generalize ${o.what}: it is ${describeStatuses(st)}, not PowerState/deallocated (deallocate: false); deallocate it first (azure_vm state=deallocated)`,
    );
  }
  return ['deallocate', 'wait-deallocated', 'generalize'];
}

/** The gallery's image definition must take this VM: generalized OS state, same Hyper-V generation. */
export function checkDefinition(def: AzImageDefinition, vm: AzVmView): void {
  if ((def.osState ?? '').toLowerCase() !== 'generalized') {
    throw new ModuleError(
      `image definition ${def.name} has osState ${def.osState ?? '(none)'}: azure_image captures generalized VMs, so the definition needs --os-state Generalized`,
    );
  }
  const want = (def.hyperVGeneration ?? 'V1').toUpperCase();
  const have = (vm.instanceView?.hyperVGeneration ?? want).toUpperCase();
  if (want !== have)
    throw new ModuleError(`image definition ${def.name} is Hyper-V generation ${want} but VM ${vm.name} is ${have}: VMs made from it would not boot`);
}

export function stepSummary(steps: readonly CaptureStep[], vmName: string): string[] {
  return steps.map((s) =>
    s === 'deallocate'
      ? `deallocate ${vmName}`
      : s === 'wait-deallocated'
        ? 'wait for PowerState/deallocated'
        : `generalize ${vmName} (irreversible: it can never be started again)`,
  );
}
