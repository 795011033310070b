/**
 * nsupdate: names and values in canonical form, dig's answer parsed, the update script, the refusals, and on
 * the fake host: only dig in check mode, one nsupdate with the key line on stdin (never in the script).
 */
import { describe, expect, it } from 'vitest';
import { FakeHost } from '../../../test/harness/fake-host.js';
import { runModule } from '../../../test/harness/modules.js';
import { argsError } from '../../../test/harness/gateway.js';
import { absName, canonValue, expand6, parseDig, parseSoaZone, updateScript } from './nsupdate-plan.js';

const SECRET = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAxMjM=';
const ARGS = { server: '10.0.0.53', key_name: 'k', key_secret: SECRET, zone: 'example.com', record: 'www', value: '10.0.1.1' };

const dig = (status: string, answer = '') =>
  `;; Got answer:\n;; ->>HEADER<<- opcode: QUERY, status: ${status}, id: 1\n;; flags: qr aa; QUERY: 1, ANSWER: 1\n\n${answer}`;

describe('canonical forms', () => {
  it.each([
    ['www', 'example.com', 'www.example.com.'],
    ['WWW.Example.com.', undefined, 'www.example.com.'],
    ['@', 'example.com.', 'example.com.'],
    ['host.example.com', undefined, 'host.example.com.'],
  ])('absName(%s, %s) = %s', (n, z, want) => expect(absName(n, z)).toBe(want));

  it('IPv6 expanded for comparison; TXT quoted; names absolute', () => {
    expect(expand6('2001:db8::1')).toBe('2001:0db8:0000:0000:0000:0000:0000:0001');
    expect(expand6('::ffff:10.0.0.1')).toBe('0000:0000:0000:0000:0000:ffff:0a00:0001');
    expect(canonValue('AAAA', '2001:DB8:0:0::1')).toBe(canonValue('AAAA', '2001:db8::1'));
    expect(canonValue('TXT', 'say "hi"')).toBe('"say \\"hi\\""');
    expect(canonValue('TXT', '"v=spf1 -all"')).toBe('"v=spf1 -all"');
    expect(canonValue('PTR', 'Host.Example.com')).toBe('host.example.com.');
  });
});

describe('dig', () => {
  it('the rrset of the name and type (others ignored), the status, the SOA owner', () => {
    const out = dig('NOERROR', 'www.example.com. 600 IN A 10.0.1.1\nwww.example.com. 600 IN A 10.0.1.2\nother.example.com. 600 IN A 10.9.9.9\n');
    expect(parseDig(out, 'www.example.com.', 'A')).toEqual({ status: 'NOERROR', rrset: { ttl: 600, values: ['10.0.1.1', '10.0.1.2'] } });
    expect(parseDig(dig('NXDOMAIN'), 'x.example.com.', 'A')).toEqual({ status: 'NXDOMAIN', rrset: undefined });
    expect(parseSoaZone('example.com.\t\t3600\tIN\tSOA\tns1.example.com. h.example.com. 1 3600 600 86400 300\n')).toBe('example.com.');
  });

  it('the update: the rrset deleted and the new values added, then send', () => {
    const u = { server: '10.0.0.53', port: 53, zone: 'example.com.', record: 'www.example.com.', type: 'A' as const };
    expect(updateScript(u, 'rrset', { ttl: 60, values: ['10.0.1.2'] })).toBe(
      'server 10.0.0.53 53\nzone example.com.\nupdate delete www.example.com. A\nupdate add www.example.com. 60 A 10.0.1.2\nsend\n',
    );
    expect(updateScript(u, ['10.0.1.1'], { ttl: 60, values: [] })).toBe(
      'server 10.0.0.53 53\nzone example.com.\nupdate delete www.example.com. A 10.0.1.1\nsend\n',
    );
  });
});

describe('refusals (the secret never in a message)', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a bad type', { type: 'MX' }, /type/],
    ['a bad IPv4 address', { value: '10.0.1.256' }, /'10.0.1.256' is not an IPv4 address/],
    ['an IPv4 address for AAAA', { type: 'AAAA' }, /is not an IPv6 address/],
    ['present without a value', { value: undefined }, /value/],
    ['a newline in a value', { type: 'TXT', value: 'a\nupdate delete example.com.' }, /newline/],
    ['a record with blanks', { record: 'a b' }, /record 'a b' is not a DNS name/],
    ['a secret that is not base64', { key_secret: 'not base64!' }, /key_secret is not base64/],
    ['a key name without its secret', { key_secret: undefined }, /key_name|key_secret/],
  ])('%s', (_t, over, msg) => {
    const e = argsError('nsupdate', { ...ARGS, ...over });
    expect(e?.message).toMatch(msg);
    expect(e!.message).not.toContain(SECRET);
  });
});

describe('on the fake host', () => {
  const host = (answer: string) => new FakeHost({ respond: (script) => (script.startsWith('dig ') ? { stdout: dig('NOERROR', answer) } : { stdout: '' }) });

  it('check mode: dig only; a run: one nsupdate, the key on stdin only', async () => {
    const h = host('www.example.com. 3600 IN A 10.0.1.9\n');
    const c = await runModule(h, 'nsupdate', ARGS, { check: true, diff: true });
    expect(c.result.changed).toBe(true);
    expect(c.commands.every((x) => x.script.startsWith('dig '))).toBe(true);
    const r = await runModule(h, 'nsupdate', ARGS);
    const sent = r.commands.filter((x) => x.script === 'nsupdate');
    expect(sent).toHaveLength(1);
    expect(String(sent[0]!.stdin)).toBe(
      `key hmac-sha256:k ${SECRET}\nserver 10.0.0.53 53\nzone example.com.\nupdate delete www.example.com. A\nupdate add www.example.com. 3600 A 10.0.1.1\nsend\n`,
    );
    for (const x of r.commands) expect(x.script).not.toContain(SECRET);
    expect(r.result).toMatchObject({
      changed: true,
      dns_rc: 0,
      record: { zone: 'example.com.', record: 'www.example.com.', type: 'A', ttl: 3600, value: ['10.0.1.1'] },
    });
  });

  it('ok when the value set and the TTL match (AAAA compared in full form)', async () => {
    const h = host('www.example.com. 3600 IN AAAA 2001:db8::1\n');
    const r = await runModule(h, 'nsupdate', { ...ARGS, type: 'AAAA', value: '2001:DB8:0::1' });
    expect(r.result.changed).toBe(false);
    expect(r.commands).toHaveLength(1);
  });

  it('absent with values deletes only those; nothing there is ok', async () => {
    const h = host('www.example.com. 3600 IN A 10.0.1.1\nwww.example.com. 3600 IN A 10.0.1.2\n');
    const r = await runModule(h, 'nsupdate', { ...ARGS, state: 'absent', value: ['10.0.1.2'] });
    expect(r.commands.find((x) => x.script === 'nsupdate')!.stdin).toContain('update delete www.example.com. A 10.0.1.2\nsend');
    const none = await runModule(host(''), 'nsupdate', { ...ARGS, state: 'absent', value: undefined });
    expect(none.result.changed).toBe(false);
  });

  it('a failed update names the DNS rcode, not the secret', async () => {
    const h = new FakeHost({
      respond: (script) => (script.startsWith('dig ') ? { stdout: dig('NXDOMAIN') } : { rc: 2, stdout: '', stderr: 'update failed: REFUSED\n' }),
    });
    const r = await runModule(h, 'nsupdate', ARGS);
    expect(r.result.failed).toBe(true);
    expect(String(r.result.msg)).toMatch(/update failed: REFUSED \(dns_rc 5\)/);
    expect(JSON.stringify(r.result)).not.toContain(SECRET);
  });
});
