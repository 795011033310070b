/** Lab and host naming: validation plus the derived kernel object names (bridge, veth, netns) and addresses. */
import { TsplayError } from '../errors.js';

export const MAX_HOSTS = 200;
export const MIN_INDEX = 1; // 10.231.0.0/24 (labbr0) is reserved for someone else: never index 0
export const MAX_INDEX = 250;

const LAB_RE = /^[a-z0-9][a-z0-9-]{0,30}$/;
const HOST_RE = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

export function checkLabName(name: string): string {
  if (!LAB_RE.test(name)) {
    throw new TsplayError('lab', `invalid lab name '${name}'`, { hint: 'use 1-31 characters a-z 0-9 -, starting with a letter or digit' });
  }
  return name;
}

export function checkHostName(name: string): string {
  if (!HOST_RE.test(name)) {
    throw new TsplayError('lab', `invalid host name '${name}'`, { hint: 'use 1-32 characters a-z 0-9 - (no dots), not starting or ending with -' });
  }
  return name;
}

/** Bridge of lab index k in the root network namespace. */
export function bridgeName(k: number): string {
  return `tspbr${k}`;
}
/** Root-namespace end of host i's veth (max "tsp250v200" = 10 chars, limit 15). */
export function vethName(k: number, i: number): string {
  return `tsp${k}v${i}`;
}
/** Named network namespace (/run/netns/...) of a host: unique per lab + host (dots are in neither name). */
export function netnsName(lab: string, host: string): string {
  return `tsplay.${lab}.${host}`;
}
export function netnsPrefix(lab: string): string {
  return `tsplay.${lab}.`;
}
export function subnet(k: number): string {
  return `10.231.${k}.0/24`;
}
export function bridgeIp(k: number): string {
  return `10.231.${k}.1`;
}
/** Host i (1-based) gets .10+i */
export function hostIp(k: number, i: number): string {
  return `10.231.${k}.${10 + i}`;
}

export type SudoMode = 'nopasswd' | 'password';
export type SudoChoice = SudoMode | 'mixed';

/** mixed: odd index nopasswd, even index password */
export function sudoFor(choice: SudoChoice, i: number): SudoMode {
  if (choice === 'mixed') return i % 2 === 1 ? 'nopasswd' : 'password';
  return choice;
}

/** `N` → node1..nodeN, otherwise the given names (checked, no duplicates). */
export function hostList(spec: number | readonly string[]): string[] {
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 1 || spec > MAX_HOSTS) throw new TsplayError('lab', `number of hosts must be 1..${MAX_HOSTS}, got ${spec}`);
    return Array.from({ length: spec }, (_, j) => `node${j + 1}`);
  }
  if (spec.length < 1 || spec.length > MAX_HOSTS) throw new TsplayError('lab', `number of hosts must be 1..${MAX_HOSTS}, got ${spec.length}`);
  const seen = new Set<string>();
  for (const h of spec) {
    checkHostName(h);
    if (seen.has(h)) throw new TsplayError('lab', `host '${h}' given twice`);
    seen.add(h);
  }
  return [...spec];
}
