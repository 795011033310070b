/**
 * Ansible's add_path_info (module_utils/basic.py, applied to every result of a Python module that has `path`
 * or `dest`): uid, gid, owner, group, mode, state and size of the path when it exists. For tsplay modules whose
 * result names a path they made themselves (tempfile): one snippet appended to the module's own command.
 */
import type { ResultData } from '../../src/contract/index.js';

/** A shell snippet printing one `PATHINFO ...` line for the path in shell expression `pathExpr` (e.g. "$p"). */
export function pathInfoSnippet(pathExpr: string): string {
  return `if [ -e ${pathExpr} ] || [ -h ${pathExpr} ]; then stat -c 'PATHINFO %u %g %a %s %h %F|%U|%G' -- ${pathExpr}; fi`;
}

/** The keys add_path_info adds, read from the snippet's line in `stdout` (none when the path did not exist). */
export function parsePathInfo(stdout: string): ResultData {
  const m = /^PATHINFO (\d+) (\d+) ([0-7]+) (\d+) (\d+) ([^|]*)\|([^|]*)\|(.*)$/m.exec(stdout);
  if (!m) return {};
  const [, uid, gid, mode, size, nlink, type, user, group] = m;
  const state = type === 'symbolic link' ? 'link' : type === 'directory' ? 'directory' : Number(nlink) > 1 ? 'hard' : 'file';
  return {
    uid: Number(uid),
    gid: Number(gid),
    owner: user === 'UNKNOWN' ? uid : user,
    group: group === 'UNKNOWN' ? gid : group,
    mode: mode!.padStart(4, '0'),
    state,
    size: Number(size),
  };
}

/** The result's lines other than the snippet's. */
export function withoutPathInfo(stdout: string): string {
  return stdout
    .split('\n')
    .filter((l) => !l.startsWith('PATHINFO '))
    .join('\n');
}
