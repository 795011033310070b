/**
 * Secret masking. Every value that came from a vault, a become password, or an argument a module marks
 * secret is registered here; every line tsplay prints (plain, listr2, --json, errors, diffs, -vvv) goes
 * through mask() first, and every string of a result through maskDeep().
 *
 * A secret of MIN_HIDDEN characters or more is masked wherever it occurs. A shorter one cannot be hidden:
 * masking every occurrence of a one-character secret turns `length` into `l********ngth` and the PLAY RECAP
 * into stars, and the stars themselves then show which letter the secret is. Such a secret is masked only
 * where it stands alone as a word (a whole value, or between blanks, quotes, `key=` and punctuation), never
 * inside other text, and the run warns, once, that it is too short to hide (without it).
 *
 * mask(text) masks long secrets only: it is applied to every line tsplay composes (banners, the PLAY RECAP,
 * result JSON), where a short secret would hit counters and numbers. Words are masked in content: the strings
 * of a result (maskDeep) and diffs (maskText).
 */
export const MASK = '********';
/** Shorter secrets are masked only as whole words. */
export const MIN_HIDDEN = 4;

const secrets = new Set<string>();
const shortSecrets = new Set<string>();
let pattern: RegExp | null = null;
/** Secrets longer than this are masked by split/join, not in the RegExp. */
const HUGE_SECRET = 4096;
let huge: string[] = [];
let wordPattern: RegExp | null = null;
let warned = false;
let warner: ((message: string) => void) | undefined;
const pending: string[] = [];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function warnShort(length: number): void {
  if (warned) return;
  warned = true;
  const msg =
    `a secret value of ${length} character${length === 1 ? '' : 's'} (from a vault, a become password or a no_log argument) is too short to hide: ` +
    `it is masked only where it stands alone as a word, not inside other text; secrets of ${MIN_HIDDEN} characters or more are masked everywhere`;
  if (warner) warner(msg);
  else pending.push(msg);
}

/** Where the too-short warning goes (the run's renderer); a warning raised before is delivered now. */
export function onSecretWarning(fn: (message: string) => void): void {
  warner = fn;
  for (const m of pending.splice(0)) fn(m);
}

export function registerSecret(value: unknown): void {
  if (typeof value !== 'string' || value.length < 1) return;
  const length = value.trim().length || value.length; // as the user sees it (a !vault block ends in a newline)
  for (const v of [value, value.trim()]) {
    if (v.length === 0) continue;
    if (v.length >= MIN_HIDDEN) {
      if (!secrets.has(v)) {
        secrets.add(v);
        pattern = null;
      }
    } else if (!shortSecrets.has(v)) {
      shortSecrets.add(v);
      wordPattern = null;
      warnShort(length);
    }
  }
}

export function hasSecrets(): boolean {
  return secrets.size > 0 || shortSecrets.size > 0;
}

/** Long secrets, wherever they occur. */
export function mask(text: string): string {
  if (secrets.size === 0 || !text) return text;
  if (!pattern) {
    // a huge secret (a no_log file content) would make the alternation too large for a RegExp: those are cut by split
    const all = [...secrets].sort((a, b) => b.length - a.length);
    huge = all.filter((s) => s.length > HUGE_SECRET);
    const small = all.filter((s) => s.length <= HUGE_SECRET);
    pattern = small.length ? new RegExp(small.map(escape).join('|'), 'g') : /(?!)/g;
  }
  let out = text;
  for (const h of huge) if (out.length >= h.length && out.includes(h)) out = out.split(h).join(MASK);
  return out.replace(pattern, MASK);
}

/** Long secrets anywhere, short ones as whole words (see wordPattern). */
export function maskText(text: string): string {
  const t = mask(text);
  if (shortSecrets.size === 0 || !t) return t;
  if (!wordPattern) {
    const alts = [...shortSecrets]
      .sort((a, b) => b.length - a.length)
      .map(escape)
      .join('|');
    // a word: after a line start, a blank, a quote, `=`, `:`, `(`, `[` or `,`; before a line end, a blank, a
    // quote, `,`, `;`, `)`, `]`, or a sentence's `.` `!` `?` `:` (so 12.7 or a.b.c never lose a part)
    wordPattern = new RegExp(`(?<=^|[\\s"'\`=:(\\[,])(?:${alts})(?=$|[\\s"'\`,;)\\]]|[.!?:](?:\\s|$))`, 'gmu');
  }
  return t.replace(wordPattern, MASK);
}

/** Deep-mask a JSON-able value (for --json events and registered results): every string as content. */
export function maskDeep<T>(value: T): T {
  if (!hasSecrets()) return value;
  if (typeof value === 'string') return maskText(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v);
    return out as T;
  }
  return value;
}

/** Forget every secret (tests only: a run is one process). */
export function clearSecrets(): void {
  secrets.clear();
  shortSecrets.clear();
  pattern = wordPattern = null;
  warned = false;
  pending.length = 0;
  warner = undefined;
}
