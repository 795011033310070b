/**
 * Slurm node name → cloud VM, exactly: the inventory host of that name and its host vars. Azure:
 * azure_vm_name, azure_resource_group (optional azure_subscription). AWS: aws_instance_id (optional
 * aws_region, aws_profile). No prefix or pattern matching (DTU's `grep "^$node"` starts cloud10..cloud19 with
 * cloud1): a name the inventory does not have, or a host with neither (or both) sets of vars, is an error for
 * that node alone.
 */
export interface AzureVmRef {
  node: string;
  provider: 'azure';
  name: string;
  resource_group: string;
  subscription?: string;
}

export interface AwsVmRef {
  node: string;
  provider: 'aws';
  instance_id: string;
  region?: string;
  profile?: string;
}

export type VmRef = AzureVmRef | AwsVmRef;

export type MapResult = { ok: true; vm: VmRef } | { ok: false; node: string; error: string };

export interface HostVarsSource {
  hasHost(name: string): boolean;
  hostVars(name: string): Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** What the VM is, for logs and `tsplay power status`: rg/name, or region/i-... */
export function vmLabel(vm: VmRef): string {
  return vm.provider === 'azure' ? `${vm.resource_group}/${vm.name}` : `${vm.region ? `${vm.region}/` : ''}${vm.instance_id}`;
}

export function mapNode(inv: HostVarsSource, node: string): MapResult {
  if (!inv.hasHost(node)) return { ok: false, node, error: `node ${node} is not in the inventory` };
  const v = inv.hostVars(node);
  const id = v.aws_instance_id;
  if (id !== undefined) {
    if (v.azure_vm_name !== undefined)
      return { ok: false, node, error: `node ${node} has both aws_instance_id and azure_vm_name in the inventory: one VM per node` };
    if (typeof id !== 'string' || !/^i-[0-9a-f]{8}([0-9a-f]{9})?$/.test(id))
      return { ok: false, node, error: `node ${node}: aws_instance_id must be an EC2 instance id (i- and 8 or 17 hex digits), not ${JSON.stringify(id)}` };
    return { ok: true, vm: { node, provider: 'aws', instance_id: id, region: str(v.aws_region), profile: str(v.aws_profile) } };
  }
  const name = v.azure_vm_name;
  const rg = v.azure_resource_group;
  if (typeof name !== 'string' || name === '') return { ok: false, node, error: `node ${node} has no azure_vm_name (nor aws_instance_id) in the inventory` };
  if (typeof rg !== 'string' || rg === '') return { ok: false, node, error: `node ${node} has no azure_resource_group in the inventory` };
  return { ok: true, vm: { node, provider: 'azure', name, resource_group: rg, subscription: str(v.azure_subscription) } };
}

export function mapNodes(inv: HostVarsSource, nodes: readonly string[]): MapResult[] {
  return nodes.map((n) => mapNode(inv, n));
}
