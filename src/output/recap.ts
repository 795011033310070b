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

export function banner(title: string, width = 79): string {
  const t = title + ' ';
  return t + '*'.repeat(Math.max(3, width - t.length));
}
