import type { HostStats } from '../engine/events.js';

/** PLAY RECAP lines in ansible-playbook's exact layout. */
export function recapLines(stats: Record<string, HostStats>): string[] {
  const pad = (n: number) => String(n).padEnd(4);
  return Object.keys(stats)
    .sort()
    .map((h) => {
      const s = stats[h]!;
      return `${h.padEnd(26)} : ok=${pad(s.ok)} changed=${pad(s.changed)} unreachable=${pad(s.unreachable)} failed=${pad(s.failed)} skipped=${pad(s.skipped)} rescued=${pad(s.rescued)} ignored=${pad(s.ignored)}`;
    });
}

/** ansible's Display.banner: the title, a space, stars up to column 80 (at least 3). */
export function banner(title: string, columns = 79): string {
  return `${title} ${'*'.repeat(Math.max(3, columns - title.length))}`;
}
