/**
 * Register decrypted vault content with the output mask. A value is registered as it is, trimmed, line by
 * line when 4 characters or longer (a diff prints one line of a multi-line secret at a time) and JSON-escaped
 * (as --json prints it). A `!vault` value shorter than that is registered too: the mask hides it only where it
 * stands alone as a word and warns that it is too short to hide (src/output/mask.ts).
 * For a whole-file vault every scalar value in it is a secret; short scalars (< 4 characters: `yes`, `22`)
 * are left out: they are settings more often than secrets, and each would cost a warning.
 */
import { EncryptedString } from '../config/yaml.js';
import { registerSecret } from '../output/mask.js';

export const MIN_FILE_SCALAR = 4;

export function registerVaultPlaintext(text: string, minLength = 1): void {
  const whole = new Set<string>([text, text.trim()]);
  const lines = new Set<string>();
  if (/[\r\n]/.test(text)) for (const line of text.split(/\r?\n|\r/)) lines.add(line.trim());
  const withJson = (set: Set<string>) => [...set].flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]);
  for (const v of withJson(whole)) if (v.length >= minLength) registerSecret(v);
  // single lines of a multi-line secret: only the ones long enough not to blank unrelated output
  for (const v of withJson(lines)) if (v.length >= Math.max(minLength, MIN_FILE_SCALAR)) registerSecret(v);
}

/** Register every string/number leaf of a decrypted vars file (keys are not secret). */
export function registerVaultValues(data: unknown, seen = new Set<object>()): void {
  if (typeof data === 'string') registerVaultPlaintext(data, MIN_FILE_SCALAR);
  else if (typeof data === 'number' || typeof data === 'bigint') {
    const s = String(data);
    if (s.length >= MIN_FILE_SCALAR) registerSecret(s);
  } else if (data && typeof data === 'object' && !(data instanceof EncryptedString) && !seen.has(data)) {
    seen.add(data);
    for (const v of Array.isArray(data) ? data : Object.values(data)) registerVaultValues(v, seen);
  }
}
