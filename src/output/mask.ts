/**
 * Secret masking. Every value that came from a vault, a become password, or an argument a module marks
 * secret is registered here; every line tsplay prints (plain, listr2, --json, errors, diffs, -vvv) goes
 * through mask() first.
 */
const secrets = new Set<string>();
let pattern: RegExp | null = null;

export const MASK = '********';

export function registerSecret(value: unknown): void {
  if (typeof value !== 'string' || value.length < 1) return;
  const variants = [value, value.trim()];
  for (const v of variants) if (v.length > 0 && !secrets.has(v)) {
    secrets.add(v);
    pattern = null;
  }
}

export function hasSecrets(): boolean {
  return secrets.size > 0;
}

export function mask(text: string): string {
  if (secrets.size === 0 || !text) return text;
  if (!pattern) {
    const parts = [...secrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    pattern = new RegExp(parts.join('|'), 'g');
  }
  return text.replace(pattern, MASK);
}

/** Deep-mask a JSON-able value (for --json events and registered results). */
export function maskDeep<T>(value: T): T {
  if (secrets.size === 0) return value;
  if (typeof value === 'string') return mask(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v);
    return out as T;
  }
  return value;
}
