/**
 * Values a module writes as (part of) one line of a configuration file: a sysctl value, an authorized_keys
 * comment, a GECOS field, an fstab source... A newline in one of them becomes a second, working line (a
 * second key authorised, another sysctl set), so such arguments are declared `OneLine` and refused at
 * validation: no C0 control character but TAB, no DEL, no Unicode line or paragraph separator (NEL, U+2028,
 * U+2029: Python's splitlines and some parsers break lines there too).
 *
 * Declared in the schema (a JSON Schema pattern), so Ajv enforces it, editors using the exported schema see
 * it, and `tsplay doc` shows it (the note is added to the description).
 */
import { Type, type StringOptions, type TString } from '@sinclair/typebox';

const FORBIDDEN = '\\x00-\\x08\\x0a-\\x1f\\x7f\\x85\\u2028\\u2029';
export const ONE_LINE_PATTERN = `^[^${FORBIDDEN}]*$`;
const FORBIDDEN_RE = new RegExp(`[${FORBIDDEN}]`, 'u');
export const ONE_LINE_NOTE = 'one line: no newline or other control character';

/** A string argument that is written as one line. */
export function OneLine(opts: StringOptions = {}): TString {
  const description = opts.description ? `${opts.description} (${ONE_LINE_NOTE})` : ONE_LINE_NOTE;
  return Type.String({ ...opts, description, pattern: ONE_LINE_PATTERN });
}

const NAMES: Record<string, string> = {
  '\n': 'a newline (\\n)',
  '\r': 'a carriage return (\\r)',
  '\0': 'a NUL byte',
  '\v': 'a vertical tab (\\v)',
  '\f': 'a form feed (\\f)',
  '\x1b': 'an escape character (\\e)',
};

/** The first forbidden character of `s`, named for an error message (never the value itself: it may be a secret). */
export function controlCharIn(s: string): string | undefined {
  const m = FORBIDDEN_RE.exec(s);
  if (!m) return undefined;
  const c = m[0];
  const code = c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `${NAMES[c] ?? `the control character U+${code}`} at position ${m.index + 1}`;
}

/** The error text for a OneLine argument (`what`: "argument 'comment'"). */
export function oneLineMessage(what: string, value: unknown): string {
  const found = typeof value === 'string' ? controlCharIn(value) : undefined;
  return `${what} must be one line${found ? `, but contains ${found}` : ' (no newline or other control character)'}: it is written as one line of a file, where a line break would start another line`;
}
