/**
 * An Azure VM's state as `az vm get-instance-view` reports it: instanceView.statuses holds
 * ProvisioningState/..., PowerState/running|starting|stopping|stopped|deallocating|deallocated and, once
 * generalized, OSState/generalized. Reading it is how azure_vm and azure_image stay idempotent.
 */
import { CloudCli, type CliCall } from './cli.js';
import { ModuleError } from '../../src/contract/index.js';
import { pollUntil } from './wait.js';

export interface AzStatus {
  code: string;
  displayStatus?: string;
  level?: string;
  message?: string | null;
  time?: string | null;
}

/** `az vm get-instance-view` (the parts tsplay reads) */
export interface AzVmView {
  id: string;
  name: string;
  location: string;
  resourceGroup?: string;
  instanceView?: { statuses?: AzStatus[]; hyperVGeneration?: string };
  storageProfile?: { osDisk?: { osType?: string } };
}

export type PowerState = 'running' | 'starting' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated' | 'unknown';

/** 'running', 'deallocated'... from the PowerState/* status ('unknown' when there is none). */
export function powerState(statuses: readonly AzStatus[] | null | undefined): PowerState {
  const s = (statuses ?? []).find((x) => /^PowerState\//i.test(x.code));
  const v = s ? s.code.slice('PowerState/'.length).toLowerCase() : 'unknown';
  return (['running', 'starting', 'stopping', 'stopped', 'deallocating', 'deallocated'].includes(v) ? v : 'unknown') as PowerState;
}

export function isGeneralized(statuses: readonly AzStatus[] | null | undefined): boolean {
  return (statuses ?? []).some((x) => /^OSState\/generalized$/i.test(x.code));
}

export function describeStatuses(statuses: readonly AzStatus[] | null | undefined): string {
  const codes = (statuses ?? []).map((s) => s.code).filter((c) => /^(PowerState|OSState)\//i.test(c));
  return codes.length ? codes.join(', ') : 'no power state';
}

export function vmWhat(rg: string, name: string): string {
  return `VM '${name}' in resource group '${rg}'`;
}

export function azGlobal(subscription: string | undefined): string[] {
  return subscription ? ['--subscription', subscription] : [];
}

export function statusesCall(rg: string, name: string): CliCall {
  return { argv: ['vm', 'get-instance-view', '-g', rg, '-n', name, '--query', 'instanceView.statuses'], what: vmWhat(rg, name) };
}

export async function readStatuses(az: CloudCli, rg: string, name: string): Promise<AzStatus[]> {
  const r = await az.run<AzStatus[] | null>(statusesCall(rg, name));
  if (!Array.isArray(r)) throw new ModuleError(`az vm get-instance-view: no statuses for ${vmWhat(rg, name)}`);
  return r;
}

export async function readVm(az: CloudCli, rg: string, name: string): Promise<AzVmView> {
  const r = await az.run<AzVmView>({ argv: ['vm', 'get-instance-view', '-g', rg, '-n', name], what: vmWhat(rg, name) });
  if (!r || typeof r.id !== 'string') throw new ModuleError(`az vm get-instance-view: unexpected answer for ${vmWhat(rg, name)}`);
  return r;
}

export interface WaitOpts {
  timeoutS: number;
  intervalS: number;
}

/** Poll the statuses until PowerState/`target` (or the timeout). */
export function waitPower(az: CloudCli, rg: string, name: string, target: 'running' | 'deallocated', o: WaitOpts): Promise<AzStatus[]> {
  return pollUntil<AzStatus[]>({
    what: `${vmWhat(rg, name)} to be PowerState/${target}`,
    timeoutS: o.timeoutS,
    intervalS: o.intervalS,
    read: () => readStatuses(az, rg, name),
    done: (s) => powerState(s) === target,
    describe: describeStatuses,
  });
}
