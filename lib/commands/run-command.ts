/**
 * What command and shell share: the creates/removes guard (one test on the host), building the command line,
 * running it and shaping Ansible's result (rc, stdout/stderr and their _lines, cmd, start/end/delta).
 */
import { ArgsError, Type, change, ok, type CheckResult, type CheckContext, type ModuleContext, type ResultData } from '../../src/contract/index.js';
import { shq } from '../shell/quote.js';

/** The arguments command and shell share (TypeBox properties, spread into each module's schema). */
export const runArgProperties = {
  creates: Type.Optional(Type.String({ description: 'a path or glob; when it exists the command is not run' })),
  removes: Type.Optional(Type.String({ description: 'a path or glob; when it does not exist the command is not run' })),
  chdir: Type.Optional(Type.String({ description: 'change into this directory first' })),
  stdin: Type.Optional(Type.String({ description: 'text fed to the command on stdin' })),
  stdin_add_newline: Type.Boolean({ default: true, description: 'append a newline to stdin' }),
  strip_empty_ends: Type.Boolean({ default: true, description: 'strip trailing newlines from stdout/stderr' }),
};

export interface GuardArgs {
  creates?: string;
  removes?: string;
  chdir?: string;
}

export interface RunArgs extends GuardArgs {
  stdin?: string;
  stdin_add_newline: boolean;
  strip_empty_ends: boolean;
}

/** A path or glob for `[ -e ]`: glob characters stay live, everything else is quoted; `~/` means $HOME. */
export function shPathPattern(p: string): string {
  let out = '';
  let rest = p;
  if (rest === '~' || rest.startsWith('~/')) {
    out = '"$HOME"';
    rest = rest.slice(1);
  }
  let lit = '';
  const flush = (): void => {
    if (lit) out += shq(lit);
    lit = '';
  };
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '*' || c === '?') {
      flush();
      out += c;
    } else if (c === '[') {
      const m = /^\[(!?[A-Za-z0-9._-]+)\]/.exec(rest.slice(i));
      if (m) {
        flush();
        out += m[0];
        i += m[0].length - 1;
      } else lit += c;
    } else lit += c;
  }
  flush();
  return out;
}

function existsTest(p: string): string {
  const pat = shPathPattern(p);
  return `_g=n; for _f in ${pat}; do if [ -e "$_f" ] || [ -h "$_f" ]; then _g=y; break; fi; done`;
}

/** One shell snippet printing `creates=y|n` and `removes=y|n` for the guards that are set. */
export function guardScript(a: GuardArgs): string | null {
  const parts: string[] = [];
  if (a.creates !== undefined) parts.push(`${existsTest(a.creates)}; echo "creates=$_g"`);
  if (a.removes !== undefined) parts.push(`${existsTest(a.removes)}; echo "removes=$_g"`);
  return parts.length ? parts.join('\n') : null;
}

export function parseGuard(stdout: string): { creates?: boolean; removes?: boolean } {
  const out: { creates?: boolean; removes?: boolean } = {};
  for (const line of stdout.split('\n')) {
    const m = /^(creates|removes)=([yn])$/.exec(line.trim());
    if (m) out[m[1] as 'creates' | 'removes'] = m[2] === 'y';
  }
  return out;
}

/**
 * command.py's result when a guard says the command would not run ("Did not run..." / in check mode "Would not
 * run..."), else null.
 */
export function guardDecision(a: GuardArgs, g: { creates?: boolean; removes?: boolean }, checkMode = false): ResultData | null {
  const shoulda = checkMode ? 'Would' : 'Did';
  const skip = (msg: string, stdout: string): ResultData => ({
    msg,
    stdout,
    stderr: '',
    rc: 0,
    stdout_lines: [stdout],
    stderr_lines: [],
    start: null,
    end: null,
    delta: null,
  });
  if (a.creates !== undefined && g.creates) return skip(`${shoulda} not run command since '${a.creates}' exists`, `skipped, since ${a.creates} exists`);
  if (a.removes !== undefined && g.removes === false) {
    return skip(`${shoulda} not run command since '${a.removes}' does not exist`, `skipped, since ${a.removes} does not exist`);
  }
  return null;
}

/** What command and shell return beyond Ansible's common keys (`tsplay doc`). */
export const RUN_RETURNS: Readonly<Record<string, string>> = {
  cmd: 'the command as run (argv list for command, the text for shell)',
  stdout_lines: 'stdout split into lines',
  stderr_lines: 'stderr split into lines',
  start: 'when it started (local time)',
  end: 'when it ended',
  delta: 'how long it ran (H:MM:SS.micro)',
};

/** Ansible's result when the command is empty or given twice (command.py: rc 256, checked before check mode). */
export function noCommandResult(msg = 'no command given'): ResultData {
  return { failed: true, changed: false, msg, rc: 256, stdout: '', stderr: '', cmd: null, start: null, end: null, delta: null };
}

/** check(): run the guards (one command, or none without guards). */
export async function checkGuards(ctx: CheckContext, a: GuardArgs, what: string): Promise<CheckResult<null>> {
  const script = guardScript(a);
  if (script) {
    const r = await ctx.probe(script, a.chdir !== undefined ? { cwd: a.chdir } : {});
    if (r.rc !== 0 && a.chdir !== undefined) {
      return ok({ failed: true, msg: `Unable to change directory before execution: ${a.chdir}`, rc: r.rc, stderr: r.stderr.trim() });
    }
    const skip = guardDecision(a, parseGuard(r.stdout), ctx.checkMode);
    if (skip) return ok(skip);
  }
  // command.py in check mode: skipped without a guard; with one that lets it run, changed (nothing is run)
  const would: ResultData = { rc: 0, msg: 'Command would have run if not in check mode', stdout: '', stderr: '', start: null, end: null, delta: null };
  if (ctx.checkMode && a.creates === undefined && a.removes === undefined) return ok({ ...would, skipped: true });
  return change(`run: ${what}`, null, ctx.checkMode ? { result: would } : {});
}

/** Ansible's command: `$VAR`/`${VAR}` in arguments are expanded (unset ones stay literal), `~` at the start too. */
export function expandWord(w: string): string {
  if (!/[$~]/.test(w)) return shq(w);
  let out = '';
  let rest = w;
  if (rest === '~' || rest.startsWith('~/')) {
    out += '"$HOME"';
    rest = rest.slice(1);
  } else {
    const m = /^~([a-z_][a-z0-9_-]*)(?=\/|$)/.exec(rest);
    if (m) {
      out += m[0];
      rest = rest.slice(m[0].length);
    }
  }
  const re = /\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})/g;
  let last = 0;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    if (m.index > last) out += shq(rest.slice(last, m.index));
    const name = m[1] ?? m[2]!;
    out += `"\${${name}-\\$${name}}"`;
    last = m.index + m[0].length;
  }
  if (last < rest.length) out += shq(rest.slice(last));
  return out || "''";
}

export function commandLine(argv: readonly string[], expandVars: boolean): string {
  if (argv.length === 0) throw new ArgsError('no command given');
  return 'exec ' + argv.map((w) => (expandVars ? expandWord(w) : shq(w))).join(' ');
}

function stamp(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}

export function delta(ms: number): string {
  const s = Math.floor(ms / 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}.${String(Math.round((ms % 1000) * 1000)).padStart(6, '0')}`;
}

/** Python's str.splitlines(): a final line break ends the last line, it does not start an empty one. */
function lines(s: string): string[] {
  return s === '' ? [] : s.replace(/\r?\n$/, '').split(/\r?\n/);
}

/** apply(): run the script and build Ansible's result. rc != 0 → failed ("non-zero return code"). */
export async function runAndReport(ctx: ModuleContext, script: string, cmd: string | string[], a: RunArgs): Promise<ResultData> {
  let stdin = a.stdin;
  if (stdin !== undefined && a.stdin_add_newline && !stdin.endsWith('\n')) stdin += '\n';
  const t0 = new Date();
  const r = await ctx.run(script, { ...(stdin !== undefined ? { stdin } : {}), ...(a.chdir !== undefined ? { cwd: a.chdir } : {}) });
  const t1 = new Date();
  const strip = (s: string): string => (a.strip_empty_ends ? s.replace(/[\r\n]+$/, '') : s);
  const stdout = strip(r.stdout);
  const stderr = strip(r.stderr);
  const res: ResultData = {
    changed: true,
    cmd,
    rc: r.rc,
    stdout,
    stderr,
    stdout_lines: lines(stdout),
    stderr_lines: lines(stderr),
    start: stamp(t0),
    end: stamp(t1),
    delta: delta(t1.getTime() - t0.getTime()),
    msg: '',
  };
  if (r.rc !== 0) {
    res.failed = true;
    // the connection's `cd` failed before the command ran (its message is the only stderr)
    const cdFailed = a.chdir !== undefined && /^[^\n]*\bcd: [^\n]*\n?$/.test(r.stderr) && r.stdout === '';
    res.msg = cdFailed ? `Unable to change directory before execution: ${a.chdir}` : 'non-zero return code';
    if (cdFailed) res.changed = false;
  }
  return res;
}
