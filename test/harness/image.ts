/**
 * Unit-test harness for the controller-side image modules: the module runs through the real argument
 * validation and executeModule(); each az/aws call's argv is read back from the generated shell script
 * (with the shell-quote parser) and answered by `respond` with canned CLI JSON. Records argv and warnings.
 */
import type { Connection, RunOptions } from '../../src/connection/types.js';
import type { ResultData } from '../../src/contract/define.js';
import { ModuleRegistry } from '../../src/contract/registry.js';
import { validateArgs } from '../../src/contract/validate.js';
import { executeModule } from '../../src/engine/execute.js';
import { FactCache } from '../../src/facts/cache.js';
import { shSplit } from '../../lib/shell/shlex.js';
import { imageModules } from '../../modules/image/index.js';

export const imageRegistry = new ModuleRegistry(imageModules);

export interface CliAnswer {
  stdout?: unknown;
  rc?: number;
  stderr?: string;
}
/** argv without the program name; return JSON-able stdout, or an error */
export type CliResponder = (argv: string[], cli: string) => CliAnswer;

export interface HarnessRun {
  result: ResultData;
  /** "az vm show -g rg -n b1 -o json" per call, in order */
  calls: string[];
  argvs: string[][];
  warnings: string[];
  env: (Record<string, string> | undefined)[];
}

export function json(v: unknown): CliAnswer {
  return { stdout: v };
}

export async function runImageModule(name: string, rawArgs: Record<string, unknown>, respond: CliResponder, opts: { check?: boolean } = {}): Promise<HarnessRun> {
  const mod = imageRegistry.get(name);
  if (!mod) throw new Error(`unknown module ${name}`);
  const args = validateArgs(mod, rawArgs);
  const calls: string[] = [];
  const argvs: string[][] = [];
  const warnings: string[] = [];
  const env: HarnessRun['env'] = [];
  const conn: Connection = {
    target: { name: 'localhost', host: 'localhost', port: 22, knownHostsFiles: [], globalKnownHostsFiles: [], hostKeyChecking: 'no', connectTimeoutMs: 1000, keepaliveIntervalMs: 0, becomeMethod: 'sudo', connection: 'local' },
    async connect() {},
    async close() {},
    async run(script: string, o: RunOptions = {}) {
      const lines = script.split('\n');
      const last = lines[lines.length - 1]!;
      if (lines.length === 1) return { rc: 0, stdout: '', stderr: '', stdoutBuf: Buffer.alloc(0) }; // the aws presence check
      const words = shSplit(last);
      calls.push(words.join(' '));
      argvs.push(words);
      env.push(o.env);
      const a = respond(words.slice(1), words[0]!);
      const stdout = a.stdout === undefined ? '' : typeof a.stdout === 'string' ? a.stdout : JSON.stringify(a.stdout, null, 2);
      return { rc: a.rc ?? 0, stdout, stderr: a.stderr ?? '', stdoutBuf: Buffer.from(stdout) };
    },
  };
  const result = await executeModule(mod, args, {
    host: 'builder',
    vars: {},
    checkMode: opts.check ?? false,
    diffMode: false,
    become: false,
    becomeUser: 'root',
    connection: async () => conn,
    facts: new FactCache(),
    readControllerFile: async () => {
      throw new Error('not used');
    },
    renderTemplate: async () => '',
    evaluate: () => undefined,
    condition: () => true,
    warn: (m) => warnings.push(m),
    log: () => {},
  });
  return { result, calls, argvs, warnings, env };
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
export const ACCOUNT = { environmentName: 'AzureCloud', homeTenantId: 't', id: SUB, isDefault: true, managedByTenants: [], name: 'HPC', state: 'Enabled', tenantId: 't', user: { name: 'ops@example.com', type: 'user' } };

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
