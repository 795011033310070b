/**
 * Atomic replacement of a small text file on the target, as one shell snippet (no stdin needed, so several
 * writes and other commands can share one round trip). The new content goes to a temp file in the same
 * directory, takes the old file's mode, owner and SELinux label (or `mode` for a new file), then is renamed
 * over the old one. Where rename is impossible (a bind-mounted /etc/hosts in a container) it is copied in place.
 */
import { shq } from '../shell/quote.js';

export interface WriteFileOpts {
  /** mode of a newly created file (default 0644); an existing file keeps its own */
  mode?: string;
}

export function writeFileCommand(path: string, content: string, opts: WriteFileOpts = {}): string {
  const slash = path.lastIndexOf('/');
  const dir = slash > 0 ? path.slice(0, slash) : slash === 0 ? '/' : '.';
  const f = shq(path);
  const mode = shq(opts.mode ?? '0644');
  return [
    `_t=$(mktemp ${shq(dir === '/' ? '/.tsplay.XXXXXX' : `${dir}/.tsplay.XXXXXX`)}) || exit 1`,
    `printf '%s' ${shq(content)} >"$_t" || { rm -f "$_t"; exit 1; }`,
    `if [ -e ${f} ]; then chmod --reference=${f} "$_t" && chown --reference=${f} "$_t" && { ! command -v chcon >/dev/null 2>&1 || chcon --reference=${f} "$_t" 2>/dev/null || :; }; else chmod ${mode} "$_t"; fi || { rm -f "$_t"; exit 1; }`,
    `mv -f "$_t" ${f} 2>/dev/null || { cat "$_t" >${f}; _r=$?; rm -f "$_t"; [ $_r -eq 0 ] || exit 1; }`,
  ].join('\n');
}
