/** The controller's lookups that run commands or keep files: pipe (a shell command), password (a generated secret). */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { randomSalt, shaCrypt } from './sha-crypt.js';
import type { EvalEnv } from './evaluate.js';
import { pyStr } from './py.js';

/** The lookup plugins of this file (beside globals.ts' list). */
export const COMMAND_LOOKUPS = ['pipe', 'password'];

/** Ansible's pipe lookup: stdout with trailing whitespace stripped; a non-zero rc is an error (stderr passes through). */
export function pipeLookup(env: EvalEnv, terms: unknown[]): string[] {
  const pd = env.lookupVar('playbook_dir');
  const cwd = typeof pd === 'string' && pd ? pd : env.baseDir;
  return terms.map((t) => {
    const term = pyStr(t);
    const r = spawnSync('/bin/sh', ['-c', term], { encoding: 'utf8', cwd, stdio: ['pipe', 'pipe', 'inherit'] });
    if (r.error) throw new Error(`lookup_plugin.pipe(${term}) could not run: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`lookup_plugin.pipe(${term}) returned ${r.status ?? 1}`);
    return r.stdout.replace(/\s+$/, '');
  });
}

const CHARSETS: Record<string, string> = {
  ascii_letters: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ascii_lowercase: 'abcdefghijklmnopqrstuvwxyz',
  ascii_uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digits: '0123456789',
  hexdigits: '0123456789abcdefABCDEF',
  octdigits: '01234567',
  punctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
};
CHARSETS.letters = CHARSETS.ascii_letters!;

/** password.py's _gen_candidate_chars: each comma-separated name is a string module constant, else literal text. */
function candidateChars(spec: unknown): string {
  const names = Array.isArray(spec) ? spec.map(pyStr) : pyStr(spec).split(',');
  const chars = [...new Set(names.map((n) => CHARSETS[n] ?? n).join(''))].join('');
  if (!chars) throw new Error('the password lookup has no characters to choose from (chars)');
  return chars;
}

/**
 * ansible.builtin.password: `path [length=N] [chars=a,b]` (or the same as keywords). /dev/null: a new random
 * password each time; any other path (relative to the playbook's directory) keeps the password made the first
 * time (the file's first word, 0600, its directories created). encrypt=sha256_crypt|sha512_crypt returns the hash.
 */
export function passwordLookup(env: EvalEnv, terms: unknown[], kw: Record<string, unknown>): string[] {
  const pd = env.lookupVar('playbook_dir');
  const base = typeof pd === 'string' && pd ? pd : env.baseDir;
  return terms.map((t) => {
    const [path0 = '', ...rest] = pyStr(t).trim().split(/\s+/);
    const params: Record<string, unknown> = { length: 20, chars: ['ascii_letters', 'digits', '.,:-_'], ...kw };
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new Error(`unrecognized value ${p} in the password lookup (expected key=value)`);
      params[p.slice(0, eq)] = p.slice(eq + 1);
    }
    for (const k of Object.keys(params))
      if (!['length', 'chars', 'encrypt', 'seed', 'ident'].includes(k)) throw new Error(`unrecognized parameter of the password lookup: ${k}`);
    const length = Number(params.length);
    if (!Number.isInteger(length) || length < 1) throw new Error(`the password lookup's length must be a positive integer, not ${pyStr(params.length)}`);
    const chars = candidateChars(params.chars);
    const make = (): string => Array.from({ length }, () => chars[randomInt(chars.length)]).join('');
    let plain: string;
    let salt: string | undefined;
    if (path0 === '' || path0 === '/dev/null') plain = make();
    else {
      const path = isAbsolute(path0) ? path0 : join(base ?? process.cwd(), path0);
      if (existsSync(path)) {
        const content = readFileSync(path, 'utf8').replace(/\n$/, '');
        const m = / salt=(\S+)/.exec(content);
        plain = content.replace(/ salt=.*$/, '');
        salt = m?.[1];
      } else {
        plain = make();
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, plain + '\n', { mode: 0o600 });
      }
    }
    if (params.encrypt === undefined || params.encrypt === null) return plain;
    const algo = { sha256_crypt: 'sha256', sha512_crypt: 'sha512' }[pyStr(params.encrypt)] as 'sha256' | 'sha512' | undefined;
    if (!algo) throw new Error(`the password lookup's encrypt=${pyStr(params.encrypt)} is not supported (sha256_crypt, sha512_crypt)`);
    return shaCrypt(algo, plain, salt ?? randomSalt());
  });
}
