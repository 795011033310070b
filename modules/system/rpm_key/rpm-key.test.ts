import { describe, expect, it } from 'vitest';
import { isPubkey, pgpKeyInfo } from '../../../lib/packages/openpgp-key.js';
import { FakeHost } from '../../../test/harness/fake-host.js';
import { runModule } from '../../../test/harness/modules.js';
import { TEST_FPR, TEST_KEY } from './test-key.js';

describe('OpenPGP key id on the controller', () => {
  it('matches gpg', () => {
    expect(isPubkey(TEST_KEY)).toBe(true);
    expect(pgpKeyInfo(TEST_KEY)).toEqual({ fingerprint: TEST_FPR, keyId: TEST_FPR.slice(-16) });
  });
});

describe('rpm_key on the fake host', () => {
  const host = (installed: string[]) =>
    new FakeHost({
      respond: (s) => (s.startsWith('rpm -q gpg-pubkey') ? (installed.length ? { stdout: installed.join('\n') + '\n' } : { rc: 1 }) : { rc: 0 }),
    });
  it('imports key text once, by key id', async () => {
    const r = await runModule(host([]), 'rpm_key', { key: TEST_KEY }, { become: true });
    expect(r.result).toMatchObject({ changed: true, keyid: TEST_FPR.slice(-16) });
    const imp = r.commands.find((c) => c.script.includes('rpm --import'));
    expect(imp?.stdin?.toString()).toBe(TEST_KEY);
    expect(imp?.script).not.toContain('BEGIN PGP');
    const again = await runModule(host([TEST_FPR.slice(-8).toLowerCase()]), 'rpm_key', { key: TEST_KEY }, { become: true });
    expect(again.result.changed).toBe(false);
  });
  it("Ansible's refusals", async () => {
    const bad = await runModule(host([]), 'rpm_key', { key: TEST_KEY, fingerprint: 'AAAA' }, { become: true });
    expect(bad.result.msg).toBe(`The specified fingerprint, 'AAAA', does not match the key fingerprint '${TEST_FPR}'`);
    const id = await runModule(host([]), 'rpm_key', { key: '0xA9096C9B' }, { become: true });
    expect(id.result.msg).toBe('When importing a key, a valid file must be given');
  });
  it('erases by id', async () => {
    const r = await runModule(host(['a9096c9b']), 'rpm_key', { key: '0xA9096C9B', state: 'absent' }, { become: true });
    expect(r.result.changed).toBe(true);
    expect(r.commands.map((c) => c.script).join('\n')).toMatch(/rpm --erase --allmatches '?gpg-pubkey-a9096c9b/);
  });
});
