/**
 * dns_zone's parser and edit: every other line and comment kept, relative names, $ORIGIN, blank owners,
 * the SOA in parentheses, a changed value replacing the old line, the serial raised (date style, +1, wrap).
 */
import { describe, expect, it } from 'vitest';
import { editZone, nextSerial, parseTtl, parseZone } from './dns-zone-plan.js';

const ZONE = `; cluster.example.com — edited by hand too
$TTL 1h
@\tIN SOA ns1 hostmaster (
\t\t2026120101 ; serial
\t\t3600 600 86400 300 )
\tIN NS ns1
ns1\tIN A 10.0.0.53 ; the server
node01\tIN A 10.0.0.1
\tIN TXT "rack 1" "slot 2"
$ORIGIN sub.cluster.example.com.
gpu1 300 IN A 10.0.0.9
`;
const NOW = new Date('2026-12-03T12:00:00Z');
const spec = (o: Partial<Parameters<typeof editZone>[1]>) => ({
  zone: 'cluster.example.com',
  record: 'x',
  type: 'A' as const,
  values: [],
  ttl: 3600,
  state: 'present' as const,
  ...o,
});

describe('parseZone', () => {
  it('owners, TTLs, origin, blank owners, the SOA over three lines', () => {
    const z = parseZone(ZONE, 'cluster.example.com');
    expect(z.records.map((r) => [r.owner, r.type, r.effTtl, r.first, r.last])).toEqual([
      ['cluster.example.com.', 'SOA', 3600, 2, 4],
      ['cluster.example.com.', 'NS', 3600, 5, 5],
      ['ns1.cluster.example.com.', 'A', 3600, 6, 6],
      ['node01.cluster.example.com.', 'A', 3600, 7, 7],
      ['node01.cluster.example.com.', 'TXT', 3600, 8, 8],
      ['gpu1.sub.cluster.example.com.', 'A', 300, 10, 10],
    ]);
    expect(parseTtl('1h30m')).toBe(5400);
    expect(parseTtl('2w')).toBe(1209600);
  });
});

describe('editZone', () => {
  it('unchanged: undefined (no serial bump)', () => {
    expect(editZone(ZONE, spec({ record: 'node01', values: ['10.0.0.1'] }), NOW)).toBeUndefined();
    expect(editZone(ZONE, spec({ record: 'gpu1.sub', values: ['10.0.0.9'], ttl: 300 }), NOW)).toBeUndefined();
    expect(editZone(ZONE, spec({ record: 'node01', type: 'TXT', values: ['"rack 1" "slot 2"'] }), NOW)).toBeUndefined();
    expect(editZone(ZONE, spec({ record: 'gone', state: 'absent' }), NOW)).toBeUndefined();
  });

  it('a changed address replaces the line in place; the serial becomes today 00; the rest kept', () => {
    const e = editZone(ZONE, spec({ record: 'node01', values: ['10.0.0.2'] }), NOW)!;
    expect(e.what).toBe('replace');
    expect(e.serialBefore).toBe(2026120101);
    expect(e.serialAfter).toBe(2026120300);
    expect(e.text).toBe(ZONE.replace('2026120101', '2026120300').replace('node01\tIN A 10.0.0.1', 'node01\t3600\tIN\tA\t10.0.0.2'));
  });

  it('a new record goes after the owner records, or at the end with the name relative to the last $ORIGIN', () => {
    const e = editZone(ZONE, spec({ record: 'node01', type: 'AAAA', values: ['2001:db8::1'] }), NOW)!;
    expect(e.text).toContain('\tIN TXT "rack 1" "slot 2"\nnode01\t3600\tIN\tAAAA\t2001:db8::1\n$ORIGIN');
    const n = editZone(ZONE, spec({ record: 'cloudnode001', values: ['10.0.1.1'] }), NOW)!;
    expect(n.text.endsWith('gpu1 300 IN A 10.0.0.9\ncloudnode001.cluster.example.com.\t3600\tIN\tA\t10.0.1.1\n')).toBe(true);
    const s = editZone(ZONE, spec({ record: 'gpu2.sub', values: ['10.0.0.10'] }), NOW)!;
    expect(s.text.endsWith('\ngpu2\t3600\tIN\tA\t10.0.0.10\n')).toBe(true);
  });

  it('removing the line a blank-owner record inherits from writes its owner out', () => {
    const e = editZone(ZONE, spec({ record: 'node01', state: 'absent' }), NOW)!;
    expect(e.text).toContain('ns1\tIN A 10.0.0.53 ; the server\nnode01\tIN TXT "rack 1" "slot 2"\n');
    expect(parseZone(e.text, 'cluster.example.com').records.find((r) => r.type === 'TXT')!.owner).toBe('node01.cluster.example.com.');
  });

  it('the serial: +1 when not a date, date+1 when already today, modulo 2^32', () => {
    expect(nextSerial(41, NOW)).toBe(42);
    expect(nextSerial(2026120300, NOW)).toBe(2026120301);
    expect(nextSerial(2027010105, NOW)).toBe(2027010106);
    expect(nextSerial(4294967295, NOW)).toBe(1);
    expect(editZone('$TTL 60\n@ IN SOA ns h ( 7 1 1 1 1 )\n@ IN NS ns\n', spec({ record: 'a', values: ['10.0.0.1'] }), NOW)!.text).toContain('( 8 1 1 1 1 )');
  });

  it('unbalanced parentheses: an error', () => {
    expect(() => editZone('@ IN SOA ns h ( 1 2 3 4 5\n', spec({ record: 'a', values: ['10.0.0.1'] }), NOW)).toThrow(/unbalanced/);
  });
});
