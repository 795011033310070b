/**
 * The shell side of the file-state fact: one command for any number of paths, built from one shell function
 * per kind of question (so 500 files cost one short script). Output is tagged lines, content last and raw.
 */
import { shq } from '../shell/quote.js';
import { DIFF_MAX_SIZE, joinPath, parentDir, type FileQuery, type FileQueryItem } from './types.js';

const STAT_FMT = '%f\\t%u\\t%g\\t%h\\t%s\\t%i\\t%d\\t%X\\t%x\\t%Y\\t%y\\t%Z\\t%z\\t%U\\t%G\\n';
const TREE_FMT = 'W\\t%f\\t%u\\t%g\\t%U\\t%G\\t%n\\n';
const FOLLOWED_FMT = 'X\\t%f\\t%u\\t%g\\t%U\\t%G\\t%n\\n';

/**
 * `_tsk PATH`: walk PATH one component at a time as the kernel resolves it, and for each symlink met print
 *   K <final 0|1> <dir mode> <dir uid> <dir owner> <link mode> <link uid> <link owner> <link path>
 * ("final": met only by following the path itself). Plain components cost no process (shell builtins);
 * a symlink costs one stat and one readlink. At most 40 links, like the kernel's ELOOP limit.
 */
const LINK_WALK = [
  '_tsk() {',
  '_r=$1; _k=0; _z=0',
  'case $_r in /*) _d= ;; *) _d=$(pwd -P) ;; esac',
  'while :; do',
  '  case $_r in */*) _c=${_r%%/*}; _r=${_r#*/} ;; *) _c=$_r; _r= ;; esac',
  '  case $_c in',
  "    ''|.) ;;",
  '    ..) _d=${_d%/*} ;;',
  '    *) _p=$_d/$_c',
  '      if [ -L "$_p" ]; then',
  '        [ -n "$_r" ] || _z=1',
  '        _k=$((_k + 1)); [ $_k -le 40 ] || return 0',
  `        _tsid; printf 'K\\t%s\\t' $_z; stat --printf='%f\\t%u\\t%U\\t' -- "\${_d:-/}" "$_p" || exit 1; printf '%s\\n' "$_p"`,
  '        _t=$(readlink -- "$_p") || exit 1',
  '        case $_t in /*) _d= ;; esac',
  '        _r=$_t${_r:+/$_r}',
  '      else _d=$_p; fi ;;',
  '  esac',
  '  [ -n "$_r" ] || break',
  'done',
  '}',
].join('\n');

/** Shell function body for one kind of item: $1 path, $2 path/inDir (or ''), $3 parent directory. */
function itemFunction(name: string, it: FileQueryItem, last: boolean): string {
  const lines: string[] = [`${name}() {`, 'printf "@\\n"', 'p=$1; j='];
  if (it.inDir !== undefined) lines.push(`if [ -d "$p" ]; then p=$2; j=1; printf 'J\\n'; fi`);
  if (it.linkHops) lines.push('_tsk "$p"');
  lines.push('if [ -L "$p" ] || [ -e "$p" ]; then');
  lines.push(`printf 'L\\t'; stat --printf='${STAT_FMT}' -- "$p" || exit 1`);
  lines.push('if [ -L "$p" ] || { [ ! -f "$p" ] && [ ! -d "$p" ]; }; then _tsid; fi');
  let link = `if [ -L "$p" ]; then printf 'T\\t%s\\n' "$(readlink -- "$p")"; printf 'R\\t%s\\n' "$(readlink -m -- "$p")"`;
  if (it.follow) link += `; if [ -e "$p" ]; then printf 'F\\t'; stat -L --printf='${STAT_FMT}' -- "$p" || exit 1; fi`;
  lines.push(link + '; fi');
  if (it.checksum) lines.push(`if [ -f "$p" ] && [ -r "$p" ]; then printf 'S\\t'; ${it.checksum}sum < "$p" || exit 1; fi`);
  if (it.access) lines.push(`printf 'A\\t'; [ -r "$p" ] && printf r; [ -w "$p" ] && printf w; [ -x "$p" ] && printf x; printf '\\n'`);
  if (it.emptyDir) lines.push(`if [ -d "$p" ] && [ ! -L "$p" ] && [ -z "$(ls -A -- "$p")" ]; then printf 'Z\\n'; fi`);
  // -H: a link given as the path is followed (file state=directory follow=true recurse=true)
  if (it.tree && !it.treeFollow) lines.push(`if [ -d "$p" ]; then find -H "$p" -mindepth 1 -exec stat --printf='${TREE_FMT}' -- {} + || exit 1; fi`);
  if (it.tree && it.treeFollow) {
    lines.push(`if [ -d "$p" ]; then find -L "$p" -mindepth 1 -exec stat --printf='${TREE_FMT}' -- {} + || exit 1`);
    lines.push(
      `find -L "$p" -mindepth 1 -exec sh -c 'for f; do if [ -L "$f" ] && [ -e "$f" ]; then stat -L --printf="${FOLLOWED_FMT}" -- "$f" || exit 1; fi; done' sh {} + || exit 1; fi`,
    );
  }
  if (it.content && last) {
    const read = it.content === 'all' ? 'cat -- "$p"' : `head -c ${DIFF_MAX_SIZE + 1} -- "$p"`;
    lines.push(`if [ -f "$p" ]; then printf 'C\\n'; ${read} || exit 1; fi`);
  }
  lines.push('else');
  lines.push(`printf 'N\\n'; _tsid; if [ -n "$j" ] || [ -d "$3" ]; then printf 'P\\n'; fi`);
  lines.push('fi', '}');
  return lines.join('\n');
}

function signature(it: FileQueryItem, last: boolean): string {
  return JSON.stringify([
    it.inDir !== undefined,
    !!it.follow,
    it.checksum ?? '',
    it.access ?? false,
    it.emptyDir ?? false,
    it.tree ?? false,
    it.treeFollow ?? false,
    !!it.linkHops,
    last ? (it.content ?? '') : '',
  ]);
}

/** The command (exported for tests and for modules that batch it with other work). */
export function fileStateCommand(q: FileQuery): string {
  const out: string[] = [
    `printf 'U\\t%s\\n' "$(umask)"; _i=`,
    // the running user, once, only when a path needs it (one exec of id)
    `_tsid() { [ -n "$_i" ] || { _i=1; printf 'I\\t%s\\n' "$(LC_ALL=C id)"; }; }`,
  ];
  if (q.items.some((it) => it.linkHops)) out.push(LINK_WALK);
  for (const e of q.epochs ?? []) out.push(`printf 'E\\t%s\\n' "$(date -d ${shq(e)} +%s 2>/dev/null || echo x)"`);
  const fns = new Map<string, string>();
  const calls: string[] = [];
  q.items.forEach((it, i) => {
    const last = i === q.items.length - 1;
    if (it.content && !last) throw new Error('file-state: only the last item may ask for content');
    const sig = signature(it, last);
    let fn = fns.get(sig);
    if (!fn) {
      fn = `_tsf${fns.size}`;
      fns.set(sig, fn);
      out.push(itemFunction(fn, it, last));
    }
    const joined = it.inDir !== undefined ? shq(joinPath(it.path, it.inDir)) : "''";
    calls.push(`${fn} ${shq(it.path)} ${joined} ${shq(parentDir(it.path))}`);
  });
  return [...out, ...calls].join('\n');
}
