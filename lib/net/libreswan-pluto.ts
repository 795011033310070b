/**
 * The running Libreswan daemon (pluto), as the libreswan_* modules need it: is `ipsec` installed, does pluto
 * answer on its control socket, which connections has it loaded. One read-only command.
 * And the commands that load a connection / reread secrets in a running pluto, with their checks: `ipsec
 * auto --add|--replace` exits 0 even when a conn "did not load properly", so the outcome is read back.
 */
import { ModuleError, defineFact, type ModuleContext } from '../../src/contract/index.js';
import { shq } from '../shell/quote.js';
import { keyValues, partHeader, splitParts } from '../shell/parts.js';

export interface PlutoState {
  /** the ipsec command exists */
  installed: boolean;
  /** pluto answers `ipsec whack --status` */
  running: boolean;
  /** connection names pluto has loaded ("azure", and "azure/1x0" for leftsubnets= groups) */
  conns: string[];
  /** `ipsec --version` first line */
  version?: string;
}

export const PLUTO_SCRIPT = `if ! command -v ipsec >/dev/null 2>&1; then echo installed=no; exit 0; fi
echo installed=yes
printf 'version=%s\\n' "$(ipsec --version 2>/dev/null | head -n1)"
if _s=$(ipsec whack --status 2>/dev/null); then
  echo running=yes
  printf '%s\\n' "$_s" | sed -n 's/^[0-9]* "\\([^"]*\\)":.*/conn=\\1/p' | sort -u
else
  echo running=no
fi`;

export function parsePluto(stdout: string): PlutoState {
  const st: PlutoState = { installed: false, running: false, conns: [] };
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    if (k === 'installed') st.installed = v === 'yes';
    else if (k === 'running') st.running = v === 'yes';
    else if (k === 'version') st.version = v.trim() || undefined;
    else if (k === 'conn' && !st.conns.includes(v)) st.conns.push(v);
  }
  return st;
}

export const plutoFact = defineFact<void, PlutoState>({
  name: 'libreswan.pluto',
  command: () => PLUTO_SCRIPT,
  parse: (r) => parsePluto(r.stdout),
  become: true,
});

/** Is connection `name` loaded (itself, or its NAME/NxM members when it has several subnets)? */
export function connLoaded(st: PlutoState, name: string): boolean {
  return st.conns.some((c) => c === name || c.startsWith(`${name}/`));
}

const LOAD_FAILED = /did not load properly|failed to add connection|cannot load config|syntax error|not supported|^\s*ERROR/im;

/**
 * Load (or reload) `name` from the main config into the running pluto, then start it (`then: 'up'`)
 * (asynchronously: negotiation with the peer is not waited for) or route it (ondemand). Throws with pluto's
 * words on failure.
 */
export async function loadConn(ctx: ModuleContext, name: string, then?: 'up' | 'route'): Promise<{ loaded: string; then?: string }> {
  const n = shq(name);
  // pluto's words (part ''), then the part `result`: rc=N and loaded=yes when whack lists the conn
  const r = await ctx.run(`ipsec auto --replace ${n} 2>&1; _r=$?
${partHeader('result')}; echo "rc=$_r"
ipsec whack --status 2>/dev/null | grep -q '^[0-9]* "'${shq(name.replace(/[.\\[\]*^$]/g, '\\$&'))}'[/"]' && echo "loaded=yes"`);
  const parts = splitParts(r.stdout);
  const out = (parts.get('') ?? '').trim();
  const result = keyValues(parts.get('result'));
  const rc = Number(result.get('rc') ?? r.rc);
  if (rc !== 0 || result.get('loaded') !== 'yes' || LOAD_FAILED.test(out)) {
    throw new ModuleError(`pluto did not load connection ${name}${out ? ': ' + out.split('\n').slice(-3).join(' / ') : ''}`, {
      rc,
      stdout: out,
      stderr: r.stderr,
    });
  }
  if (!then) return { loaded: out };
  const u = await ctx.run(`ipsec auto ${then === 'up' ? '--asynchronous --up' : '--route'} ${n} 2>&1`);
  if (u.rc !== 0)
    throw new ModuleError(`connection ${name} loaded, but ipsec auto --${then} failed: ${u.stdout.trim().split('\n').slice(-3).join(' / ')}`, {
      rc: u.rc,
      stdout: u.stdout,
    });
  return { loaded: out, then };
}

/** Remove `name` from the running pluto (state absent). */
export async function unloadConn(ctx: ModuleContext, name: string): Promise<void> {
  await ctx.runOk(`ipsec auto --delete ${shq(name)} >/dev/null 2>&1; :`);
}

/**
 * Make a running pluto reread every secrets file. `ipsec rereadsecrets` (the procedures' spelling) is not
 * a command of Libreswan 4.10 ('unknown IPsec command "rereadsecrets"'); whack's option is understood by
 * 3.x, 4.x and later alike.
 */
export async function rereadSecrets(ctx: ModuleContext): Promise<void> {
  const r = await ctx.run('ipsec whack --rereadsecrets 2>&1');
  if (r.rc !== 0) throw new ModuleError(`ipsec whack --rereadsecrets failed: ${r.stdout.trim() || `rc=${r.rc}`}`, { rc: r.rc, stdout: r.stdout });
}
