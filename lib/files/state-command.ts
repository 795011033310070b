/**
 * The shell side of the file-state fact: one command for any number of paths, built from one shell function
 * per kind of question (so 500 files cost one short script). Output is tagged lines; contents come between
 * lines of a random token, so any number of items may ask for content.
 */
import { randomBytes } from 'node:crypto';
import { shq } from '../shell/quote.js';
import { DIFF_MAX_SIZE, joinPath, parentDir, type ChecksumAlgorithm, type FileQuery, type FileQueryItem } from './types.js';

const STAT_FMT = '%f\\t%u\\t%g\\t%h\\t%s\\t%i\\t%d\\t%X\\t%x\\t%Y\\t%y\\t%Z\\t%z\\t%U\\t%G\\n';
const TREE_FMT = 'W\\t%f\\t%u\\t%g\\t%U\\t%G\\t%n\\n';
const FOLLOWED_FMT = 'X\\t%f\\t%u\\t%g\\t%U\\t%G\\t%n\\n';

/**
 * `_tsk PATH`: walk PATH one component at a time as the kernel resolves it, and for each symlink met print
 *   K <final 0|1> <dir mode> <dir uid> <dir owner> <link mode> <link uid> <link owner> <link path>
 * ("final": met only by following the path itself). Plain components cost no process (shell builtins);
 * a symlink costs one stat and one readlink. At most 40 links, like the kernel's ELOOP limit. Leaves the
 * path's own link target in _tt (when the path is a link) and the resolved path in _tr (what `readlink -m`
 * answers: every link followed, missing components kept), so a link item costs no more readlink.
 */
const LINK_WALK = [
  '_tsk() {',
  '_r=$1; _k=0; _z=0; _tt=; _tr=; _f=',
  'case $_r in /*) _d= ;; *) _d=$(pwd -P) ;; esac',
  'while :; do',
  '  case $_r in */*) _c=${_r%%/*}; _r=${_r#*/} ;; *) _c=$_r; _r= ;; esac',
  '  case $_c in',
  "    ''|.) ;;",
  '    ..) _d=${_d%/*} ;;',
  '    *) _p=$_d/$_c',
  '      if [ -L "$_p" ]; then',
  '        _f=; [ -n "$_r" ] || { [ $_z = 1 ] || _f=1; _z=1; }',
  '        _k=$((_k + 1)); [ $_k -le 40 ] || return 0',
  `        _tsid; printf 'K\\t%s\\t' $_z; stat --printf='%f\\t%u\\t%U\\t' -- "\${_d:-/}" "$_p" || exit 1; printf '%s\\n' "$_p"`,
  '        _t=$(readlink -- "$_p") || exit 1',
  '        [ -z "$_f" ] || _tt=$_t',
  '        case $_t in /*) _d= ;; esac',
  '        _r=$_t${_r:+/$_r}',
  '      else _d=$_p; fi ;;',
  '  esac',
  '  [ -n "$_r" ] || break',
  'done',
  '_tr=${_d:-/}',
  '}',
].join('\n');

/**
 * `_tsq INDEX PATH JOINED ALGO CONTENT`, run for every item before anything is read: where the item looks
 * (PATH, or JOINED when PATH is a directory: copy's "dest is a directory"), whether that exists, whether it
 * gets a checksum (a readable regular file) and which content, kept in _p<i> _j<i> _e<i> _c<i> _m<i>. Shell
 * builtins only: then ONE stat and one checksum process serve every item of the command (a task, or a whole
 * play's reads batched).
 */
const PREPARE = [
  '_tsq() {',
  'p=$2; j=',
  'if [ -n "$3" ] && [ -d "$p" ]; then p=$3; j=1; fi',
  'e=; if [ -L "$p" ] || [ -e "$p" ]; then e=1; fi',
  'c=; if [ -n "$4" ] && [ -n "$e" ] && [ -f "$p" ] && [ -r "$p" ]; then c=$4; fi',
  'eval "_p$1=\\$p _j$1=\\$j _e$1=\\$e _c$1=\\$c _m$1=\\$5 _x$1= _h$1= _g$1="',
  '}',
].join('\n');

/**
 * The items that exist, stat'ed by one process: "B <count>", then one line per file (lstat, in order). The
 * first line is the shell's own /proc entry when it is owned by the shell's effective user and group (as
 * for any process not made undumpable): the running user, names included, without a run of `id`.
 */
function statBlock(n: number): string {
  return [
    `set --; _ip=; if [ -d /proc/$$ ] && [ -O /proc/$$ ] && [ -G /proc/$$ ]; then set -- "/proc/$$"; _ip=1; fi; _n=0`,
    `while [ $_n -lt ${n} ]; do eval "p=\\$_p$_n e=\\$_e$_n"; if [ -n "$e" ]; then set -- "$@" "$p"; eval "_x$_n=\\$#"; fi; _n=$((_n + 1)); done`,
    `printf 'B\\t%s\\n' $#`,
    `[ $# -eq 0 ] || stat --printf='${STAT_FMT}' -- "$@" || exit 1`,
  ].join('\n');
}

/** The checksums of one algorithm, by one process: "H <count>", then `<algo>sum`'s lines, in order. */
function sumBlock(n: number, algo: ChecksumAlgorithm): string {
  return [
    `set --; _n=0`,
    `while [ $_n -lt ${n} ]; do eval "p=\\$_p$_n c=\\$_c$_n"; if [ "$c" = ${algo} ]; then set -- "$@" "$p"; eval "_h$_n=\\$#"; fi; _n=$((_n + 1)); done`,
    `printf 'H\\t${algo}\\t%s\\n' $#`,
    `[ $# -eq 0 ] || ${algo}sum -- "$@" || exit 1`,
  ].join('\n');
}

/**
 * The whole contents asked for, of readable regular files (not links), by one `cat`: "G <token> <count>",
 * the files one after the other, then "\n<token>\n". The parser cuts them by the sizes the stat block gave,
 * and refuses the lot when they do not add up (a file changed between the stat and the cat).
 */
function contentBlock(n: number, token: string): string {
  return [
    `set --; _n=0`,
    `while [ $_n -lt ${n} ]; do eval "p=\\$_p$_n m=\\$_m$_n"; if [ "$m" = all ] && [ -f "$p" ] && [ ! -L "$p" ] && [ -r "$p" ]; then set -- "$@" "$p"; eval "_g$_n=\\$#"; fi; _n=$((_n + 1)); done`,
    `printf 'G\\t${token}\\t%s\\n' $#`,
    `[ $# -eq 0 ] || cat -- "$@" || exit 1`,
    `printf '\\n${token}\\n'`,
  ].join('\n');
}

/** Shell function body for one kind of item: $1 the item's index (see _tsq), $2 its path's parent directory. */
function itemFunction(name: string, it: FileQueryItem, token: string): string {
  const lines: string[] = [`${name}() {`, 'printf "@\\n"', 'eval "p=\\$_p$1 j=\\$_j$1 x=\\$_x$1 h=\\$_h$1 c=\\$_c$1 g=\\$_g$1"'];
  if (it.inDir !== undefined) lines.push(`[ -z "$j" ] || printf 'J\\n'`);
  if (it.linkHops) lines.push('_tsk "$p"');
  lines.push('if [ -n "$x" ]; then');
  lines.push(`printf 'L\\t#%s\\n' "$x"`);
  lines.push('if [ -L "$p" ] || { [ ! -f "$p" ] && [ ! -d "$p" ]; }; then _tsid; fi');
  // after the walk (linkHops), its answers: no readlink of the path again
  let link = it.linkHops
    ? `if [ -L "$p" ]; then printf 'T\\t%s\\n' "\${_tt:-$(readlink -- "$p")}"; printf 'R\\t%s\\n' "\${_tr:-$(readlink -m -- "$p")}"`
    : `if [ -L "$p" ]; then printf 'T\\t%s\\n' "$(readlink -- "$p")"; printf 'R\\t%s\\n' "$(readlink -m -- "$p")"`;
  if (it.follow) link += `; if [ -e "$p" ]; then printf 'F\\t'; stat -L --printf='${STAT_FMT}' -- "$p" || exit 1; fi`;
  lines.push(link + '; fi');
  if (it.checksum) lines.push(`[ -z "$h" ] || printf 'S\\t#%s %s\\n' "$c" "$h"`);
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
  if (it.content) {
    // from the content block, or read here between token lines (a link to a file, a peek, an unreadable
    // file: cat fails as it would alone)
    const read = it.content === 'all' ? 'cat -- "$p"' : `head -c ${DIFF_MAX_SIZE + 1} -- "$p"`;
    lines.push(
      `if [ -n "$g" ]; then printf 'C\\t#%s\\n' "$g"; elif [ -f "$p" ]; then printf 'C\\t${token}\\n'; ${read} || exit 1; printf '\\n${token}\\n'; fi`,
    );
  }
  lines.push('else');
  lines.push(`printf 'N\\n'; _tsid; if [ -n "$j" ] || [ -d "$2" ]; then printf 'P\\n'; fi`);
  lines.push('fi', '}');
  return lines.join('\n');
}

function signature(it: FileQueryItem): string {
  return JSON.stringify([
    it.inDir !== undefined,
    !!it.follow,
    it.checksum ?? '',
    it.access ?? false,
    it.emptyDir ?? false,
    it.tree ?? false,
    it.treeFollow ?? false,
    !!it.linkHops,
    it.content ?? '',
  ]);
}

/** The command (exported for tests and for modules that batch it with other work). */
export function fileStateCommand(q: FileQuery): string {
  const out: string[] = [
    // umask is a builtin: printed directly, it costs no subshell (a fork per task on every host)
    `printf 'U\\t'; umask; _i=`,
    // the running user, once, only when a path needs it: the stat block's first line, or one exec of id
    `_tsid() { [ -n "$_i" ] || { _i=1; if [ -n "$_ip" ]; then printf 'I\\t#1\\n'; else printf 'I\\t%s\\n' "$(LC_ALL=C id)"; fi; }; }`,
    PREPARE,
  ];
  if (q.items.some((it) => it.linkHops)) out.push(LINK_WALK);
  for (const e of q.epochs ?? []) out.push(`printf 'E\\t%s\\n' "$(date -d ${shq(e)} +%s 2>/dev/null || echo x)"`);
  const fns = new Map<string, string>();
  const prepare: string[] = [];
  const calls: string[] = [];
  const seen = new Map<string, number>();
  const algos = new Set<ChecksumAlgorithm>();
  let n = 0;
  // content comes between lines of this token: 96 random bits no file can know in advance
  const token = `tsplay-${randomBytes(12).toString('hex')}`;
  let contents = false;
  q.items.forEach((it, i) => {
    const sig = signature(it);
    let fn = fns.get(sig);
    if (!fn) {
      fn = `_tsf${fns.size}`;
      fns.set(sig, fn);
      out.push(itemFunction(fn, it, token));
    }
    const joined = it.inDir !== undefined ? shq(joinPath(it.path, it.inDir)) : "''";
    const what = `${fn} ${shq(it.path)} ${joined}`;
    // the same question twice (file state=link asks about src once as the target, once as itself) is asked
    // once: D <index> says "as item <index>"
    const before = seen.get(what);
    if (before !== undefined) {
      calls.push(`printf 'D\\t${before}\\n'`);
      return;
    }
    seen.set(what, i);
    if (it.checksum) algos.add(it.checksum);
    if (it.content === 'all') contents = true;
    prepare.push(`_tsq ${n} ${shq(it.path)} ${joined} ${it.checksum ?? "''"} ${it.content ?? "''"}`);
    calls.push(`${fn} ${n} ${shq(parentDir(it.path))}`);
    n++;
  });
  const blocks = [statBlock(n), ...[...algos].map((a) => sumBlock(n, a)), ...(contents ? [contentBlock(n, token)] : [])];
  return [...out, ...prepare, ...blocks, ...calls].join('\n');
}
