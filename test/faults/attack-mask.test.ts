/**
 * A one-character vault value: masked as a substring it turned `length` into `l********ngth`,
 * blanked the PLAY RECAP and, by where the stars fell, showed which letter the secret was. Now it is masked
 * only where it stands alone, and the run warns once that it is too short to hide. Run through the real CLI
 * (plain, -v, --json) on localhost with only debug tasks: nothing on this machine is touched.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recap, tsplay } from '../harness/cli.js';

const SECRET = 'e';
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsplay-mask-'));
  writeFileSync(join(dir, 'pw'), 'pw-for-this-test\n');
  const enc = await tsplay(['vault', 'encrypt-string', '--vault-password-file', join(dir, 'pw'), SECRET]);
  expect(enc.code, enc.all).toBe(0);
  const vaulted = enc.stdout.trimEnd().split('\n').join('\n  ');
  writeFileSync(
    join(dir, 'play.yml'),
    `- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    pin: ${vaulted}
  tasks:
    - name: the length of the secret
      debug:
        msg: "pin={{ pin }}; the length of pin is {{ pin | length }}"
    - debug:
        var: pin
    - name: a plain message with the letter e everywhere
      debug:
        msg: "every sentence here keeps its letters"
`,
  );
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a one-character vault value', () => {
  for (const mode of [[], ['-v'], ['--json']]) {
    it(`tsplay run ${mode.join(' ') || '(plain)'}: whole occurrences masked, words and the recap intact, one warning`, async () => {
      const r = await tsplay(['run', join(dir, 'play.yml'), '-i', 'localhost,', '--vault-password-file', join(dir, 'pw'), ...mode]);
      expect(r.code, r.all).toBe(0);
      expect(r.all).not.toContain('l********ngth');
      expect(r.all).toContain('every sentence here keeps its letters');
      expect(r.all).toContain('pin=********; the length of pin is 1');
      expect(r.all).toMatch(/"pin": ?"\*{8}"/);
      expect(r.all).not.toMatch(/"pin": ?"e"|pin=e\b/);
      const warnings = r.all.replace(/\s+/g, ' ').match(/too short to hide/g) ?? [];
      expect(warnings).toHaveLength(1);
      expect(r.all.replace(/\s+/g, ' ')).toContain('a secret value of 1 character (from a vault, a become password or a no_log argument) is too short to hide');
      if (!mode.includes('--json')) expect(recap(r.stdout).localhost).toMatchObject({ ok: 3, changed: 0, failed: 0 });
    });
  }
});
