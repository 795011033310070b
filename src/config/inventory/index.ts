/** Inventory layer: YAML/INI/directory/host-list sources, group_vars/host_vars, host patterns. */
export { Inventory, loadInventory } from './inventory.js';
export type { LoadInventoryOptions, SelectOptions, HostMagic } from './inventory.js';
export type { SelectResult } from './patterns.js';
export { splitHostPattern } from './patterns.js';
export { parseLimit } from './limit.js';
export { expandHostRange, expandHostPattern } from './ranges.js';
export { dumpJson, dumpYaml } from './output.js';
