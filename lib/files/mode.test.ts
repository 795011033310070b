/** Modes: every (spec, current mode, file/dir) row evaluated by Ansible's own code must come out the same. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkModeSpec, defaultMode, formatMode, modeWarning, octalMode, resolveMode } from './index.js';

const doc = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../test/fixtures/files/ansible-modes.json'), 'utf8')) as {
  umask: number;
  rows: { spec: string; current: number; isdir: boolean; expected: number | string }[];
};

describe('modes = Ansible set_mode_if_different / _symbolic_mode_to_octal', () => {
  const bySpec = new Map<string, typeof doc.rows>();
  for (const r of doc.rows) bySpec.set(r.spec, [...(bySpec.get(r.spec) ?? []), r]);
  for (const [spec, rows] of bySpec) {
    it(`'${spec}'`, () => {
      for (const r of rows) {
        const what = `${spec} on ${formatMode(r.current)} ${r.isdir ? 'dir' : 'file'}`;
        if (typeof r.expected === 'string') {
          expect(() => resolveMode(spec, r.current, r.isdir, doc.umask), what).toThrow(/bad symbolic permission/);
        } else {
          expect(formatMode(resolveMode(spec, r.current, r.isdir, doc.umask)), what).toBe(formatMode(r.expected));
        }
      }
    });
  }
});

describe('mode arguments', () => {
  it.each([
    ['0644', 0o644],
    ['644', 0o644],
    ['0o750', 0o750],
    ['01777', 0o1777],
    [420, 0o644], // YAML 1.1 reads 0644 as 420, used as is
    [0o2775, 0o2775],
  ] as const)('%s is octal %o', (spec, want) => {
    expect(octalMode(spec)).toBe(want);
  });
  it('symbolic specs are not octal', () => {
    expect(octalMode('u=rw')).toBeUndefined();
  });
  it('rejects non-permission bits', () => {
    expect(() => octalMode('0100644')).toThrow(/only permission bits/);
    expect(() => octalMode(70000)).toThrow(/only permission bits/);
  });
  it('warns about unquoted decimal-looking modes (644 = 01204)', () => {
    expect(modeWarning(644)).toMatch(/decimal number \(= 01204 octal\)/);
    expect(modeWarning(420)).toBeUndefined();
    expect(modeWarning('644')).toBeUndefined();
  });
  it('checks specs up front; preserve only where allowed', () => {
    expect(() => checkModeSpec('u=rq')).toThrow(/bad symbolic permission/);
    expect(() => checkModeSpec('preserve')).toThrow(/only valid for copy and template/);
    expect(() => checkModeSpec('preserve', '/mode', true)).not.toThrow();
  });
  it('new files get 0666 & ~umask, directories 0777 & ~umask', () => {
    expect(formatMode(defaultMode(0o022))).toBe('0644');
    expect(formatMode(defaultMode(0o027, true))).toBe('0750');
  });
  it('formats like Ansible (0%03o)', () => {
    expect(formatMode(0o4755)).toBe('04755');
    expect(formatMode(0o7)).toBe('0007');
  });
});
