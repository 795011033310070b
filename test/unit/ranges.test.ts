import { describe, expect, it } from 'vitest';
import { isIpAddress, parseAddress } from '../../src/config/inventory/address.js';
import { expandHostPattern, expandHostRange, HostRangeError } from '../../src/config/inventory/ranges.js';

describe('expandHostRange', () => {
  const cases: [string, string[]][] = [
    ['plain', ['plain']],
    ['node[1:3]', ['node1', 'node2', 'node3']],
    ['node[01:03]', ['node01', 'node02', 'node03']],
    ['node[8:11]', ['node8', 'node9', 'node10', 'node11']],
    ['node[08:11]', ['node08', 'node09', 'node10', 'node11']],
    ['n[01:09:4]', ['n01', 'n05', 'n09']],
    ['rack[a:d]', ['racka', 'rackb', 'rackc', 'rackd']],
    ['rack[A:C]-x', ['rackA-x', 'rackB-x', 'rackC-x']],
    ['r[a:e:2]', ['ra', 'rc', 're']],
    ['db-[a:b].example.com', ['db-a.example.com', 'db-b.example.com']],
    ['r[1:2]n[a:b]', ['r1na', 'r1nb', 'r2na', 'r2nb']],
    ['h[:2]', ['h0', 'h1', 'h2']],
    ['10.0.0.[1:3]', ['10.0.0.1', '10.0.0.2', '10.0.0.3']],
    ['[1:2]only', ['1only', '2only']],
  ];
  it.each(cases)('%s', (input, expected) => {
    expect(expandHostRange(input)).toEqual(expected);
  });

  it('keeps zero padding over long ranges', () => {
    const hosts = expandHostRange('node[001:120]');
    expect(hosts).toHaveLength(120);
    expect(hosts[0]).toBe('node001');
    expect(hosts[99]).toBe('node100');
    expect(hosts[119]).toBe('node120');
  });

  it('steps inclusively ([01:50:2] ends at 49)', () => {
    const hosts = expandHostRange('c[01:50:2]');
    expect(hosts).toHaveLength(25);
    expect(hosts.at(-1)).toBe('c49');
  });

  const errors: [string, RegExp][] = [
    ['n[1:2:3:4]', /begin:end or begin:end:step/],
    ['n[5]', /begin:end or begin:end:step/],
    ['n[1:]', /must specify end value/],
    ['n[01:100]', /equal-length begin and end/],
    ['n[3:1]', /begin <= end/],
    ['n[c:a]', /begin <= end/],
    ['n[1:5:0]', /step must be a positive integer/],
    ['n[a:5]', /numbers or single letters/],
    ['n[aa:bb]', /numbers or single letters/],
    ['n]x[1:2', /no closing/],
  ];
  it.each(errors)('rejects %s', (input, message) => {
    expect(() => expandHostRange(input)).toThrow(HostRangeError);
    expect(() => expandHostRange(input)).toThrow(message);
  });
});

describe('expandHostPattern (host entries of inventory files)', () => {
  const cases: [string, { hosts: string[]; port?: number }][] = [
    ['web1', { hosts: ['web1'] }],
    ['web1:2222', { hosts: ['web1'], port: 2222 }],
    ['web[1:2]:2222', { hosts: ['web1', 'web2'], port: 2222 }],
    ['192.0.2.[1:2]:22', { hosts: ['192.0.2.1', '192.0.2.2'], port: 22 }],
    ['[2001:db8::1]:2200', { hosts: ['2001:db8::1'], port: 2200 }],
    ['2001:db8::1', { hosts: ['2001:db8::1'] }],
    ['node_1.example.org', { hosts: ['node_1.example.org'] }],
    // not an address: kept whole (Ansible does the same, the INI parser then rejects a trailing ':')
    ['odd name:', { hosts: ['odd name:'] }],
  ];
  it.each(cases)('%s', (input, expected) => {
    expect(expandHostPattern(input)).toEqual(expected);
  });
});

describe('parseAddress', () => {
  it.each([
    ['host', true, { host: 'host' }],
    ['host:22', false, { host: 'host', port: 22 }],
    ['1.2.3.4:5', false, { host: '1.2.3.4', port: 5 }],
    ['[::1]:22', false, { host: '::1', port: 22 }],
    ['::1', false, { host: '::1' }],
    ['web[01:03]', true, { host: 'web[01:03]' }],
  ] as const)('%s (ranges %s)', (input, ranges, expected) => {
    expect(parseAddress(input, ranges)).toEqual(expected);
  });

  it.each([
    ['web[01:03]', false, /range/],
    ['a:b', true, /Not a valid network hostname/],
    ['-bad', true, /Not a valid network hostname/],
    ['bad_', true, /Not a valid network hostname/],
  ] as const)('rejects %s (ranges %s)', (input, ranges, message) => {
    expect(() => parseAddress(input, ranges)).toThrow(message);
  });

  it('recognises IP addresses (inventory_hostname_short keeps them whole)', () => {
    expect(isIpAddress('10.1.2.3')).toBe(true);
    expect(isIpAddress('fe80::1')).toBe(true);
    expect(isIpAddress('node1.lab')).toBe(false);
  });
});
