/**
 * Controller-side image modules on a FakeHost whose `cli` responder answers each az/aws call (argv read back from
 * the generated script with the shell parser) with canned CLI JSON; plus builders of Azure's JSON.
 */
import { FakeHost, json, type CliAnswer, type CliResponder } from './fake-host.js';
import { registry, runModule, type ModuleRun, type RunModuleOpts } from './modules.js';

export { json, type CliAnswer, type CliResponder };
export const imageRegistry = registry;

export interface HarnessRun extends ModuleRun {
  /** "az vm show -g rg -n b1 -o json" per call, in order */
  calls: string[];
  argvs: string[][];
  env: (Record<string, string> | undefined)[];
}

export async function runImageModule(name: string, rawArgs: Record<string, unknown>, respond: CliResponder, opts: RunModuleOpts = {}): Promise<HarnessRun> {
  const host = new FakeHost({ target: { name: 'localhost', host: 'localhost', connection: 'local' }, cli: respond });
  const r = await runModule(host, name, rawArgs, { host: 'builder', ...opts });
  const cli = r.commands.flatMap((c) => (c.cli ? [{ argv: [c.cli.name, ...c.cli.argv], env: c.opts.env }] : []));
  return Object.assign(r, { calls: cli.map((c) => c.argv.join(' ')), argvs: cli.map((c) => c.argv), env: cli.map((c) => c.env) });
}

/** az's JSON: a status list (PowerState/..., OSState/generalized) as get-instance-view --query instanceView.statuses prints it */
export function statuses(power: string, generalized = false): unknown[] {
  const s: unknown[] = [
    { code: 'ProvisioningState/succeeded', displayStatus: 'Provisioning succeeded', level: 'Info', message: null, time: '2024-05-02T09:14:31.522Z' },
    { code: `PowerState/${power}`, displayStatus: `VM ${power}`, level: 'Info', message: null, time: null },
  ];
  if (generalized) s.splice(1, 0, { code: 'OSState/generalized', displayStatus: 'VM generalized', level: 'Info', message: null, time: null });
  return s;
}

export const SUB = '0b1f6471-1bf0-4dda-aec3-111122223333';
export const vmId = (rg: string, n: string) => `/subscriptions/${SUB}/resourceGroups/${rg.toUpperCase()}/providers/Microsoft.Compute/virtualMachines/${n}`;
export const ACCOUNT = {
  environmentName: 'AzureCloud',
  homeTenantId: 't',
  id: SUB,
  isDefault: true,
  managedByTenants: [],
  name: 'HPC',
  state: 'Enabled',
  tenantId: 't',
  user: { name: 'ops@example.com', type: 'user' },
};

export function vmView(rg: string, n: string, power: string, o: { generalized?: boolean; location?: string; hyperV?: string } = {}) {
  return {
    hardwareProfile: { vmSize: 'Standard_D2s_v5' },
    id: vmId(rg, n),
    instanceView: { computerName: n, hyperVGeneration: o.hyperV ?? 'V2', statuses: statuses(power, o.generalized) },
    location: o.location ?? 'westeurope',
    name: n,
    provisioningState: 'Succeeded',
    resourceGroup: rg.toUpperCase(),
    storageProfile: { osDisk: { osType: 'Linux' } },
    type: 'Microsoft.Compute/virtualMachines',
  };
}

export const NOT_FOUND = (what: string, rg: string): CliAnswer => ({
  rc: 3,
  stderr: `ERROR: (ResourceNotFound) The Resource '${what}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix\nCode: ResourceNotFound\n`,
});
