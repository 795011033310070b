/**
 * Reads this machine's apt sources (one-line .list and deb822 .sources) and picks the Debian mirrors
 * for the lab image, so no mirror host is ever hard-coded. Non-Debian repositories (nodesource,
 * google, ...) are skipped because they do not carry the Debian suites.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  enabled: boolean;
}

export interface DebianMirrors {
  /** suite <release> main */
  main: string;
  /** suite <release>-updates (if this machine uses one) */
  updates?: string;
  /** suite <release>-security (if this machine uses one) */
  security?: string;
}

/** One-line format: `deb [opts] uri suite comp...` per line. */
export function parseOneLine(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^(deb|deb-src)\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({ types: [m[1]!], uris: [m[2]!], suites: [m[3]!], components: m[4]!.split(/\s+/).filter(Boolean), enabled: true });
  }
  return out;
}

/** deb822 format: stanzas separated by blank lines, `Field: value` with continuation lines. */
export function parseDeb822(text: string): AptSource[] {
  const out: AptSource[] = [];
  const stanzas = text.split(/\n\s*\n/);
  for (const stanza of stanzas) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const raw of stanza.split('\n')) {
      if (raw.startsWith('#')) continue;
      if (/^\s/.test(raw) && last) {
        fields.set(last, fields.get(last) + ' ' + raw.trim());
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(raw);
      if (!m) continue;
      last = m[1]!.toLowerCase();
      fields.set(last, m[2]!.trim());
    }
    if (!fields.has('uris')) continue;
    const words = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    out.push({
      types: words('types'),
      uris: words('uris'),
      suites: words('suites'),
      components: words('components'),
      enabled: !/^(no|false|0)$/i.test(fields.get('enabled') ?? 'yes'),
    });
  }
  return out;
}

/** All sources configured under an apt etc dir (default /etc/apt). */
export function readAptSources(aptDir = '/etc/apt'): AptSource[] {
  const out: AptSource[] = [];
  const main = join(aptDir, 'sources.list');
  if (existsSync(main)) out.push(...parseOneLine(readFileSync(main, 'utf8')));
  const dir = join(aptDir, 'sources.list.d');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (f.endsWith('.list')) out.push(...parseOneLine(readFileSync(p, 'utf8')));
      else if (f.endsWith('.sources')) out.push(...parseDeb822(readFileSync(p, 'utf8')));
    }
  }
  return out;
}

/** The first mirror serving `suite` with component main (binary packages, enabled). */
function mirrorFor(sources: AptSource[], suite: string): string | undefined {
  for (const s of sources) {
    if (!s.enabled || !s.types.includes('deb') || !s.components.includes('main')) continue;
    if (s.suites.includes(suite) && s.uris[0]) return s.uris[0].replace(/\/+$/, '');
  }
  return undefined;
}

/** Picks the Debian mirrors for `release` (bookworm); undefined main mirror means none is configured. */
export function pickDebianMirrors(sources: AptSource[], release = 'bookworm'): DebianMirrors | undefined {
  const main = mirrorFor(sources, release);
  if (!main) return undefined;
  return {
    main,
    updates: mirrorFor(sources, `${release}-updates`),
    security: mirrorFor(sources, `${release}-security`),
  };
}
