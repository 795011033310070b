/**
 * libreswan_conn: one Libreswan connection in /etc/ipsec.d/NAME.conf (included by /etc/ipsec.conf), from
 * typed arguments, one `key=value` per indented line.
 *
 * Refused before the host is touched (arguments): invalid addresses or prefixes, overlapping left/right
 * subnets, leftsourceip outside leftsubnet, DH groups Libreswan 4.x no longer has (modp1024...: see
 * libreswan-proposals.ts). Then, read-only on the host, its own `ipsec algparse` judges ike/esp.
 * The new file is checked with `ipsec addconn --checkconfig --config FILE` before it replaces the old one.
 * When pluto runs and the file changed (or the conn is not loaded): `ipsec auto --replace NAME`, then
 * `--up` (auto=start, asynchronous) or `--route` (auto=ondemand/route). When pluto is not running, loading
 * is left to its start (it reads every /etc/ipsec.d/*.conf).
 */
import { ArgsError, ModuleError, Type, change, defineModule, ok, type ResultData, type Static } from '../../../src/contract/index.js';
import { applyText, planRemove, planText, readTextFile, type TextPlan } from '../../../lib/files/text-file.js';
import { checkConn, connKeywordArgs, extraArg, renderConn, type ConnSpec } from './libreswan-render.js';
import { connLoaded, loadConn, plutoFact, unloadConn } from '../../../lib/net/libreswan-pluto.js';
import { algparseFact } from './libreswan-algparse.js';

const Args = Type.Object(
  {
    name: Type.String({ description: 'connection name (also the file name /etc/ipsec.d/NAME.conf)' }),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: write NAME.conf (checked) and load it; absent: remove the file and unload the conn from a running pluto',
    }),
    ...connKeywordArgs,
    extra: extraArg,
    dir: Type.String({ default: '/etc/ipsec.d', description: 'where NAME.conf goes (must be included by /etc/ipsec.conf)' }),
    load: Type.Boolean({ default: true, description: 'load the changed conn into a running pluto (ipsec auto --replace, then --up for auto=start)' }),
  },
  { additionalProperties: false },
);
type Args = Static<typeof Args>;

export function specOf(a: Args): ConnSpec {
  const { state: _state, dir: _dir, load: _load, ...conn } = a;
  return { ...conn, left: a.left ?? '', right: a.right ?? '', ikev2: a.ikev2 === 'yes' ? true : a.ikev2 };
}

export const CHECKCONFIG = 'ipsec addconn --checkconfig --config %s';

type Load = { then?: 'up' | 'route' } | { unload: true };

interface ConnPlan {
  text?: TextPlan;
  load?: Load;
}

function afterLoad(auto: Args['auto']): 'up' | 'route' | undefined {
  if (auto === 'start') return 'up';
  if (auto === 'ondemand' || auto === 'route') return 'route';
  return undefined;
}

export const libreswanConn = defineModule({
  name: 'libreswan_conn',
  description:
    'One Libreswan connection in /etc/ipsec.d/NAME.conf from typed arguments; checked (addresses, subnets, proposals, checkconfig) before it replaces the old file; loaded into a running pluto',
  examples: `- name: the site-to-site tunnel to the Azure VPN gateway
  libreswan_conn:
    name: azure
    left: 198.51.100.10
    leftsubnet: 10.2.0.0/16
    leftsourceip: 10.2.0.1
    right: 203.0.113.20
    rightsubnet: 10.0.0.0/16
    ikev2: true
    ike: aes256-sha2;modp2048
    esp: aes256-sha2
    dpdaction: restart
    dpddelay: 30
    dpdtimeout: 120
    ikelifetime: 28800s
    salifetime: 3600s
`,
  returns: {
    name: 'the connection',
    path: 'its file (DIR/NAME.conf)',
    state: 'present or absent',
    pluto_running: 'whether pluto was running',
    loaded: 'true when the conn was (re)loaded into pluto',
    then: "what followed the load: 'up' (auto=start) or 'route' (auto=ondemand/route)",
  },
  args: Args,
  argAliases: { conn: 'name' },
  rules: { requiredIf: [{ arg: 'state', is: 'present', then: ['left', 'right'] }] },
  validate(a) {
    if (!a.dir.startsWith('/')) throw new ArgsError('libreswan_conn: dir must be an absolute path', '/dir');
    if (a.state === 'absent') {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(a.name))
        throw new ArgsError(`libreswan_conn: name '${a.name}' must be letters, digits, '.', '_' or '-'`, '/name');
      return;
    }
    checkConn(specOf(a));
  },
  async check(ctx, a) {
    const path = `${a.dir.replace(/\/+$/, '')}/${a.name}.conf`;
    const pluto = await ctx.fact(plutoFact, undefined);
    const result: ResultData = { name: a.name, path, state: a.state, pluto_running: pluto.running };
    if (!pluto.installed) {
      if (!ctx.checkMode) throw new ModuleError('libreswan_conn: the ipsec command is missing: install libreswan first (package: name=libreswan)');
      ctx.warn('libreswan_conn: libreswan is not installed (yet): the file cannot be checked with ipsec addconn in check mode');
    }
    const f = await readTextFile(ctx, path);
    const loaded = connLoaded(pluto, a.name);

    if (a.state === 'absent') {
      const text = planRemove(f, path);
      const unload = a.load && pluto.running && loaded;
      if (!text && !unload) return ok(result);
      return change<ConnPlan>(
        [text?.summary, unload ? `ipsec auto --delete ${a.name}` : ''].filter(Boolean).join(', '),
        { text, load: unload ? { unload: true } : undefined },
        { diff: text?.diff, result },
      );
    }

    if (pluto.installed && (a.ike !== undefined || a.esp !== undefined)) {
      const ikev1 = a.ikev2 === false || a.ikev2 === 'no' || a.ikev2 === 'never';
      const v = await ctx.fact(algparseFact, { ike: a.ike, esp: a.esp, ikev1, pfs: a.pfs });
      if (v.errors.length) {
        throw new ModuleError(`libreswan_conn ${a.name}: ${pluto.version ?? 'this Libreswan'} refuses the proposals: ${v.errors.join('; ')}`);
      }
    }

    const content = renderConn(specOf(a));
    const text = planText(f, content, {
      mode: '0644',
      owner: 'root',
      group: 'root',
      validate: pluto.installed ? CHECKCONFIG : undefined,
      mkdirs: [a.dir],
      dirMode: 0o755,
    });
    const wantLoaded = a.load && pluto.running && a.auto !== 'ignore';
    const load: Load | undefined = wantLoaded && (text || !loaded) ? { then: afterLoad(a.auto) } : undefined;
    if (!text && !load) return ok(result);
    const what = [text?.summary, load ? `ipsec auto --replace ${a.name}${'then' in load && load.then ? ` && --${load.then}` : ''}` : '']
      .filter(Boolean)
      .join(', ');
    if (text && !pluto.running && a.load && a.auto !== 'ignore') result.msg = `${what} (pluto is not running: it loads the conn when it starts)`;
    return change<ConnPlan>(what, { text, load }, { diff: text?.diff, result });
  },
  async apply(ctx, a, plan) {
    const out: ResultData = {};
    if (plan.text) Object.assign(out, await applyText(ctx, plan.text.steps));
    if (plan.load && 'unload' in plan.load) await unloadConn(ctx, a.name);
    else if (plan.load) {
      const r = await loadConn(ctx, a.name, plan.load.then);
      out.loaded = true;
      if (r.then) out.then = r.then;
    }
    return out;
  },
});
