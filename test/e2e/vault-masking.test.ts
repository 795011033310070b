/**
 * Secrets from vaults never reach any output: plain, -vvv, --json, --check --diff. The fixture holds a
 * !vault value, a whole-file vault in vars_files and a whole-file vault in inventory group_vars, all made
 * with the real ansible-vault; the playbook prints them in every way a playbook can (debug, command
 * arguments, registered results, failure messages).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tsplay } from '../harness/cli.js';

const FX = join(ROOT, 'test/fixtures/vault');
const facts = JSON.parse(readFileSync(join(FX, 'secrets.json'), 'utf8')) as { password: string; secrets: Record<string, string>; visible: string[] };

describe('vault values are masked everywhere', () => {
  for (const mode of [[], ['-vvv'], ['--json'], ['--check', '--diff', '-v']]) {
    it(`tsplay run ${mode.join(' ') || '(plain)'}`, async () => {
      const r = await tsplay(['run', join(FX, 'playbook.yml'), '-i', join(FX, 'inventory'), '--vault-password-file', join(FX, 'vault-password'), ...mode]);
      expect(r.code, r.all).toBe(0);
      for (const [what, secret] of Object.entries(facts.secrets)) expect(r.all, what).not.toContain(secret);
      expect(r.all).not.toContain(facts.password);
      for (const v of facts.visible) expect(r.all).toContain(v);
      expect(r.all).toContain('********');
    });
  }

  it("a wrong vault password fails with the value's location, and no secret", async () => {
    const r = await tsplay(['run', join(FX, 'playbook.yml'), '-i', join(FX, 'inventory'), '--vault-password-file', '/dev/null']);
    expect(r.code).not.toBe(0);
    expect(r.all).toMatch(/vault/i);
    for (const secret of Object.values(facts.secrets)) expect(r.all).not.toContain(secret);
    expect(r.all).not.toMatch(/\n\s+at /);
  });
});
