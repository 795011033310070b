/**
 * Kernel feature detection (src/lab/features.ts + features.sh): parsing, the filesystem checks against a
 * given /proc/filesystems, agreement with this machine's real one, and that probing leaves the machine's
 * own network namespace as it was.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFeatures, FEATURE_NAMES, featuresLine, hasFeature, missingFeatures, parseFeatures } from '../../src/lab/features.js';

const fsList = () =>
  readFileSync('/proc/filesystems', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/).pop());

describe('parseFeatures', () => {
  it('reads NAME STATE DETAIL lines; anything not reported is unknown; junk is ignored', () => {
    const k = parseFeatures(
      'autofs     no       not in /proc/filesystems; no module autofs4 for 6.1\noverlay yes in /proc/filesystems\nbogus yes x\ntun maybe x\n\n',
      '6.1.0',
    );
    expect(k.kernel).toBe('6.1.0');
    expect(k.features.autofs).toEqual({ state: 'no', detail: 'not in /proc/filesystems; no module autofs4 for 6.1' });
    expect(k.features.overlay).toEqual({ state: 'yes', detail: 'in /proc/filesystems' });
    expect(k.features.tun.state).toBe('unknown');
    expect(Object.keys(k.features).sort()).toEqual([...FEATURE_NAMES].sort());
    expect(hasFeature(k, 'overlay')).toBe(true);
    expect(hasFeature(k, 'autofs')).toBe(false);
    expect(missingFeatures(k).map((m) => m.name)).toEqual(FEATURE_NAMES.filter((n) => n !== 'overlay'));
    expect(featuresLine(k)).toBe('kernel 6.1.0: autofs no, nfs unknown, overlay yes, tun unknown, wireguard unknown, xfrm unknown');
  });
});

describe('features.sh', () => {
  it('a filesystem feature is there exactly when the kernel lists it (nfs also as nfs4)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'features-'));
    try {
      const f = join(dir, 'filesystems');
      writeFileSync(f, 'nodev\tsysfs\nnodev\tautofs\n\text4\nnodev\tnfs4\n');
      const k = detectFeatures({ env: { TSPLAY_PROC_FILESYSTEMS: f } });
      expect(k.features.autofs).toEqual({ state: 'yes', detail: 'in /proc/filesystems' });
      expect(k.features.nfs.state).toBe('yes');
      // not listed: loadable at best, never "yes"
      expect(['module', 'no']).toContain(k.features.overlay.state);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("agrees with this machine's /proc/filesystems; every feature has a reason", () => {
    const k = detectFeatures();
    const listed = fsList();
    expect(k.features.autofs.state === 'yes').toBe(listed.includes('autofs'));
    expect(k.features.overlay.state === 'yes').toBe(listed.includes('overlay'));
    expect(k.features.nfs.state === 'yes').toBe(listed.includes('nfs') || listed.includes('nfs4'));
    for (const n of FEATURE_NAMES) expect(k.features[n].detail, n).toMatch(/\S/);
    console.log(featuresLine(k));
  });

  it.skipIf(process.getuid?.() !== 0)("probes leave the machine's own network namespace as it was [skipped unless root]", () => {
    const links = () =>
      execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.split(':')[1]?.trim())
        .filter(Boolean)
        .sort();
    const before = links();
    detectFeatures();
    expect(links().filter((l) => l!.startsWith('tsprobe'))).toEqual([]);
    // (labs of other test files may add their tspK... veths and bridges meanwhile)
    expect(links().filter((l) => !before.includes(l) && !/^tsp(br)?\d/.test(l!))).toEqual([]);
  });
});
