/** dns_zone's argument refusals (before anything is read on the host). */
import { describe, expect, it } from 'vitest';
import { argsError } from '../../../test/harness/gateway.js';

const ARGS = { path: '/var/lib/bind/db.example.com', zone: 'example.com', record: 'www', value: '10.0.1.1' };

describe('dns_zone refuses bad input', () => {
  it.each([
    ['an MX', { type: 'MX' }, /type/],
    ['a bad IPv4', { value: '10.0.1.300' }, /'10.0.1.300' is not an IPv4 address/],
    ['an IPv4 for AAAA', { type: 'AAAA' }, /not an IPv6 address/],
    ['a newline in a TXT value', { type: 'TXT', value: 'a\nevil IN A 1.2.3.4' }, /newline/],
    ['a record out of the zone', { record: 'www.example.org.' }, /record www\.example\.org\. is not in zone example\.com\./],
    ['a record with blanks', { record: 'a b' }, /not a DNS name/],
    ['present without a value', { value: undefined }, /value/],
    ['a newline in the path', { path: '/tmp/x\ny' }, /path/],
  ])('%s', (_t, over, msg) => {
    expect(argsError('dns_zone', { ...ARGS, ...over })?.message).toMatch(msg);
  });

  it('good input passes', () => {
    expect(argsError('dns_zone', ARGS)).toBeUndefined();
    expect(argsError('dns_zone', { ...ARGS, record: '@', type: 'TXT', value: 'v=spf1 -all' })).toBeUndefined();
    expect(argsError('dns_zone', { ...ARGS, record: 'old', state: 'absent', value: undefined })).toBeUndefined();
  });
});
