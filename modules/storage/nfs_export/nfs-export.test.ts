import { describe, expect, it } from 'vitest';
import { validateArgs } from '../../../src/contract/validate.js';
import { nfsExport } from './nfs-export.js';
import { exportLine, parseExports, renderExports } from './nfs-export-file.js';

const sched = { path: '/sched', clients: [{ host: '10.222.0.0/16', options: ['rw', 'sync', 'no_root_squash'] }] };

describe('nfs_export: rendering and the exports(5) parser', () => {
  it('renders one line per path, clients with their options', () => {
    expect(exportLine(sched)).toBe('/sched 10.222.0.0/16(rw,sync,no_root_squash)');
    expect(
      exportLine({
        path: '/shared/',
        clients: [
          { host: '*', options: ['ro'] },
          { host: '@hpc', options: [] },
        ],
      }),
    ).toBe('/shared *(ro) @hpc()');
    const text = renderExports('cyclecloud', [sched]);
    expect(text).toBe('# managed by tsplay (nfs_export cyclecloud): do not edit, rewritten on every run\n/sched 10.222.0.0/16(rw,sync,no_root_squash)\n');
    expect(parseExports(text)).toEqual([sched]);
  });

  it('parses comments, continuations, quoted paths, a client without options', () => {
    expect(parseExports('# c\n"/data" host1(rw,fsid=1) \\\n  10.0.0.0/8(ro)\n/x *\n')).toEqual([
      {
        path: '/data',
        clients: [
          { host: 'host1', options: ['rw', 'fsid=1'] },
          { host: '10.0.0.0/8', options: ['ro'] },
        ],
      },
      { path: '/x', clients: [{ host: '*', options: [] }] },
    ]);
  });

  it.each([
    ['/a *(rw,bogus)', "unknown export option 'bogus'"],
    ['/a *(rw,anonuid)', 'it needs a value'],
    ['/a *(rw=1)', 'it takes no value'],
    ['/a *(sec=krb9)', "bad value 'krb9' for option sec"],
    ['relative *(rw)', "path 'relative' is not absolute"],
    ['/a *(rw,ro)', 'both rw and ro'],
    ['/a *(rw)\n/a/ *(ro)', 'listed twice'],
  ])('refuses %j', (text, msg) => {
    expect(() => parseExports(text)).toThrow(msg);
  });
});

describe('nfs_export: arguments', () => {
  it.each([
    [{ name: 'x', entries: [{ path: 'sched', clients: [{ host: '*', options: ['rw'] }] }] }, 'is not absolute'],
    [{ name: 'x', entries: [{ path: '/sched', clients: [{ host: '*', options: ['rw', 'no_such'] }] }] }, "unknown export option 'no_such'"],
    [{ name: 'x', entries: [{ path: '/s d', clients: [{ host: '*', options: [] }] }] }, 'blanks'],
    [{ name: '../x', entries: [sched] }, 'simple file name'],
    [{ name: 'x', entries: [] }, 'at least one entry'],
    [{ name: 'x', entries: [sched], dir: 'exports.d' }, 'absolute path'],
  ])('refuses %j', (raw, msg) => {
    expect(() => validateArgs(nfsExport, raw)).toThrow(msg);
  });

  it('accepts the playbook form', () => {
    expect(() => validateArgs(nfsExport, { name: 'cyclecloud', entries: [sched, { ...sched, path: '/shared' }] })).not.toThrow();
  });
});
