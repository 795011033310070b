/**
 * Kernel features for e2e tests: lab hosts share this machine's kernel, so a test that needs autofs (or
 * ESP, ...) can only run where the kernel has it. Elsewhere it is skipped, never silently: the skipped
 * test's title carries the reason and the file prints one line saying what it skips and why.
 *
 *   const autofs = featureGate('autofs');
 *   it.skipIf(!autofs.available)(autofs.title('the tmpfs entry mounts on access'), async () => { ... });
 */
import { labKernelFeatures, type FeatureName, type KernelFeatures } from '../../src/lab/features.js';

let cache: KernelFeatures | undefined;

/** The features lab hosts get on this machine (probed once per test file, as `lab up` probes them). */
export function kernelFeatures(): KernelFeatures {
  return (cache ??= labKernelFeatures());
}

export interface FeatureGate {
  name: FeatureName;
  available: boolean;
  /** why it is missing ('' when available) */
  reason: string;
  /** the test title, with " [skipped: ...]" appended when the feature is missing */
  title(t: string): string;
}

/**
 * Call at the top level of a test file (skipIf is decided while tests are collected). When the feature is
 * missing it prints one line: the reason, and `leftOut` (what the file leaves out or does instead).
 */
export function featureGate(name: FeatureName, leftOut = `the tests that need ${name} are skipped`): FeatureGate {
  const k = kernelFeatures();
  const f = k.features[name];
  const available = f.state === 'yes';
  const reason = available ? '' : `kernel ${k.kernel} has no ${name} (${f.state}: ${f.detail})`;
  if (!available) console.log(`${reason}: ${leftOut}`);
  return { name, available, reason, title: (t) => (available ? t : `${t} [skipped: ${reason}]`) };
}
