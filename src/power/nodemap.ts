/**
 * Slurm node name → cloud VM, exactly: the inventory host of that name and its host vars
 * (azure_vm_name, azure_resource_group, optional azure_subscription). No prefix or pattern matching (DTU's
 * `grep "^$node"` starts cloud10..cloud19 with cloud1): a name the inventory does not have is an error for
 * that node alone.
 */
export interface VmRef {
  node: string;
  provider: 'azure';
  name: string;
  resource_group: string;
  subscription?: string;
}

export type MapResult = { ok: true; vm: VmRef } | { ok: false; node: string; error: string };

export interface HostVarsSource {
  hasHost(name: string): boolean;
  hostVars(name: string): Record<string, unknown>;
}

export function mapNode(inv: HostVarsSource, node: string): MapResult {
  if (!inv.hasHost(node)) return { ok: false, node, error: `node ${node} is not in the inventory` };
  const v = inv.hostVars(node);
  const name = v.azure_vm_name;
  const rg = v.azure_resource_group;
  if (typeof name !== 'string' || name === '') return { ok: false, node, error: `node ${node} has no azure_vm_name in the inventory` };
  if (typeof rg !== 'string' || rg === '') return { ok: false, node, error: `node ${node} has no azure_resource_group in the inventory` };
  const sub = v.azure_subscription;
  return { ok: true, vm: { node, provider: 'azure', name, resource_group: rg, subscription: typeof sub === 'string' && sub ? sub : undefined } };
}

export function mapNodes(inv: HostVarsSource, nodes: readonly string[]): MapResult[] {
  return nodes.map((n) => mapNode(inv, n));
}
