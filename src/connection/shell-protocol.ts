/**
 * The framed protocol spoken with a persistent POSIX shell on the target.
 *
 * Start: the channel's command is BOOTSTRAP (tiny, constant apart from a random ready token): it prints the
 * token on stdout and stderr (everything before it, e.g. sudo warnings, is discarded), then reads one line
 * from stdin and evals it. That line sets the private marker M (never in argv) and reads the loop code
 * with `head -c`.
 *
 * Per command, the controller writes
 *     "<id> <nlines> <stdin-len>\n" + script lines + stdin bytes      (or "<id> b<bytes> <stdin-len>\n" + script)
 * and the loop runs `(eval "$script") <stdin-file` with stdout/stderr going straight to the channel, then
 * prints "\n<M> <id> <rc>\n" on stdout and on stderr. The controller cuts each stream at that trailer: stdout,
 * stderr and rc stay separate and binary safe, and a command costs one fork on the target (no extra
 * processes; stdin bytes go to a file in a private mktemp -d directory, emptied after the command and removed
 * when the shell exits). M is 128 random bits known only to the loop shell (not in argv, not exported, unset
 * for the command), so command output cannot fake a trailer.
 *
 * Needs GNU (or any non-over-reading) `head -c`: BusyBox head reads ahead through stdio and would eat the
 * next request.
 */
import { randomBytes } from 'node:crypto';
import { shq } from '../util/shell.js';

export const ROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Scripts longer than this are sent as one byte block (one `head -c`) instead of line by line. */
const LINE_MODE_MAX = 4096;

export function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

/** Channel command: `/bin/sh -c '...'` printing the ready token, then evaluating one line of stdin. */
export function bootstrapCommand(readyToken: string): string {
  return `/bin/sh -c ${shq(`echo ${readyToken}; echo ${readyToken} >&2; IFS= read -r l && eval "$l"`)}`;
}

const LOOP = `D=
trap '[ -z "$D" ] || rm -rf "$D"' EXIT
trap 'exit 129' HUP
trap 'exit 143' TERM
NL='
'
while IFS=' ' read -r i n l; do
  case $n in
    b*) S=$(head -c "\${n#b}"; echo x) || exit 112; S=\${S%x} ;;
    *) S=; while [ "$n" -gt 0 ]; do IFS= read -r x || exit 112; S="$S$x$NL"; n=$((n - 1)); done ;;
  esac
  I=/dev/null
  if [ "$l" -gt 0 ]; then
    [ -n "$D" ] || D=$(mktemp -d "\${TMPDIR:-/tmp}/tsplay.XXXXXXXXXX") || exit 111
    head -c "$l" >"$D/i" || exit 113
    I=$D/i
  fi
  (unset M D NL n l x I; eval "$S") <"$I"
  r=$?
  [ "$I" = /dev/null ] || : >"$I"
  printf '\\n%s %s %s\\n' "$M" "$i" "$r"
  printf '\\n%s %s %s\\n' "$M" "$i" "$r" >&2
done
`;

/** Why the loop shell exits by itself (its exit status). */
export const LOOP_EXIT_REASONS: Record<number, string> = {
  111: 'cannot create a temporary directory (mktemp -d in $TMPDIR or /tmp)',
  112: 'the command text was cut short',
  113: 'cannot write the command input to the temporary directory',
};

/** The first line written to the shell: sets the marker and the environment, then reads and runs the loop. */
export function loopPreamble(marker: string, opts: { root: boolean }): Buffer {
  const path = opts.root ? `PATH=${ROOT_PATH}` : 'PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin';
  const loop = Buffer.from(LOOP);
  const line = `M=${marker}; ${path}; LC_ALL=C; export PATH LC_ALL; eval "$(head -c ${loop.length})"\n`;
  return Buffer.concat([Buffer.from(line), loop]);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The script a command becomes: optional cd and exports, then the command itself. */
export function buildScript(command: string, opts: { cwd?: string; env?: Record<string, string> } = {}): string {
  let pre = '';
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (!ENV_NAME.test(k)) throw new Error(`invalid environment variable name ${JSON.stringify(k)}`);
    pre += `${k}=${shq(v)}; export ${k}\n`;
  }
  if (opts.cwd !== undefined) pre += `cd -- ${shq(opts.cwd)} || exit 1\n`;
  if (command.includes('\0')) throw new Error('a shell command cannot contain a NUL byte');
  return pre + command;
}

/** Encode one request (header + script + stdin). */
export function encodeRequest(id: number, script: string, stdin?: string | Buffer): Buffer {
  if (script.includes('\0')) throw new Error('a shell command cannot contain a NUL byte');
  const body = Buffer.from(script.endsWith('\n') ? script : script + '\n');
  const input = stdin === undefined ? Buffer.alloc(0) : Buffer.isBuffer(stdin) ? stdin : Buffer.from(stdin);
  let count: string;
  if (body.length > LINE_MODE_MAX) count = `b${body.length}`;
  else {
    let n = 0;
    for (const b of body) if (b === 0x0a) n++;
    count = String(n);
  }
  return Buffer.concat([Buffer.from(`${id} ${count} ${input.length}\n`), body, input]);
}

/** A growable byte buffer for one stream, cut at trailers/tokens. */
export class StreamBuffer {
  private buf = Buffer.alloc(0);
  private len = 0;
  private scanFrom = 0;

  push(chunk: Buffer): void {
    if (this.len + chunk.length > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.len + chunk.length, this.buf.length * 2, 4096));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    chunk.copy(this.buf, this.len);
    this.len += chunk.length;
  }

  get length(): number {
    return this.len;
  }

  text(): string {
    return this.buf.toString('utf8', 0, this.len);
  }

  private consume(n: number): Buffer {
    const out = Buffer.from(this.buf.subarray(0, n));
    this.buf.copy(this.buf, 0, n, this.len);
    this.len -= n;
    this.scanFrom = 0;
    // don't keep a large buffer per host for the rest of the run after one big output
    if (this.len === 0 && this.buf.length > 1 << 20) this.buf = Buffer.alloc(0);
    return out;
  }

  /** Drop everything up to and including `token\n`; false if it has not arrived yet. */
  skipThrough(token: string): boolean {
    const needle = Buffer.from(token + '\n');
    const view = this.buf.subarray(0, this.len);
    const at = view.indexOf(needle, this.scanFrom);
    if (at < 0) {
      this.scanFrom = Math.max(0, this.len - needle.length + 1);
      return false;
    }
    this.consume(at + needle.length);
    return true;
  }

  /** Take a command's output up to its trailer "\n<marker> <id> <rc>\n"; null if incomplete. */
  takeFrame(marker: string): { body: Buffer; id: number; rc: number } | null {
    const needle = Buffer.from(`\n${marker} `);
    const view = this.buf.subarray(0, this.len);
    const at = view.indexOf(needle, this.scanFrom);
    if (at < 0) {
      this.scanFrom = Math.max(0, this.len - needle.length + 1);
      return null;
    }
    const eol = view.indexOf(0x0a, at + needle.length);
    if (eol < 0) {
      this.scanFrom = at;
      return null;
    }
    const [id, rc] = view.toString('latin1', at + needle.length, eol).split(' ').map(Number);
    const body = this.consume(eol + 1).subarray(0, at);
    return { body, id: id!, rc: rc! };
  }
}
