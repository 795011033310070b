/**
 * The atomic write, as one shell script run with the new content on stdin (binary safe):
 *
 *   missing parent directories (created top down, removed again on failure)
 *   → a new temp file in the destination's directory → content from stdin (or from a file on the host)
 *   → owner/group/SELinux label kept from the old file, or set from the arguments → final mode
 *   → `validate` (%s = the temp file) → backup copy (path.PID.YYYY-MM-DD@HH:MM:SS.RANDOM~) → mv -f (rename(2))
 *
 * Any failure removes the temp file (EXIT trap) and whatever directories it created: the old file is never
 * half-written. Output: "B\t<backup path>" when a backup was made; a failed validation exits 97.
 *
 * Files it creates (the temp file, the backup) are created under a random name with O_EXCL (sh's noclobber
 * `>`: never an existing name, never through a symlink), and everything after that — content, owner, mode,
 * times — goes through the open descriptor (/proc/self/fd/N), never through the name again: a user who can
 * write in the destination's directory may rename our file and plant a symlink in its place, and a root
 * write must not follow it (the attack Ansible's predictable `cp -p` backup allows).
 */
import { shq } from '../shell/quote.js';
import { ModuleError } from '../../src/contract/index.js';
import type { RunResult } from '../../src/contract/index.js';
import { baseName, parentDir } from './state.js';

export interface WriteSpec {
  /** final path (links already resolved by the caller when they should be followed) */
  dest: string;
  /** copy this file on the host instead of reading stdin (copy remote_src) */
  fromRemote?: string;
  /** dest exists as a regular file: keep its owner, group and SELinux label */
  keepAttrs: boolean;
  /** the final permission bits */
  mode: number;
  owner?: string;
  group?: string;
  /** command with %s (Ansible's validate) */
  validate?: string;
  /** keep a timestamped copy of the old file */
  backup?: boolean;
  /** directories to create first, top down (each only if missing) */
  mkdirs?: string[];
  /** mode for those directories (default: per umask) */
  dirMode?: number;
  /** owner/group for created directories */
  dirOwner?: string;
  dirGroup?: string;
  /** when the rename is impossible (a bind-mounted file), write in place */
  unsafeWrites?: boolean;
}

export const VALIDATE_FAILED_RC = 97;

/** Five octal digits: GNU chmod keeps a directory's setuid/setgid bits for shorter numeric modes. */
export function chmodArg(mode: number): string {
  return '0' + mode.toString(8).padStart(4, '0');
}

/** Python's `validate % tmpfile`: %s → the temp file, %% → %. */
export function substituteValidate(validate: string, tmpRef: string): string {
  if (!validate.includes('%s')) throw new ModuleError(`validate must contain %s: ${validate}`);
  return validate.replace(/%%|%s/g, (m) => (m === '%%' ? '%' : tmpRef));
}

function chownSpec(owner?: string, group?: string): string | undefined {
  if (owner !== undefined && group !== undefined) return `${owner}:${group}`;
  if (owner !== undefined) return owner;
  if (group !== undefined) return `:${group}`;
  return undefined;
}

/** Directories to create for `path` (every ancestor, top down; the script skips existing ones). */
export function ancestors(dir: string): string[] {
  const out: string[] = [];
  let d = dir;
  while (d !== '/' && d !== '.' && d !== '') {
    out.unshift(d);
    d = parentDir(d);
  }
  return out;
}

/**
 * Create missing directories, top down. `mkdir -m` sets the mode on the directory it just made (GNU mkdir acts
 * through a descriptor, not the name again) and `chown -h` never follows a symlink someone swapped in.
 */
export function mkdirsScript(dirs: string[], mode?: number, owner?: string, group?: string): string[] {
  if (!dirs.length) return [];
  const own = chownSpec(owner, group);
  const mk = mode !== undefined ? `mkdir -m ${chmodArg(mode)} -- "$d"` : 'mkdir -- "$d"';
  const lines = [`for d in ${dirs.map(shq).join(' ')}; do`, '  if [ ! -d "$d" ]; then', `    ${mk} || exit 1`, '    _c="$d\n$_c"'];
  if (own) lines.push(`    chown -h -- ${shq(own)} "$d" || exit 1`);
  lines.push('  fi', 'done');
  return lines;
}

export const CLEANUP_DIRS = `printf '%s\\n' "$_c" | while IFS= read -r d; do [ -n "$d" ] && rmdir -- "$d" 2>/dev/null; done`;

/** Descriptors the script keeps its own files open on (the shell protocol's 3-5 are closed for commands). */
const FD_TEMP = 7;
const FD_BACKUP = 8;
const FD_OLD = 9;

/**
 * Create a new file on descriptor `fd` from a mktemp template: a random name (mktemp -u), opened with
 * noclobber's O_EXCL, which fails on any existing name, a dangling symlink included (a failed `exec`
 * redirection ends the script). `nameVar` gets the name once the file is ours (the EXIT trap removes it);
 * `refVar` the path to act on the file by from then on: /proc/self/fd/N (the same inode, whatever happens
 * to the name), or the name where /proc is missing.
 */
export function createExclusive(fd: number, template: string, nameVar: string, refVar: string): string[] {
  const proc = `/proc/self/fd/${fd}`;
  return [
    `_n=$(mktemp -u ${template}) || exit 1`,
    `set -C; exec ${fd}>"$_n"; set +C; ${nameVar}=$_n`,
    `if [ -e ${proc} ]; then ${refVar}=${proc}; [ -f ${proc} ] && [ ! -L "$_n" ] || { echo "tsplay: $_n is not the file just created" >&2; exit 1; }; else ${refVar}=$_n; fi`,
  ];
}

/**
 * The backup of `dest` (a regular file, not a symlink: checked again here): a copy with its owner, mode and
 * times (cp -p), read through one descriptor (whatever the name points to later, content and attributes come
 * from the same inode) into a file created exclusively under an unpredictable name.
 */
function backupScript(dest: string): string[] {
  const d = shq(dest);
  const oldRef = `/proc/self/fd/${FD_OLD}`;
  const template = `${shq(`${dest}.`)}"$(exec sh -c 'echo $PPID')"."$(date +%Y-%m-%d@%H:%M:%S)".XXXXXXXX~`;
  return [
    `if [ -f ${d} ] && [ ! -L ${d} ]; then`,
    `exec ${FD_OLD}<${d} || exit 1`,
    `if [ -e ${oldRef} ]; then _o=${oldRef}; else _o=${d}; fi`,
    ...createExclusive(FD_BACKUP, template, '_b', '_g'),
    `cat <&${FD_OLD} >&${FD_BACKUP} || exit 1`,
    `chown --reference="$_o" -- "$_g" 2>/dev/null || [ "$(id -u)" != 0 ] || exit 1`,
    `chmod --reference="$_o" -- "$_g" || exit 1`,
    `touch -r "$_o" -- "$_g" || exit 1`,
    `exec ${FD_BACKUP}>&- ${FD_OLD}<&-`,
    'fi',
  ];
}

export function writeScript(w: WriteSpec): string {
  const dest = shq(w.dest);
  const dir = parentDir(w.dest);
  const tmpl = shq(`${dir === '/' ? '' : dir}/.${baseName(w.dest).slice(0, 64)}.tsplay.XXXXXXXX`);
  const L: string[] = ['_c=; _t=; _b='];
  L.push(`trap ${shq(`rm -f -- "$_t"; [ -z "$_b" ] || rm -f -- "$_b"; ${CLEANUP_DIRS}`)} EXIT`);
  L.push(`trap 'exit 1' HUP INT TERM`);
  L.push(...mkdirsScript(w.mkdirs ?? [], w.dirMode, w.dirOwner, w.dirGroup));
  L.push(...createExclusive(FD_TEMP, tmpl, '_t', '_f'));
  L.push(w.fromRemote !== undefined ? `cat -- ${shq(w.fromRemote)} >&${FD_TEMP} || exit 1` : `cat >&${FD_TEMP} || exit 1`);
  if (w.keepAttrs) {
    L.push(`chown --reference=${dest} -- "$_f" 2>/dev/null || [ "$(id -u)" != 0 ] || exit 1`);
    L.push(`if command -v chcon >/dev/null 2>&1; then chcon --reference=${dest} -- "$_f" 2>/dev/null || :; fi`);
  }
  const own = chownSpec(w.owner, w.group);
  if (own) L.push(`chown -- ${shq(own)} "$_f" || exit 1`);
  L.push(`chmod ${chmodArg(w.mode)} -- "$_f" || exit 1`, `exec ${FD_TEMP}>&-`);
  if (w.validate) {
    L.push(`( ${substituteValidate(w.validate, '"$_t"')} ) || { _r=$?; echo "validate: rc=$_r" >&2; exit ${VALIDATE_FAILED_RC}; }`);
  }
  if (w.backup) L.push(...backupScript(w.dest));
  const move = `mv -fT -- "$_t" ${dest}`;
  L.push(w.unsafeWrites ? `${move} 2>/dev/null || { cat -- "$_t" >${dest} || exit 1; rm -f -- "$_t"; }` : `${move} || exit 1`);
  L.push(`trap - EXIT`);
  L.push(`[ -z "$_b" ] || printf 'B\\t%s\\n' "$_b"`);
  return L.join('\n');
}

/** Result of a write: the backup path, or a ModuleError (validation, permissions...). */
export function parseWriteResult(r: RunResult, w: WriteSpec): { backupFile?: string } {
  if (r.rc === VALIDATE_FAILED_RC && w.validate) {
    const err = r.stderr.replace(/validate: rc=\d+\n?$/, '').trim();
    const rc = /validate: rc=(\d+)/.exec(r.stderr)?.[1] ?? '?';
    throw new ModuleError(`failed to validate: rc:${rc} error:${err}`, { rc: Number(rc), stdout: r.stdout, stderr: err });
  }
  if (r.rc !== 0) {
    const detail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' / ');
    throw new ModuleError(`failed to write ${w.dest}${detail ? ': ' + detail : ''}`, { rc: r.rc, stdout: r.stdout, stderr: r.stderr });
  }
  const m = /^B\t(.*)$/m.exec(r.stdout);
  return m ? { backupFile: m[1] } : {};
}
