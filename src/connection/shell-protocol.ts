/**
 * The framed protocol spoken with a persistent POSIX shell on the target.
 *
 * Two channels per shell (both opened by the controller, nothing listens on the target):
 *  - the CONTROL channel runs BOOTSTRAP (constant but for a random ready token), directly or under sudo. It
 *    prints "<token> <its pid>" on stdout and stderr (everything before, e.g. sudo warnings or rc-file noise,
 *    is discarded) and reads ONE line from stdin. After that, this channel carries only heartbeats
 *    (one "\n" every HEARTBEAT_MS): sudo (and sudo's I/O log) never sees a command, an input or an output.
 *  - the DATA channel is a process of the login user that reads nothing itself
 *    (`exec tail --pid=<shell pid> -f /dev/null`: it ends when the shell ends). The shell opens that
 *    process's stdin/stdout/stderr pipes through /proc/<pid>/fd/{0,1,2} as its fds 3/4/5, so commands,
 *    their input and their output travel on a channel of their own, past sudo. Where that open is refused
 *    (a non-root become user, a hardened /proc), the shell says so and everything goes in band on the
 *    control channel as before (fds 3/4/5 = 0/1/2).
 *
 * Per command, the controller writes on fd 3
 *     "<id> <nlines> <stdin-len>\n" + script lines + stdin bytes + "E<id>\n"
 *  or "<id> b<bytes> <stdin-len>\n" + script bytes + stdin bytes + "E<id>\n"
 * The loop reads the script, spools the input (if any) into a 0700 directory on a tmpfs (/dev/shm, /run, or
 * $XDG_RUNTIME_DIR: never a disk), then reads the end line: only when it is exactly "E<id>" — i.e. the
 * script and every declared input byte arrived — does the command run, as `(eval "$script") <spool`, with
 * stdout/stderr on fds 4/5. Anything short (controller killed, connection cut) ends at EOF before the end
 * line: the loop exits and the command never starts. After the command the spool is emptied; the loop
 * prints "\n<M> <id> <rc>\n" on fds 4 and 5, so stdout, stderr and rc stay separate and binary safe. M is 128
 * random bits sent on the data channel only, known to the loop alone (not in argv, not exported, unset for
 * the command), so command output cannot fake a trailer.
 *
 * Watchdog (data-channel mode): a background reader of the control channel. When the controller goes away
 * (EOF: process killed, sshd gone) or its heartbeats stop for WATCHDOG_S seconds (dead link), it gives the
 * running command GRACE_S seconds to finish by itself (an atomic rename completes, a step is not cut in the
 * middle), then TERMs the shell's whole session and KILLs it 2 s later: nothing run by tsplay outlives the
 * controller (daemons that detach with setsid, as services do, are not in the session and stay). Before the
 * KILL the watchdog itself removes the loop's spool directories: the loop's own EXIT trap may not get to its
 * `rm` (sudo's use_pty monitor dies with the session and the kernel HUPs the pty's foreground group, the rm
 * included), and a spool must not outlive the run.
 *
 * Needs GNU (or any non-over-reading) `head -c`: BusyBox head reads ahead through stdio and would eat the
 * next request.
 */
import { randomBytes } from 'node:crypto';
import { shq } from '../../lib/shell/quote.js';

export const ROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Scripts longer than this are sent as one byte block (one `head -c`) instead of line by line. */
const LINE_MODE_MAX = 4096;
/** The controller writes a heartbeat on the control channel this often. */
export const HEARTBEAT_MS = 10_000;
/** The target-side watchdog gives up on a controller silent for this long (a dead link). */
export const WATCHDOG_S = 60;
/** After the controller is gone, the running command gets this long to finish by itself. */
export const GRACE_S = 5;

export function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

/** Control channel command: prints "<token> <pid>" on stdout and stderr, then evaluates one line of stdin. */
export function bootstrapCommand(readyToken: string): string {
  return `/bin/sh -c ${shq(`echo ${readyToken} $$; echo ${readyToken} $$ >&2; IFS= read -r l && eval "$l"`)}`;
}

/** Data channel command: prints "<token> <pid>", then holds its pipes open for the shell until it ends. */
export function dataHolderCommand(token: string, shellPid: number): string {
  return `/bin/sh -c ${shq(`echo ${token} $$; exec tail --pid=${shellPid} -f /dev/null`)}`;
}

/**
 * The one line written on the control channel once both channels are up: open the data process's pipes
 * (or fall back to the control channel), say which (the answer token is built at run time, so a pty's echo
 * of this line cannot look like the answer), then read the loop from fd 3.
 */
export function controlLine(dataPid: number | undefined, answer: string, loopLength: number, opts: { pty: boolean }): string {
  const fds = `3</proc/$P/fd/0 4>/proc/$P/fd/1 5>/proc/$P/fd/2`;
  const stty = opts.pty ? 'stty -echo 2>/dev/null; ' : '';
  const inband = `K=; exec 3<&0 4>&1 5>&2; echo "ib-$t-ib"`;
  const open = dataPid === undefined ? inband : `P=${dataPid}; if (exec ${fds}) 2>/dev/null; then K=1; exec ${fds}; echo "ok-$t-ok"; else ${inband}; fi`;
  return `${stty}t=${answer}; ${open}; eval "$(head -c ${loopLength} <&3)"\n`;
}

/** The answers controlLine() makes the shell print. */
export function controlAnswers(answer: string): { data: string; inband: string } {
  return { data: `ok-${answer}-ok`, inband: `ib-${answer}-ib` };
}

const LOOP = `D=; W=
trap 'trap "" HUP TERM; [ -z "$W" ] || kill "$W" 2>/dev/null; [ -z "$D" ] || rm -rf "$D"' EXIT
trap 'exit 129' HUP
trap 'exit 143' TERM
NL='
'
L=$$
if [ "$K" = 1 ]; then
  exec 6<&0
  {
    while x=$(timeout --foreground ${WATCHDOG_S} head -c 1 && echo .) && [ \${#x} -ge 2 ]; do :; done
    trap '' TERM HUP
    g=0
    while [ $g -lt ${GRACE_S} ] && kill -0 $L 2>/dev/null; do sleep 1; g=$((g + 1)); done
    s=; e=
    if kill -0 $L 2>/dev/null; then
      e=1
      read -r _ _ _ _ _ s _ </proc/$L/stat
      [ "$s" -gt 1 ] 2>/dev/null && command -v pkill >/dev/null 2>&1 || s=
      if [ -n "$s" ]; then pkill -TERM -s "$s"; else kill -TERM 0; fi
      sleep 2
    fi
    for x in /dev/shm/tsplay.$L.* /run/tsplay.$L.* "\${XDG_RUNTIME_DIR:-/nonexistent}"/tsplay.$L.*; do
      [ -d "$x" ] && [ ! -h "$x" ] && [ -O "$x" ] && rm -rf "$x"
    done
    if [ -n "$e" ]; then
      if [ -n "$s" ]; then pkill -KILL -s "$s"; else kill -KILL 0; fi
    fi
  } <&6 >/dev/null 2>&1 3<&- 4>&- 5>&- &
  W=$!
  exec 6<&-
fi
for x in /dev/shm/tsplay.* /run/tsplay.* "\${XDG_RUNTIME_DIR:-/nonexistent}"/tsplay.*; do
  [ -d "$x" ] && [ ! -h "$x" ] && [ -O "$x" ] || continue
  p=\${x##*/tsplay.}; p=\${p%%.*}
  case $p in ''|*[!0-9]*) continue ;; esac
  kill -0 "$p" 2>/dev/null || rm -rf "$x"
done
while IFS=' ' read -r i n l <&3; do
  case $n in
    b*) S=$(head -c "\${n#b}" <&3; echo x) || exit 112; S=\${S%x} ;;
    *) S=; while [ "$n" -gt 0 ]; do IFS= read -r x <&3 || exit 112; S="$S$x$NL"; n=$((n - 1)); done ;;
  esac
  I=/dev/null
  if [ "$l" -gt 0 ]; then
    if [ -z "$D" ]; then
      for x in /dev/shm /run "\${XDG_RUNTIME_DIR:-}"; do
        [ -n "$x" ] && [ -d "$x" ] && [ -w "$x" ] || continue
        case $(stat -f -c %T "$x" 2>/dev/null) in tmpfs|ramfs) D=$(mktemp -d "$x/tsplay.$L.XXXXXX") && break ;; esac
        D=
      done
      [ -n "$D" ] || exit 111
    fi
    head -c "$l" <&3 >"$D/i" || exit 113
    I=$D/i
  fi
  IFS= read -r x <&3 || exit 112
  [ "$x" = "E$i" ] || exit 114
  (unset M D W K L NL P t n l x I; eval "$S") <"$I" >&4 2>&5 3<&- 4>&- 5>&-
  r=$?
  [ "$I" = /dev/null ] || : >"$I"
  printf '\\n%s %s %s\\n' "$M" "$i" "$r" >&4
  printf '\\n%s %s %s\\n' "$M" "$i" "$r" >&5
done
`;

/** Why the loop shell exits by itself (its exit status). */
export const LOOP_EXIT_REASONS: Record<number, string> = {
  111: 'no tmpfs to hold the command input (looked in /dev/shm, /run, $XDG_RUNTIME_DIR)',
  112: 'the command text or its input was cut short',
  113: 'cannot write the command input to the temporary directory (tmpfs full?)',
  114: 'the command stream is out of sync',
};

/** The loop code (sent on fd 3 after the control line): sets the private marker, the environment, runs the loop. */
export function loopCode(marker: string, opts: { root: boolean }): Buffer {
  const path = opts.root ? `PATH=${ROOT_PATH}` : 'PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin';
  return Buffer.from(`M=${marker}; ${path}; LC_ALL=C; export PATH LC_ALL\n${LOOP}`);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The script a command becomes: optional cd and exports, then the command itself. */
export function buildScript(command: string, opts: { cwd?: string; env?: Record<string, string> } = {}): string {
  let pre = '';
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (!ENV_NAME.test(k)) throw new Error(`invalid environment variable name ${JSON.stringify(k)}`);
    pre += `${k}=${shq(v)}; export ${k}\n`;
  }
  // -P: the physical directory, as a process started there by os.chdir() sees it (Ansible's chdir: $PWD has no symlinks)
  if (opts.cwd !== undefined) pre += `cd -P -- ${shq(opts.cwd)} || exit 1\n`;
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
  return Buffer.concat([Buffer.from(`${id} ${count} ${input.length}\n`), body, input, Buffer.from(`E${id}\n`)]);
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
    const [id, rc] = view
      .toString('latin1', at + needle.length, eol)
      .split(' ')
      .map(Number);
    const body = this.consume(eol + 1).subarray(0, at);
    return { body, id: id!, rc: rc! };
  }
}
