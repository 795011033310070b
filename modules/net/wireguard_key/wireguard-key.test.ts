/**
 * wireguard_key: a vault key written from stdin (never on a command line, never in a result), compared by its
 * public key (the file is never read), a generated key kept, a world-readable one fixed.
 */
import { describe, expect, it } from 'vitest';
import { MASK, mask } from '../../../src/output/mask.js';
import { runGw, type GwHost } from '../../../test/harness/gateway.js';

// RFC 7748's X25519 test vector (Alice), base64
const PRIV = 'dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=';
const PUB = 'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=';
const KEYF = '/etc/wireguard/wg0.key';
const keyOk = { exists: true, attrs: '600 root root', publicKey: PUB, wg: true, confHasKey: false };
const host = (o: { key?: object } = {}): GwHost => ({
  dirs: ['/etc/wireguard'],
  files: {},
  facts: { 'wireguard.key': o.key ?? { exists: false, wg: true, confHasKey: false } },
});

describe('wireguard_key', () => {
  it('a vault key: written from stdin (0600, never on a command line), the public key computed, masked', async () => {
    const r = await runGw('wireguard_key', { name: 'wg0', private_key: PRIV }, host());
    expect(r.result).toMatchObject({ changed: true, key: 'write', public_key: PUB });
    expect(r.commands).toHaveLength(1);
    expect(r.commands[0]!.stdin).toBe(`${PRIV}\n`);
    expect(r.commands[0]!.script).not.toContain(PRIV);
    expect(r.commands[0]!.script).toContain('cat > "$_t"');
    expect(JSON.stringify(r.result)).not.toContain(PRIV);
    expect(mask(`x ${PRIV} y`)).toBe(`x ${MASK} y`);
  });

  it('the same vault key already there (same public key): ok, the file is never read', async () => {
    const r = await runGw('wireguard_key', { name: 'wg0', private_key: PRIV }, host({ key: keyOk }));
    expect(r.result).toMatchObject({ changed: false, public_key: PUB });
  });

  it('a generated key is kept; a world-readable one is fixed to root 0600', async () => {
    expect((await runGw('wireguard_key', { name: 'wg0' }, host({ key: keyOk }))).result).toMatchObject({ changed: false, public_key: PUB });
    const r = await runGw('wireguard_key', { name: 'wg0' }, host({ key: { ...keyOk, attrs: '644 root root' } }));
    expect(r.result).toMatchObject({ changed: true, key: 'attrs' });
    expect(r.commands[0]!.script).toBe(`chown root:root -- ${KEYF} && chmod 0600 -- ${KEYF} && wg pubkey < ${KEYF}`);
  });
});
