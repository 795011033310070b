/**
 * route: the persistent forms (EL route-IFACE in its two syntaxes, the Debian ifupdown hook), kernel route
 * planning from `ip route` output, the fact parser, and the module's decisions on a canned host.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  debianHookFile,
  editDebianHook,
  editRedhatRoutes,
  parseRouteFacts,
  parseRouteLine,
  planKernelRoute,
  redhatRouteFile,
  routeFactScript,
  type RouteFacts,
  type RouteWant,
} from './route-plan.js';
import { parsePrefix } from '../../../lib/net/prefix.js';
import { argsError, runGw, type GwHost } from '../../../test/harness/gateway.js';
import { joinParts } from '../../../lib/shell/parts.js';

type WantOver = Partial<Omit<RouteWant, 'dest'>> & { dest?: string };
const want = (over: WantOver = {}): RouteWant => ({
  present: true,
  gateway: '10.2.0.1',
  ...over,
  dest: parsePrefix(over.dest ?? '10.0.0.0/16')!,
});

describe('EL: /etc/sysconfig/network-scripts/route-IFACE', () => {
  it('file names', () => {
    expect(redhatRouteFile('eth0', 4)).toBe('/etc/sysconfig/network-scripts/route-eth0');
    expect(redhatRouteFile('eth0', 6)).toBe('/etc/sysconfig/network-scripts/route6-eth0');
  });
  it.each<[string, string | null, WantOver, string | null]>([
    ['a new file: ADDRESS0/NETMASK0/GATEWAY0', null, {}, 'ADDRESS0=10.0.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=10.2.0.1\n'],
    ['with a metric', null, { metric: 100 }, 'ADDRESS0=10.0.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=10.2.0.1\nMETRIC0=100\n'],
    ['already there: no change', 'ADDRESS0=10.0.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=10.2.0.1\n', {}, null],
    ['quoted values count as the same', 'ADDRESS0="10.0.0.0"\nNETMASK0="255.255.0.0"\nGATEWAY0="10.2.0.1"\n', {}, null],
    [
      'another route kept, ours appended as the next index',
      '# site routes\nADDRESS0=192.168.0.0\nNETMASK0=255.255.255.0\nGATEWAY0=10.2.0.254\n',
      {},
      '# site routes\nADDRESS0=192.168.0.0\nNETMASK0=255.255.255.0\nGATEWAY0=10.2.0.254\nADDRESS1=10.0.0.0\nNETMASK1=255.255.0.0\nGATEWAY1=10.2.0.1\n',
    ],
    [
      'a different gateway: our entry rewritten under its index, others kept',
      'ADDRESS0=10.0.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=10.2.0.9\nADDRESS1=192.168.0.0\nNETMASK1=255.255.255.0\nGATEWAY1=10.2.0.254\n',
      {},
      'ADDRESS1=192.168.0.0\nNETMASK1=255.255.255.0\nGATEWAY1=10.2.0.254\nADDRESS0=10.0.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=10.2.0.1\n',
    ],
    [
      'absent: our entry removed',
      'ADDRESS0=10.0.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=10.2.0.1\nADDRESS1=192.168.0.0\nNETMASK1=255.255.255.0\n',
      { present: false },
      'ADDRESS1=192.168.0.0\nNETMASK1=255.255.255.0\n',
    ],
    ['absent, not there', 'ADDRESS0=192.168.0.0\nNETMASK0=255.255.255.0\nGATEWAY0=10.2.0.254\n', { present: false }, null],
    ['absent, no file', null, { present: false }, null],
    [
      'a file in the ip-command form keeps that form',
      '192.168.0.0/24 via 10.2.0.254 dev eth0\n',
      {},
      '192.168.0.0/24 via 10.2.0.254 dev eth0\n10.0.0.0/16 via 10.2.0.1 dev eth0\n',
    ],
    ['ip-command form, already there', '10.0.0.0/16 via 10.2.0.1 dev eth0\n', {}, null],
    ['ip-command form, other gateway replaced', '10.0.0.0/16 via 10.2.0.9 dev eth0\n', {}, '10.0.0.0/16 via 10.2.0.1 dev eth0\n'],
    ['IPv6 goes to route6-IFACE in the line form', null, { dest: 'fd00:1::/64', gateway: 'fd00::1' }, 'fd00:1::/64 via fd00::1 dev eth0\n'],
  ])('%s', (_t, text, over, expected) => {
    const out = editRedhatRoutes(text, want(over), 'eth0');
    expect(out).toBe(expected);
    // idempotent: applying the result again changes nothing
    if (out !== null && out !== '') expect(editRedhatRoutes(out, want(over), 'eth0')).toBeNull();
  });
});

describe('Debian: an ifupdown if-up.d hook', () => {
  const hook = editDebianHook(null, want(), 'eth0')!;
  it('the hook runs for its interface only, never fails ifup, adds the route', () => {
    expect(debianHookFile('eth0')).toBe('/etc/network/if-up.d/tsplay-routes-eth0');
    expect(debianHookFile('eth0.100')).toBe('/etc/network/if-up.d/tsplay-routes-eth0_100'); // run-parts ignores names with dots
    expect(hook).toBe(
      '#!/bin/sh\n' +
        '# Static routes via eth0, managed by tsplay (route module). ifupdown runs this after bringing up an\n' +
        '# interface (ifup, boot); the routes are added when it is this one.\n' +
        '[ "$IFACE" = eth0 ] || exit 0\n' +
        'ip route replace 10.0.0.0/16 via 10.2.0.1 dev eth0 || echo "tsplay route: could not add 10.0.0.0/16 via 10.2.0.1 dev eth0" >&2\n' +
        'exit 0\n',
    );
  });
  it('edits: idempotent, in place, a second route, absent, last route removed', () => {
    expect(editDebianHook(hook, want(), 'eth0')).toBeNull();
    const two = editDebianHook(hook, want({ dest: '10.1.0.0/16' }), 'eth0')!;
    expect(two.match(/^ip route replace \S+/gm)).toEqual(['ip route replace 10.0.0.0/16', 'ip route replace 10.1.0.0/16']);
    const moved = editDebianHook(two, want({ gateway: '10.2.0.2' }), 'eth0')!;
    expect(moved.match(/^ip route replace .*? \|\|/gm)).toEqual([
      'ip route replace 10.0.0.0/16 via 10.2.0.2 dev eth0 ||',
      'ip route replace 10.1.0.0/16 via 10.2.0.1 dev eth0 ||',
    ]);
    expect(editDebianHook(two, want({ present: false }), 'eth0')).toBe(hook.replace(/10\.0\.0\.0\/16/g, '10.1.0.0/16'));
    expect(editDebianHook(hook, want({ present: false }), 'eth0')).toBe('');
    expect(editDebianHook(null, want({ present: false }), 'eth0')).toBeNull();
  });
  it('the hook itself, run by sh as ifupdown would (ip replaced by a recorder)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-hook-'));
    writeFileSync(join(dir, 'ip'), `#!/bin/sh\necho "ip $*" >> ${dir}/log\n`);
    chmodSync(join(dir, 'ip'), 0o755);
    writeFileSync(join(dir, 'hook'), hook);
    const env = { PATH: `${dir}:/usr/bin:/bin` };
    execFileSync('/bin/sh', [join(dir, 'hook')], { env: { ...env, IFACE: 'lo' } });
    execFileSync('/bin/sh', [join(dir, 'hook')], { env: { ...env, IFACE: 'eth0' } });
    expect(execFileSync('cat', [join(dir, 'log')], { encoding: 'utf8' })).toBe('ip route replace 10.0.0.0/16 via 10.2.0.1 dev eth0\n');
  });
});

describe('kernel routes', () => {
  const facts = (lines: string[]): RouteFacts => ({ routes: lines.map(parseRouteLine), layouts: [] });
  it('ip route output', () => {
    expect(parseRouteLine('10.0.0.0/16 via 10.2.0.1 dev eth0 proto static metric 100 ')).toEqual({
      dest: '10.0.0.0/16',
      via: '10.2.0.1',
      dev: 'eth0',
      proto: 'static',
      metric: 100,
      raw: '10.0.0.0/16 via 10.2.0.1 dev eth0 proto static metric 100',
    });
    const k = parseRouteLine('10.231.1.0/24 dev eth0 proto kernel scope link src 10.231.1.13');
    expect(k).toMatchObject({ dev: 'eth0', proto: 'kernel' });
    expect(k.via).toBeUndefined();
    expect(parseRouteLine('fd00:1::/64 via inet6 fd00::1 dev eth0 metric 1024').via).toBe('fd00::1');
  });
  it.each<[string, string[], WantOver, string[]]>([
    ['missing: replace', [], {}, ['ip route replace 10.0.0.0/16 via 10.2.0.1 dev eth0']],
    ['present: nothing', ['10.0.0.0/16 via 10.2.0.1 dev eth0'], {}, []],
    [
      'other gateway: delete it, add ours',
      ['10.0.0.0/16 via 10.2.0.9 dev eth0'],
      {},
      ['ip route del 10.0.0.0/16 via 10.2.0.9 dev eth0', 'ip route replace 10.0.0.0/16 via 10.2.0.1 dev eth0'],
    ],
    [
      'metric differs: the old one goes',
      ['10.0.0.0/16 via 10.2.0.1 dev eth0 metric 50'],
      { metric: 100 },
      ['ip route del 10.0.0.0/16 via 10.2.0.1 dev eth0 metric 50', 'ip route replace 10.0.0.0/16 via 10.2.0.1 dev eth0 metric 100'],
    ],
    ['absent', ['10.0.0.0/16 via 10.2.0.1 dev eth0'], { present: false }, ['ip route del 10.0.0.0/16 via 10.2.0.1 dev eth0']],
  ])('%s', (_t, lines, over, cmds) => {
    expect(planKernelRoute({ ...want(over), dev: 'eth0' }, facts(lines), '10.0.0.0/16')).toEqual(cmds);
  });
  it('the fact script on this machine (read-only) parses', () => {
    const out = execFileSync('/bin/sh', ['-c', routeFactScript({ dest: '127.0.0.0/8', family: 4, gateway: '127.0.0.1', needDev: true })], {
      encoding: 'utf8',
      env: { PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
    });
    const f = parseRouteFacts(out);
    expect(f.getDev).toBe('lo');
    expect(Array.isArray(f.layouts)).toBe(true);
  });
  it('fact parsing: unreachable gateway, layouts', () => {
    const f = parseRouteFacts(joinParts({ routes: '', get: 'RTNETLINK answers: Network is unreachable\n', layout: 'layout=debian\n' }));
    expect(f).toEqual({ routes: [], getError: 'RTNETLINK answers: Network is unreachable', layouts: ['debian'] });
  });
});

describe('the module on a canned host', () => {
  const route = (routes: string, get: string, layouts: string[]): GwHost['facts'] => ({
    route: parseRouteFacts(joinParts({ routes, get: `${get}\n`, layout: layouts.map((l) => `layout=${l}\n`).join('') })),
  });
  const ARGS = { dest: '10.0.0.0/16', gateway: '10.2.0.1' };

  it('Debian: live route + hook 0755', async () => {
    const r = await runGw('route', ARGS, { facts: route('', '10.2.0.1 dev eth0 src 10.2.0.10 uid 0', ['debian']), dirs: ['/etc/network/if-up.d'] });
    expect(r.result.changed).toBe(true);
    expect(r.commands[0]!.script).toContain('ip route replace 10.0.0.0/16 via 10.2.0.1 dev eth0 || exit $?');
    expect(r.commands[1]!.stdin).toContain('ip route replace 10.0.0.0/16 via 10.2.0.1 dev eth0 ||');
    expect(r.commands[1]!.script).toMatch(/chmod 00755 -- "\$_f"/);
    expect(r.result).toMatchObject({ interface: 'eth0', persist_file: '/etc/network/if-up.d/tsplay-routes-eth0' });
  });

  it('EL: route-eth0; both in place: ok', async () => {
    const el = await runGw('route', ARGS, { facts: route('', '10.2.0.1 dev eth0 src 10.2.0.10', ['redhat']), dirs: ['/etc/sysconfig/network-scripts'] });
    expect(el.commands[1]!.stdin).toBe('ADDRESS0=10.0.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=10.2.0.1\n');
    const again = await runGw('route', ARGS, {
      facts: route('10.0.0.0/16 via 10.2.0.1 dev eth0\n', '10.2.0.1 dev eth0 src 10.2.0.10', ['redhat']),
      files: { '/etc/sysconfig/network-scripts/route-eth0': { content: 'ADDRESS0=10.0.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=10.2.0.1\n' } },
    });
    expect(again.result.changed).toBe(false);
    expect(again.commands).toEqual([]);
  });

  it('route lost (reboot without persistence): only the live route is added back', async () => {
    const r = await runGw('route', ARGS, {
      facts: route('', '10.2.0.1 dev eth0 src 10.2.0.10', ['redhat']),
      files: { '/etc/sysconfig/network-scripts/route-eth0': { content: 'ADDRESS0=10.0.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=10.2.0.1\n' } },
    });
    expect(r.commands.map((c) => c.script)).toEqual([expect.stringContaining('ip route replace 10.0.0.0/16 via 10.2.0.1 dev eth0')]);
  });

  it('refusals on the host: unreachable gateway, gateway behind a router, no persistence layout, connected network', async () => {
    const un = await runGw('route', ARGS, { facts: route('', 'RTNETLINK answers: Network is unreachable', ['debian']) });
    expect(un.result.msg).toMatch(/the gateway 10.2.0.1 is not reachable from this host \(RTNETLINK answers: Network is unreachable\)/);
    const via = await runGw('route', ARGS, { facts: route('', '10.2.0.1 via 10.231.1.1 dev eth0 src 10.231.1.13', ['debian']) });
    expect(via.result.msg).toMatch(/not on a directly connected network \(it is itself reached via 10.231.1.1\)/);
    const none = await runGw('route', ARGS, { facts: route('', '10.2.0.1 dev eth0', []) });
    expect(none.result.msg).toMatch(/cannot make the route persistent.*set persist: none/);
    const live = await runGw('route', { ...ARGS, persist: 'none' }, { facts: route('', '10.2.0.1 dev eth0', []) });
    expect(live.commands).toHaveLength(1);
    const kern = await runGw('route', ARGS, { facts: route('10.0.0.0/16 dev eth0 proto kernel scope link src 10.0.0.5\n', '10.2.0.1 dev eth0', ['debian']) });
    expect(kern.result.msg).toMatch(/is a directly connected network on eth0/);
  });

  it.each<[Record<string, unknown>, RegExp]>([
    [{ dest: '10.0.0.0' }, /dest '10.0.0.0' is not a prefix/],
    [{ dest: '10.0.0.1/16' }, /has host bits set: did you mean 10.0.0.0\/16/],
    [{ gateway: '10.2.0' }, /gateway '10.2.0' is not an IP address/],
    [{ gateway: 'fd00::1' }, /not the same address family/],
    [{ gateway: undefined }, /gateway is required with state=present/],
  ])('argument refusals %#', (over, msg) => {
    const raw: Record<string, unknown> = { ...ARGS, ...over };
    for (const k of Object.keys(raw)) if (raw[k] === undefined) delete raw[k];
    expect(argsError('route', raw)?.message).toMatch(msg);
  });
});

describe('route absent', () => {
  it('no route, no interface, no persistence layout: ok, nothing to do', async () => {
    const facts = { route: parseRouteFacts(joinParts({ routes: '', layout: '' })) };
    const r = await runGw('route', { dest: '10.0.0.0/16', state: 'absent' }, { facts });
    expect(r.result.failed, String(r.result.msg)).toBeFalsy();
    expect(r.result.changed).toBe(false);
  });
  it('a live route and its hook entry: both removed, the emptied hook deleted', async () => {
    const hook = editDebianHook(null, want(), 'eth0')!;
    const facts = { route: parseRouteFacts(joinParts({ routes: '10.0.0.0/16 via 10.2.0.1 dev eth0\n', layout: 'layout=debian\n' })) };
    const r = await runGw(
      'route',
      { dest: '10.0.0.0/16', state: 'absent' },
      { facts, files: { '/etc/network/if-up.d/tsplay-routes-eth0': { content: hook, mode: 0o755 } } },
    );
    expect(r.commands.map((c) => c.script)).toEqual([
      expect.stringContaining('ip route del 10.0.0.0/16 via 10.2.0.1 dev eth0'),
      expect.stringContaining('rm -f -- /etc/network/if-up.d/tsplay-routes-eth0'),
    ]);
  });
});
