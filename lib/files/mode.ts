/**
 * File modes as Ansible takes them: octal strings ('0644', '644', '0o644'), integers (YAML 1.1 reads 0644 as
 * 420, which is used as is), symbolic modes ('u=rw,g=r,o=r', 'a+X', 'u+s') applied to the current mode like
 * chmod does, and 'preserve' (copy/template: the source's mode). See Ansible module_utils/basic.py
 * set_mode_if_different / _symbolic_mode_to_octal.
 */
import { ArgsError } from '../../src/contract/index.js';

export type ModeSpec = string | number;

const PERM_BITS = 0o7777;
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;
const S_IRWXU = 0o700;
const S_IRWXG = 0o070;
const S_IRWXO = 0o007;
const EXEC_BITS = 0o111;

/** '0644' style, as Ansible prints modes ('0%03o'). */
export function formatMode(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}

/** The octal value of a mode given as octal text or a number; undefined for symbolic modes. */
export function octalMode(spec: ModeSpec): number | undefined {
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 0 || spec > PERM_BITS)
      throw new ArgsError(`invalid mode ${spec}: only permission bits (0-07777) are allowed`, '/mode');
    return spec;
  }
  const s = spec.trim();
  const m = /^(?:0o)?([0-7]+)$/i.exec(s);
  if (!m) return undefined;
  const n = parseInt(m[1]!, 8);
  if (n > PERM_BITS) throw new ArgsError(`invalid mode '${spec}': only permission bits (0-07777) are allowed`, '/mode');
  return n;
}

/**
 * A warning for integers that were almost certainly meant as octal (`mode: 644` unquoted in YAML is the
 * decimal 644 = 01204, as Ansible would apply it).
 */
export function modeWarning(spec: ModeSpec | undefined): string | undefined {
  if (typeof spec !== 'number') return undefined;
  const dec = String(spec);
  if (/^[0-7]{3,4}$/.test(dec) && spec > 0o777 && (spec & 0o7000) !== 0) {
    return `mode ${dec} is a decimal number (= ${formatMode(spec)} octal); write it as '0${dec}' (quoted) or 0${dec} if you meant octal`;
  }
  return undefined;
}

/** Check that a mode spec can be parsed (without a current mode); throws ArgsError. */
export function checkModeSpec(spec: ModeSpec | undefined, path = '/mode', allowPreserve = false): void {
  if (spec === undefined) return;
  if (spec === 'preserve') {
    if (!allowPreserve) throw new ArgsError(`mode 'preserve' is only valid for copy and template`, path);
    return;
  }
  if (octalMode(spec) !== undefined) return;
  symbolicToOctal(String(spec), 0o644, false, 0o022);
}

/**
 * The mode a file ends up with: `spec` applied to `current` (the file's permission bits now, or the
 * default a new file would get). `isDir` matters for X; `umask` for symbolic modes without a who part.
 */
export function resolveMode(spec: ModeSpec, current: number, isDir: boolean, umask: number): number {
  const oct = octalMode(spec);
  if (oct !== undefined) return oct;
  return symbolicToOctal(String(spec), current, isDir, umask);
}

const OPERATOR_RE = /[+=-]/;

/** chmod-style symbolic mode, exactly as Ansible evaluates it. */
export function symbolicToOctal(symbolic: string, current: number, isDir: boolean, umask: number): number {
  let mode = current & PERM_BITS;
  const bad = (): ArgsError => new ArgsError(`mode must be in octal or symbolic form: bad symbolic permission for mode: ${symbolic}`, '/mode');
  for (const clause of symbolic.split(',')) {
    const parts = clause.split(/[+=-]/);
    const ops = clause.match(/[+=-]/g) ?? [];
    if (!OPERATOR_RE.test(clause)) throw bad();
    let users = parts.shift()!;
    const useUmask = users === '';
    if (users === 'a' || users === '') users = 'ugo';
    if (/[^ugo]/.test(users)) throw bad();
    parts.forEach((perms, idx) => {
      if (/[^rwxXstugo]/.test(perms)) throw bad();
      for (const user of users as Iterable<'u' | 'g' | 'o'>) {
        const apply = permsToMode(mode, isDir, user, perms, useUmask, umask);
        mode = applyOperation(user, ops[idx]!, apply, mode);
      }
    });
  }
  return mode;
}

function applyOperation(user: 'u' | 'g' | 'o', op: string, apply: number, current: number): number {
  if (op === '=') {
    const mask = user === 'u' ? S_IRWXU | S_ISUID : user === 'g' ? S_IRWXG | S_ISGID : S_IRWXO | S_ISVTX;
    return (current & (mask ^ PERM_BITS)) | apply;
  }
  if (op === '+') return current | apply;
  return current - (current & apply);
}

function permsToMode(prev: number, isDir: boolean, user: 'u' | 'g' | 'o', perms: string, useUmask: boolean, umask: number): number {
  const applyX = isDir || (prev & EXEC_BITS) > 0;
  const rev = umask ^ PERM_BITS;
  const m = (bit: number): number => (useUmask ? rev & bit : bit);
  const table: Record<'u' | 'g' | 'o', Record<string, number>> = {
    u: {
      r: m(0o400),
      w: m(0o200),
      x: m(0o100),
      s: S_ISUID,
      t: 0,
      u: prev & S_IRWXU,
      g: (prev & S_IRWXG) << 3,
      o: (prev & S_IRWXO) << 6,
      X: applyX ? 0o100 : 0,
    },
    g: {
      r: m(0o040),
      w: m(0o020),
      x: m(0o010),
      s: S_ISGID,
      t: 0,
      u: (prev & S_IRWXU) >> 3,
      g: prev & S_IRWXG,
      o: (prev & S_IRWXO) << 3,
      X: applyX ? 0o010 : 0,
    },
    o: {
      r: m(0o004),
      w: m(0o002),
      x: m(0o001),
      s: 0,
      t: S_ISVTX,
      u: (prev & S_IRWXU) >> 6,
      g: (prev & S_IRWXG) >> 3,
      o: prev & S_IRWXO,
      X: applyX ? 0o001 : 0,
    },
  };
  let out = 0;
  for (const p of perms) out |= table[user][p]!;
  return out;
}

/** Mode of a file newly created by open(2) with 0666 (as Ansible's atomic_move) or a directory with 0777. */
export function defaultMode(umask: number, isDir = false): number {
  return (isDir ? 0o777 : 0o666) & ~umask & PERM_BITS;
}

/** Ansible's stat permission booleans (wusr, rusr, ..., isuid, isgid) of a mode; stat and find return them. */
export function modeBits(m: number): Record<'wusr' | 'rusr' | 'xusr' | 'wgrp' | 'rgrp' | 'xgrp' | 'woth' | 'roth' | 'xoth' | 'isuid' | 'isgid', boolean> {
  return {
    wusr: !!(m & 0o200),
    rusr: !!(m & 0o400),
    xusr: !!(m & 0o100),
    wgrp: !!(m & 0o020),
    rgrp: !!(m & 0o040),
    xgrp: !!(m & 0o010),
    woth: !!(m & 0o002),
    roth: !!(m & 0o004),
    xoth: !!(m & 0o001),
    isuid: !!(m & 0o4000),
    isgid: !!(m & 0o2000),
  };
}
