/**
 * libreswan_secret: the PSK line (quoted), the refusals (never quoting the key), mode 0600 root, the key only
 * ever on stdin (never in a command line), masked diffs (old and new key), rereadsecrets when pluto runs.
 */
import { describe, expect, it } from 'vitest';
import { MASK, mask } from '../../../src/output/mask.js';
import { renderDiff } from '../../../src/output/diff.js';
import { KEY_CHANGED_NOTE, maskDiffs, maskSecretsText, renderSecrets, secretsLine } from './libreswan-secret.js';
import { argsError, runGw, type GwHost } from '../../../test/harness/gateway.js';

const PATH = '/etc/ipsec.d/azure.secrets';
const KEY = 'Zk3+q9/uT1eW8xYv0AbCdEfGh2Jk';
const ARGS = { name: 'azure', left: '123.45.67.89', right: '20.21.22.23', psk: KEY };
const FILE = `# Managed by tsplay (libreswan_secret): edit the playbook or inventory, not this file.\n123.45.67.89 20.21.22.23 : PSK "${KEY}"\n`;

const host = (over: { files?: GwHost['files']; running?: boolean; respond?: GwHost['respond'] } = {}): GwHost => ({
  dirs: ['/etc/ipsec.d'],
  files: over.files,
  facts: { 'libreswan.pluto': { installed: true, running: over.running ?? true, conns: [] } },
  respond: over.respond,
});

describe('the secrets line', () => {
  it('LEFT RIGHT : PSK "key", always double-quoted (ipsec.secrets(5)); %any by default', () => {
    expect(secretsLine('123.45.67.89', '20.21.22.23', 'a b#c')).toBe('123.45.67.89 20.21.22.23 : PSK "a b#c"');
    expect(renderSecrets('%any', '%any', KEY)).toBe(
      `# Managed by tsplay (libreswan_secret): edit the playbook or inventory, not this file.\n%any %any : PSK "${KEY}"\n`,
    );
  });

  it.each<[string, Record<string, unknown>, RegExp, string]>([
    ['a double quote in the key', { psk: 'ab"cd' }, /psk must not contain double quotes or line breaks/, '/psk'],
    ['a line break in the key', { psk: 'abc\ndef' }, /psk must not contain double quotes or line breaks/, '/psk'],
    ['blanks around the key', { psk: ' abcdef ' }, /psk starts or ends with blanks/, '/psk'],
    ['an empty key', { psk: '' }, /psk is empty/, '/psk'],
    ['a bad selector', { left: '1.2.3.4 5.6.7.8' }, /left='1.2.3.4 5.6.7.8' must be an address, an @id or %any/, '/left'],
    ['a bad name', { name: '../x' }, /name '..\/x' must be letters/, '/name'],
  ])('refused: %s (the key never appears in the message)', (_t, over, msg, path) => {
    const e = argsError('libreswan_secret', { ...ARGS, ...over });
    expect(e).toBeDefined();
    expect(e!.message).toMatch(msg);
    expect(e!.path).toBe(path);
    const psk = String(over.psk ?? KEY);
    if (psk.trim().length > 2) expect(e!.message).not.toContain(psk.trim());
  });
});

describe('masking', () => {
  it('every key form in secrets text', () => {
    const text = `a b : PSK "k1 x"\n%any %any : PSK 0sQUJDRA==\n@u : XAUTH 'pw'\n# PSK "not a key line"\n`;
    expect(maskSecretsText(text)).toBe(`a b : PSK "********"\n%any %any : PSK "********"\n@u : XAUTH "********"\n# PSK "not a key line"\n`);
  });

  it('a changed key shows as a changed line, masked on both sides', () => {
    const [d] = maskDiffs([{ before: 'a b : PSK "old-key"\n', after: 'a b : PSK "new-key"\n', beforeHeader: PATH, afterHeader: PATH }]);
    expect(d!.before).toBe('a b : PSK "********"\n');
    expect(d!.after).toBe(`a b : PSK "********"${KEY_CHANGED_NOTE}\n`);
    const shown = renderDiff(d!);
    expect(shown).toContain('-a b : PSK "********"');
    expect(shown).toContain('+a b : PSK "********"   # <- key changed');
    expect(shown).not.toMatch(/old-key|new-key/);
  });
});

describe('the module on a canned host', () => {
  it('new file: written 0600 root from stdin (never on a command line), reread, diff masked', async () => {
    const r = await runGw('libreswan_secret', ARGS, host());
    expect(r.result.changed).toBe(true);
    expect(r.commands).toHaveLength(2);
    const [write, reread] = r.commands;
    expect(write!.stdin).toBe(FILE);
    expect(write!.script).not.toContain(KEY);
    expect(write!.script).toMatch(/chmod 00600 -- "\$_f"/);
    expect(write!.script).toContain('chown -- root:root "$_f"');
    expect(reread!.script).toContain('ipsec whack --rereadsecrets');
    const json = JSON.stringify(r.result);
    expect(json).not.toContain(KEY);
    expect(r.result.diff?.[0]?.after).toContain(`: PSK "${MASK}"`);
    // secretArgs: the key is registered, so any output line that carried it would be masked
    expect(mask(`x ${KEY} y`)).toBe(`x ${MASK} y`);
  });

  it('same key, same file: ok', async () => {
    const r = await runGw('libreswan_secret', ARGS, host({ files: { [PATH]: { content: FILE, mode: 0o600 } } }));
    expect(r.result.changed).toBe(false);
    expect(r.commands).toEqual([]);
  });

  it('file world-readable: mode fixed to 0600 without rewriting, and reread', async () => {
    const r = await runGw('libreswan_secret', ARGS, host({ files: { [PATH]: { content: FILE, mode: 0o644 } } }));
    expect(r.result.changed).toBe(true);
    expect(r.commands[0]!.script).toMatch(/chmod 00600 -- \/etc\/ipsec.d\/azure.secrets/);
    expect(r.commands[0]!.stdin).toBeUndefined();
    expect(r.result.diff?.find((d) => d.beforeHeader?.includes('file attributes'))?.after).toContain('"mode": "0600"');
  });

  it('key changed: check mode shows a masked diff, runs nothing', async () => {
    const old = FILE.replace(KEY, 'the-old-key-123');
    const r = await runGw('libreswan_secret', ARGS, host({ files: { [PATH]: { content: old, mode: 0o600 } } }), { check: true });
    expect(r.result.changed).toBe(true);
    expect(r.commands).toEqual([]);
    const shown = renderDiff(r.result.diff![0]!);
    expect(shown).not.toContain('the-old-key-123');
    expect(shown).not.toContain(KEY);
    expect(shown).toContain('+123.45.67.89 20.21.22.23 : PSK "********"   # <- key changed');
    expect(r.result.msg).toBe('replace /etc/ipsec.d/azure.secrets, reread secrets');
  });

  it('pluto not running: no reread (it reads the file when it starts)', async () => {
    const r = await runGw('libreswan_secret', ARGS, host({ running: false }));
    expect(r.commands).toHaveLength(1);
    expect(r.result.reread).toBe(false);
  });

  it('the reread fails: the task fails with its output', async () => {
    const r = await runGw(
      'libreswan_secret',
      ARGS,
      host({ respond: (s) => (s.includes('--rereadsecrets') ? { rc: 33, stdout: 'whack: Pluto is not running' } : undefined) }),
    );
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/ipsec whack --rereadsecrets failed: whack: Pluto is not running/);
  });

  it('absent: the file goes, the diff is masked', async () => {
    const r = await runGw('libreswan_secret', { ...ARGS, state: 'absent' }, host({ files: { [PATH]: { content: FILE, mode: 0o600 } } }));
    expect(r.commands[0]!.script).toContain('rm -f -- /etc/ipsec.d/azure.secrets');
    expect(JSON.stringify(r.result.diff)).not.toContain(KEY);
  });
});
