/**
 * The kernel features lab hosts can use (autofs, nfs, overlay, tun, wireguard, xfrm/ESP), as features.sh
 * finds them on this machine. Lab hosts share the machine's kernel, so what the kernel lacks no lab host
 * has: `lab up` records the features in the lab state, the demo leaves out what needs a missing feature,
 * and e2e tests skip (with the reason) what needs one.
 */
import { execFileSync } from 'node:child_process';
import { release } from 'node:os';
import { labScript } from './paths.js';

/** Every feature probed, and what in tsplay's lab needs it. */
export const FEATURE_USES = {
  autofs: 'the automounter: autofs_map mounts, the autofs service (cloudnode.yml: cloudnode_autofs)',
  nfs: 'NFS client mounts (the lab has no NFS server either)',
  overlay: 'the lab itself: every host root is an overlay',
  tun: 'TUN/TAP devices inside lab hosts (/dev/net/tun)',
  wireguard: 'WireGuard links inside lab hosts',
  xfrm: "IPsec ESP SAs: the VPN's child SA (gateway.yml; without it only the IKE SA comes up)",
} as const;

export type FeatureName = keyof typeof FEATURE_USES;
export const FEATURE_NAMES = Object.keys(FEATURE_USES) as FeatureName[];

/** yes: usable now; module: loadable, not loaded; no; unknown: could not be probed (not root). */
export type FeatureState = 'yes' | 'module' | 'no' | 'unknown';

export interface Feature {
  state: FeatureState;
  /** what was found, e.g. "in /proc/filesystems" or the error of the probe */
  detail: string;
}

export interface KernelFeatures {
  /** uname -r */
  kernel: string;
  features: Record<FeatureName, Feature>;
}

const STATES: readonly FeatureState[] = ['yes', 'module', 'no', 'unknown'];

/** Parse features.sh's lines (NAME STATE DETAIL); a feature it did not print is 'unknown'. */
export function parseFeatures(text: string, kernel = release()): KernelFeatures {
  const features = Object.fromEntries(FEATURE_NAMES.map((n) => [n, { state: 'unknown', detail: 'not reported by features.sh' }])) as Record<
    FeatureName,
    Feature
  >;
  for (const l of text.split('\n')) {
    const m = /^(\S+)\s+(\S+)\s*(.*)$/.exec(l);
    if (!m || !(m[1]! in FEATURE_USES) || !STATES.includes(m[2] as FeatureState)) continue;
    features[m[1] as FeatureName] = { state: m[2] as FeatureState, detail: m[3]!.trim() };
  }
  return { kernel, features };
}

export interface DetectOptions {
  /** load the module of these features when it exists but is not loaded (lab up: autofs; needs root) */
  load?: FeatureName[];
  /** environment for features.sh (the unit test names a copy of /proc/filesystems) */
  env?: Record<string, string>;
}

/** Probe this machine's kernel (read-only unless `load`; about 50 ms). Never throws: a failed probe is 'unknown'. */
export function detectFeatures(opts: DetectOptions = {}): KernelFeatures {
  const args = [labScript('features.sh'), ...(opts.load?.length ? ['--load', ...opts.load] : [])];
  let out = '';
  try {
    out = execFileSync('bash', args, { encoding: 'utf8', env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? '');
  }
  return parseFeatures(out);
}

/**
 * Features whose module `lab up` loads when it exists but is not loaded: inside a host automount cannot
 * load autofs4 (CAP_SYS_MODULE is dropped) and does not leave it to the kernel's on-demand loading. The
 * network features need no such help: the kernel loads their modules on demand, in any namespace.
 */
export const LAB_LOADS: readonly FeatureName[] = ['autofs'];

/** What lab hosts get: detectFeatures() after loading LAB_LOADS (as `lab up` does; loading needs root). */
export function labKernelFeatures(): KernelFeatures {
  return detectFeatures({ load: [...LAB_LOADS] });
}

/** Usable by lab hosts right now. */
export function hasFeature(k: KernelFeatures, name: FeatureName): boolean {
  return k.features[name]?.state === 'yes';
}

/** The features lab hosts lack, each with the reason ("autofs: not in /proc/filesystems; ..."). */
export function missingFeatures(k: KernelFeatures): { name: FeatureName; reason: string }[] {
  return FEATURE_NAMES.filter((n) => !hasFeature(k, n)).map((n) => ({ name: n, reason: `${k.features[n].state}: ${k.features[n].detail}` }));
}

/** One line: "kernel 6.1.0-18-amd64: autofs yes, nfs module, overlay yes, tun yes, wireguard no, xfrm yes". */
export function featuresLine(k: KernelFeatures): string {
  return `kernel ${k.kernel}: ${FEATURE_NAMES.map((n) => `${n} ${k.features[n]?.state ?? 'unknown'}`).join(', ')}`;
}

/** A table: FEATURE STATE FOUND NEEDED FOR. */
export function featuresTable(k: KernelFeatures, names: readonly FeatureName[] = FEATURE_NAMES): string[][] {
  return [['FEATURE', 'STATE', 'FOUND', 'NEEDED FOR'], ...names.map((n) => [n, k.features[n].state, k.features[n].detail, FEATURE_USES[n]])];
}
