/** Slurm release numbers: `slurmctld -V` prints `slurm 22.05.8` (Debian: `slurm-wlm 22.05.8`). */

export interface SlurmVersion {
  major: number;
  minor: number;
  micro: number;
  text: string;
}

/** The release in `-V` output, or undefined when there is none. */
export function parseSlurmVersion(out: string): SlurmVersion | undefined {
  const m = /\bslurm(?:-wlm)?\s+(\d+)\.(\d+)(?:\.(\d+))?/i.exec(out) ?? /\b(\d{2})\.(\d{2})(?:\.(\d+))?\b/.exec(out);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), micro: Number(m[3] ?? 0), text: `${m[1]}.${m[2]}${m[3] !== undefined ? `.${m[3]}` : ''}` };
}

/** A release as written in the key table: '23.02'. */
export function atLeast(v: SlurmVersion, release: string): boolean {
  const [maj, min] = release.split('.').map(Number) as [number, number];
  return v.major > maj || (v.major === maj && v.minor >= min);
}
