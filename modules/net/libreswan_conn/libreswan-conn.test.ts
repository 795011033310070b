/**
 * libreswan_conn: the conn file rendered from typed arguments, every refusal (before any host is involved)
 * with its message and argument path, and the module's plans against a canned host (write + checkconfig,
 * load into a running pluto, leave loading to the daemon's start, absent).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderConn, type ConnSpec } from './libreswan-render.js';
import { checkProposal, suggestProposal } from './libreswan-proposals.js';
import { PLUTO_SCRIPT, connLoaded, parsePluto } from '../../../lib/net/libreswan-pluto.js';
import { algparseCommand, parseAlgparse } from './libreswan-algparse.js';
import { argsError, runGw, type GwHost } from '../../../test/harness/gateway.js';

/** The seeds' conn (SLUG'22 azure.conf), with a DH group Libreswan 4.x still has. */
const SEED = {
  name: 'azure',
  left: '123.45.67.89',
  leftsubnet: '10.2.0.0/16',
  leftsourceip: '10.2.0.1',
  right: '20.21.22.23',
  rightsubnet: '10.0.0.0/16',
  authby: 'secret',
  auto: 'start',
  dpdaction: 'restart',
  dpddelay: 30,
  dpdtimeout: 120,
  ike: 'aes256-sha1;modp2048',
  ikelifetime: '3600s',
  pfs: true,
  esp: 'aes128-sha1',
  salifetime: '3600s',
};

const SEED_FILE = `# Managed by tsplay (libreswan_conn): edit the playbook or inventory, not this file.
conn azure
\tleft=123.45.67.89
\tleftsubnet=10.2.0.0/16
\tleftsourceip=10.2.0.1
\tright=20.21.22.23
\trightsubnet=10.0.0.0/16
\tauthby=secret
\tauto=start
\tike=aes256-sha1;modp2048
\tesp=aes128-sha1
\tpfs=yes
\tdpddelay=30
\tdpdtimeout=120
\tdpdaction=restart
\tikelifetime=3600s
\tsalifetime=3600s
`;

describe('conn file rendering', () => {
  it('the seed conn: one key=value per indented line, in a fixed order', () => {
    expect(renderConn(SEED as ConnSpec)).toBe(SEED_FILE);
  });
  it('booleans, lists, ids, extra keywords and quoting', () => {
    const text = renderConn({
      name: 'cloud',
      left: '%defaultroute',
      leftid: '@onprem-gw',
      leftsubnets: ['10.2.0.0/16', '10.3.0.0/16'],
      right: 'vpn.example.net',
      rightid: '20.21.22.23',
      rightsubnet: '10.0.0.0/16',
      ikev2: false,
      pfs: false,
      extra: { fragmentation: 'yes', mtu: 1400, encapsulation: true, modecfgbanner: 'hello world' },
    });
    expect(text.split('\n').slice(1)).toEqual([
      'conn cloud',
      '\tleft=%defaultroute',
      '\tleftid=@onprem-gw',
      '\tleftsubnets={10.2.0.0/16 10.3.0.0/16}',
      '\tright=vpn.example.net',
      '\trightid=20.21.22.23',
      '\trightsubnet=10.0.0.0/16',
      '\tikev2=no',
      '\tpfs=no',
      '\tfragmentation=yes',
      '\tmtu=1400',
      '\tencapsulation=yes',
      '\tmodecfgbanner="hello world"',
      '',
    ]);
  });
  it('ikev2: true is written as insist (RHEL 8 Libreswan 4.4), yes too; other words as given', async () => {
    const host: GwHost = {
      facts: { 'libreswan.pluto': { installed: true, running: false, conns: [] }, 'libreswan.algparse': { checked: true, errors: [] } },
      dirs: ['/etc/ipsec.d'],
    };
    for (const [v, want] of [
      [true, 'insist'],
      ['yes', 'insist'],
      ['no', 'no'],
      ['permit', 'permit'],
    ] as const) {
      const r = await runGw('libreswan_conn', { ...SEED, ikev2: v }, host, { check: true });
      expect(r.result.diff?.[0]?.after).toContain(`\tikev2=${want}\n`);
    }
  });
});

describe('refusals (arguments: before the host is touched)', () => {
  it.each<[string, Record<string, unknown>, RegExp, string]>([
    ['left not an address', { left: '123.45.67.256' }, /left='123.45.67.256' is not a valid IP address/, '/left'],
    ['left garbage', { left: 'not an address!' }, /left='not an address!' is not an address, a host name or a %keyword/, '/left'],
    ['right not an address', { right: '20.21.22' }, /right='20.21.22' is not a valid IP address/, '/right'],
    ['left = right', { right: '123.45.67.89' }, /left and right are both 123.45.67.89/, '/right'],
    ['leftsubnet not a CIDR', { leftsubnet: '10.2.0.0/33' }, /leftsubnet '10.2.0.0\/33' is not a valid subnet/, '/leftsubnet'],
    ['rightsubnet garbage', { rightsubnet: 'cloud' }, /rightsubnet 'cloud' is not a valid subnet/, '/rightsubnet'],
    [
      'host bits in leftsubnet',
      { leftsubnet: '10.2.0.1/16', leftsourceip: undefined },
      /leftsubnet '10.2.0.1\/16' has host bits set: the network is 10.2.0.0\/16/,
      '/leftsubnet',
    ],
    ['overlapping subnets', { rightsubnet: '10.2.128.0/17' }, /leftsubnet 10.2.0.0\/16 and rightsubnet 10.2.128.0\/17 overlap/, '/rightsubnet'],
    ['identical subnets', { rightsubnet: '10.2.0.0/16' }, /overlap/, '/rightsubnet'],
    [
      'overlap within subnets lists',
      { leftsubnet: undefined, leftsubnets: ['10.2.0.0/16', '10.0.5.0/24'], leftsourceip: '10.2.0.1' },
      /leftsubnet 10.0.5.0\/24 and rightsubnet 10.0.0.0\/16 overlap/,
      '/rightsubnet',
    ],
    ['mixed families', { rightsubnet: 'fd00::/64' }, /mix IPv4 and IPv6/, '/rightsubnet'],
    ['leftsubnet and leftsubnets', { leftsubnets: ['10.3.0.0/16'] }, /give leftsubnet or leftsubnets, not both/, '/leftsubnets'],
    ['leftsourceip outside leftsubnet', { leftsourceip: '10.3.0.1' }, /leftsourceip 10.3.0.1 is outside leftsubnet 10.2.0.0\/16/, '/leftsourceip'],
    ['leftsourceip not an address', { leftsourceip: '10.2.0.300' }, /leftsourceip '10.2.0.300' is not a valid IP address/, '/leftsourceip'],
    ['leftsourceip without leftsubnet', { leftsubnet: undefined }, /leftsourceip 10.2.0.1 needs a leftsubnet that contains it/, '/leftsourceip'],
    [
      "the seeds' ike (modp1024)",
      { ike: 'aes256-sha1;modp1024' },
      /ike='aes256-sha1;modp1024': DH group 'modp1024' \(group 2\) is not supported by Libreswan 4\.x .*pluto refuses.*Use modp2048 \(DH group 14\).*ike=aes256-sha1;modp2048/,
      '/ike',
    ],
    [
      'esp with modp1024 (PFS group)',
      { esp: 'aes128-sha1;modp1024' },
      /esp='aes128-sha1;modp1024': DH group 'modp1024'.*"ESP DH algorithm 'modp1024' is not supported".*esp=aes128-sha1;modp2048/,
      '/esp',
    ],
    ['esp with modp1024, dash form', { esp: 'aes128-sha1-modp1024' }, /DH group 'modp1024'.*esp=aes128-sha1-modp2048/, '/esp'],
    [
      'ike dh2 in a second proposal',
      { ike: 'aes256-sha2;modp3072,aes128-sha1;dh2' },
      /DH group 'dh2' \(group 2\).*ike=aes256-sha2;modp3072,aes128-sha1;modp2048/,
      '/ike',
    ],
    ['ike modp768', { ike: '3des-md5;modp768' }, /DH group 'modp768' \(group 1\)/, '/ike'],
    ['ike dh22', { ike: 'aes256-sha2;dh22' }, /DH group 'dh22' \(group 22\)/, '/ike'],
    ['esp dh24', { esp: 'aes128-sha2;dh24' }, /DH group 'dh24' \(group 24\)/, '/esp'],
    ['ike without DH', { ike: 'aes256-sha1;none' }, /IKE needs a DH group/, '/ike'],
    ['empty proposal', { ike: 'aes256-sha1;modp2048,' }, /an empty proposal/, '/ike'],
    ['not a proposal', { esp: 'aes 128' }, /is not a proposal list/, '/esp'],
    ['extra repeats a typed key', { extra: { ike: 'aes128-sha1' } }, /extra.ike: ike is an argument of its own/, '/extra/ike'],
    ['extra key not a keyword', { extra: { 'bad key': 'x' } }, /extra key 'bad key' is not an ipsec.conf keyword/, '/extra/bad key'],
    ['a quote in a value', { leftid: '@a"b' }, /leftid must not contain quotes or line breaks/, '/leftid'],
    [
      'a line break in extra',
      { extra: { mtu: '1400\nleft=1.2.3.4' } },
      /argument 'extra.mtu' must be one line, but contains a newline \(\\n\) at position 5/,
      '/extra/mtu',
    ],
    ['bad name', { name: 'az ure' }, /name 'az ure' must be letters, digits/, '/name'],
    ['unknown auto', { auto: 'always' }, /auto' must be one of/, '/auto'],
    ['unknown argument', { leftsubent: '10.2.0.0/16' }, /unknown argument 'leftsubent'.*did you mean 'leftsubnet'/, '/leftsubent'],
    ['missing right', { right: undefined }, /state is present but all of the following are missing: right/, '/right'],
  ])('%s', (_t, over, msg, path) => {
    const raw: Record<string, unknown> = { ...SEED, ...over };
    for (const k of Object.keys(raw)) if (raw[k] === undefined) delete raw[k];
    const e = argsError('libreswan_conn', raw);
    expect(e, 'expected a refusal').toBeDefined();
    expect(e!.message).toMatch(msg);
    expect(e!.path).toBe(path);
  });

  it('accepted: host names, %keywords, IPv6, full tunnel 0.0.0.0/0, modp1536, curve25519, no subnets', () => {
    expect(argsError('libreswan_conn', { ...SEED, right: 'vpn.example.net' })).toBeUndefined();
    expect(argsError('libreswan_conn', { ...SEED, left: '%defaultroute', leftsourceip: '10.2.0.1' })).toBeUndefined();
    expect(
      argsError('libreswan_conn', { name: 'v6', left: '2001:db8::1', right: '2001:db8::2', leftsubnet: 'fd00:1::/64', rightsubnet: 'fd00:2::/64' }),
    ).toBeUndefined();
    expect(argsError('libreswan_conn', { ...SEED, rightsubnet: '0.0.0.0/0' })).toBeUndefined();
    expect(argsError('libreswan_conn', { ...SEED, ike: 'aes256-sha1;modp1536', esp: 'aes128-sha2;curve25519' })).toBeUndefined();
    expect(argsError('libreswan_conn', { name: 'host2host', left: '1.2.3.4', right: '5.6.7.8' })).toBeUndefined();
    expect(argsError('libreswan_conn', { name: 'gone', state: 'absent' })).toBeUndefined();
  });

  it('proposal helpers', () => {
    expect(suggestProposal('aes256-sha1;modp1024,aes128-sha1-dh2')).toBe('aes256-sha1;modp2048,aes128-sha1-modp2048');
    expect(() => checkProposal('ike', 'aes256-sha2_512;dh19')).not.toThrow();
  });
});

describe('pluto and algparse facts', () => {
  const STATUS = `000 using kernel interface: xfrm
000 "azure": 10.2.0.0/16===10.231.1.11...10.231.1.12===10.0.0.0/16; erouted; eroute owner: #2
000 "azure":     oriented; my_ip=unset; their_ip=unset;
000 "multi/1x0": 10.2.0.0/16===10.231.1.11...10.231.1.12===10.9.0.0/16; unrouted; eroute owner: #0
000 #2: "azure":500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA); REKEY in 28525s; newest; idle;
`;
  it('the real script against a stand-in ipsec command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-ipsec-'));
    const fake = join(dir, 'ipsec');
    const run = (running: boolean) => {
      writeFileSync(join(dir, 'status'), STATUS);
      writeFileSync(
        fake,
        `#!/bin/sh\ncase "$1" in --version) echo 'Libreswan 4.10';; whack) ${running ? `cat ${join(dir, 'status')}` : 'echo "whack: Pluto is not running" >&2; exit 33'};; esac\n`,
      );
      chmodSync(fake, 0o755);
      return parsePluto(execFileSync('/bin/sh', ['-c', PLUTO_SCRIPT], { encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin` } }));
    };
    const up = run(true);
    expect(up).toEqual({ installed: true, running: true, conns: ['azure', 'multi/1x0'], version: 'Libreswan 4.10' });
    expect(connLoaded(up, 'azure')).toBe(true);
    expect(connLoaded(up, 'multi')).toBe(true);
    expect(connLoaded(up, 'azur')).toBe(false);
    expect(run(false)).toEqual({ installed: true, running: false, conns: [], version: 'Libreswan 4.10' });
    expect(parsePluto(execFileSync('/bin/sh', ['-c', PLUTO_SCRIPT], { encoding: 'utf8', env: { PATH: join(dir, 'none') } }))).toEqual({
      installed: false,
      running: false,
      conns: [],
    });
  });

  it("algparse: the host parser's verdict (output of Libreswan 4.10)", () => {
    expect(algparseCommand({ ike: 'aes256-sha1;modp2048', esp: 'aes128-sha1', ikev1: false, pfs: true })).toContain(
      "ipsec algparse -v2 -pfs=yes 'ike=aes256-sha1;modp2048' esp=aes128-sha1",
    );
    expect(parseAlgparse("algparse -v2 'ike=aes256-sha1;modp2048'\n\tAES_CBC_256-HMAC_SHA1-MODP2048\n@@tsplay:result\nrc=0\n")).toEqual({
      checked: true,
      errors: [],
    });
    expect(
      parseAlgparse(
        "algparse -v2 'esp=aes999-sha1'\n\tERROR: ESP encryption algorithm AES_CBC with key length 999 invalid; valid key lengths: 128, 192, 256\n@@tsplay:result\nrc=1\n",
      ),
    ).toEqual({
      checked: true,
      errors: ['ESP encryption algorithm AES_CBC with key length 999 invalid; valid key lengths: 128, 192, 256'],
    });
    expect(parseAlgparse('unknown option: -pfs=yes\n@@tsplay:result\nrc=124\n')).toEqual({ checked: false, errors: [] });
    expect(parseAlgparse('@@tsplay:missing\n')).toEqual({ checked: false, errors: [] });
  });
});

describe('the module on a canned host', () => {
  const PATH = '/etc/ipsec.d/azure.conf';
  const host = (over: Partial<GwHost> & { running?: boolean; conns?: string[]; algErrors?: string[] } = {}): GwHost => ({
    dirs: ['/etc/ipsec.d'],
    files: over.files,
    facts: {
      'libreswan.pluto': { installed: true, running: over.running ?? true, conns: over.conns ?? [], version: 'Libreswan 4.10' },
      'libreswan.algparse': { checked: true, errors: over.algErrors ?? [] },
      ...over.facts,
    },
    respond:
      over.respond ??
      ((s) => {
        if (s.includes('ipsec auto --replace')) return { stdout: '002 "azure": added IKEv2 connection\n@@tsplay:result\nrc=0\nloaded=yes\n' };
        return undefined;
      }),
  });

  it('new conn, pluto running: checked write (addconn --checkconfig on the temp file), then replace and up', async () => {
    const r = await runGw('libreswan_conn', SEED, host());
    expect(r.result.failed).toBeFalsy();
    expect(r.result.changed).toBe(true);
    expect(r.commands).toHaveLength(3);
    const [write, replace, up] = r.commands;
    expect(write!.stdin).toBe(SEED_FILE);
    expect(write!.script).toContain(`( ipsec addconn --checkconfig --config "$_t" ) || {`);
    expect(write!.script).toContain('mktemp -u /etc/ipsec.d/.azure.conf.tsplay.XXXXXXXX');
    expect(write!.script).toMatch(/chmod 00644 -- "\$_f"/);
    expect(write!.script).toContain('mv -fT -- "$_t" /etc/ipsec.d/azure.conf');
    expect(replace!.script).toContain('ipsec auto --replace azure');
    expect(up!.script).toContain('ipsec auto --asynchronous --up azure');
    expect(r.result.diff?.[0]).toMatchObject({ before: '', after: SEED_FILE, afterHeader: PATH });
  });

  it('unchanged file and conn loaded: ok, nothing run', async () => {
    const r = await runGw('libreswan_conn', SEED, host({ files: { [PATH]: { content: SEED_FILE } }, conns: ['azure'] }));
    expect(r.result.changed).toBe(false);
    expect(r.commands).toEqual([]);
  });

  it('unchanged file but pluto lost the conn: load only', async () => {
    const r = await runGw('libreswan_conn', SEED, host({ files: { [PATH]: { content: SEED_FILE } }, conns: ['other'] }));
    expect(r.result.changed).toBe(true);
    expect(r.commands.map((c) => c.script.match(/ipsec auto [^\n]*?azure/)?.[0])).toEqual([
      'ipsec auto --replace azure',
      'ipsec auto --asynchronous --up azure',
    ]);
  });

  it('auto=add loads without --up; auto=ondemand routes', async () => {
    const add = await runGw('libreswan_conn', { ...SEED, auto: 'add' }, host());
    expect(add.commands.some((c) => c.script.includes('--up'))).toBe(false);
    const od = await runGw('libreswan_conn', { ...SEED, auto: 'ondemand' }, host());
    expect(od.commands.at(-1)!.script).toContain('ipsec auto --route azure');
  });

  it('pluto not running: write only, loading is left to its start', async () => {
    const r = await runGw('libreswan_conn', SEED, host({ running: false }));
    expect(r.commands).toHaveLength(1);
    expect(r.result.msg).toMatch(/pluto is not running: it loads the conn when it starts/);
  });

  it('a changed value: replaced, diff shows the line', async () => {
    const old = SEED_FILE.replace('esp=aes128-sha1', 'esp=3des-md5');
    const r = await runGw('libreswan_conn', SEED, host({ files: { [PATH]: { content: old } }, conns: ['azure'] }));
    expect(r.result.diff?.[0]).toMatchObject({ before: old, after: SEED_FILE });
    expect(r.commands).toHaveLength(3);
  });

  it('check mode: the plan and diff, no command', async () => {
    const r = await runGw('libreswan_conn', SEED, host(), { check: true });
    expect(r.result.changed).toBe(true);
    expect(r.commands).toEqual([]);
    expect(r.result.msg).toMatch(/create \/etc\/ipsec.d\/azure.conf, ipsec auto --replace azure && --up/);
  });

  it("the host's algparse refuses: failed before the write", async () => {
    const r = await runGw(
      'libreswan_conn',
      { ...SEED, esp: 'aes999-sha1' },
      host({ algErrors: ['ESP encryption algorithm AES_CBC with key length 999 invalid; valid key lengths: 128, 192, 256'] }),
    );
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/Libreswan 4.10 refuses the proposals: ESP encryption algorithm AES_CBC with key length 999 invalid/);
    expect(r.commands).toEqual([]);
  });

  it('checkconfig rejects the new file: failed, old file kept (the temp file is removed by the write script)', async () => {
    const r = await runGw(
      'libreswan_conn',
      SEED,
      host({
        respond: (s) =>
          s.includes('mktemp')
            ? { rc: 97, stderr: 'ERROR: /etc/ipsec.d/.azure.conf.tsplay.x: 7: keyword auto, invalid value: bogus\nvalidate: rc=1\n' }
            : undefined,
      }),
    );
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/failed to validate: rc:1 error:ERROR: .*keyword auto, invalid value: bogus/);
    expect(r.commands).toHaveLength(1);
  });

  it('pluto does not load it (ipsec auto exits 0 but says so): failed with its words', async () => {
    const r = await runGw(
      'libreswan_conn',
      SEED,
      host({
        respond: (s) =>
          s.includes('--replace')
            ? { stdout: '036 "azure": failed to add connection: IKE DH algorithm \'modp1024\' is not supported\n@@tsplay:result\nrc=0\n' }
            : undefined,
      }),
    );
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/pluto did not load connection azure: 036 "azure": failed to add connection: IKE DH algorithm 'modp1024' is not supported/);
  });

  it('libreswan missing: failed with the fix (a warning in check mode)', async () => {
    const missing = { 'libreswan.pluto': { installed: false, running: false, conns: [] } };
    const r = await runGw('libreswan_conn', SEED, host({ facts: missing }));
    expect(r.result.msg).toMatch(/install libreswan first/);
    const c = await runGw('libreswan_conn', SEED, host({ facts: missing }), { check: true });
    expect(c.result.changed).toBe(true);
    expect(c.warnings.join()).toMatch(/not installed \(yet\)/);
  });

  it('state absent: file removed, conn deleted from pluto; nothing when already gone', async () => {
    const r = await runGw('libreswan_conn', { name: 'azure', state: 'absent' }, host({ files: { [PATH]: { content: SEED_FILE } }, conns: ['azure'] }));
    expect(r.result.changed).toBe(true);
    expect(r.commands.map((c) => c.script)).toEqual([
      expect.stringContaining('rm -f -- /etc/ipsec.d/azure.conf'),
      expect.stringContaining('ipsec auto --delete azure'),
    ]);
    const again = await runGw('libreswan_conn', { name: 'azure', state: 'absent' }, host());
    expect(again.result.changed).toBe(false);
  });
});
