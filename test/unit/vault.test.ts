import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupVault } from '../../src/cli/vault-setup.js';
import { loadInventory } from '../../src/config/inventory/index.js';
import { EncryptedString, loadYamlFile, parseYaml, setFileDecryptor } from '../../src/config/yaml.js';
import { TemplateRenderer } from '../../src/engine/templating/renderer.js';
import { TsplayError } from '../../src/errors.js';
import { mask, MASK } from '../../src/output/mask.js';
import {
  decryptPayload,
  encryptPayload,
  formatCiphertextYaml,
  formatEnvelope,
  isVaultText,
  loadVaultSecrets,
  parseEnvelope,
  Vault,
  VaultRuntime,
  type VaultSecret,
} from '../../src/vault/index.js';

const FIXTURES = resolve('test/fixtures/vault');
const FIXTURE_SECRETS = JSON.parse(readFileSync(join(FIXTURES, 'secrets.json'), 'utf8')) as { password: string; secrets: Record<string, string> };

const secret = (password: string, id = 'default'): VaultSecret => ({ id, password: Buffer.from(password), origin: 'test' });

/**
 * Produced by Ansible 2.14's own VaultLib.encrypt(plaintext, VaultSecret(b'tsplay-vector-pw'), salt=bytes(range(32)))
 * (vault_id='prod' for the third): with the same salt tsplay must write the same bytes.
 */
const SALT = Uint8Array.from({ length: 32 }, (_, i) => i);
const VECTORS: { plaintext: Buffer; vaultId?: string; text: string }[] = [
  {
    plaintext: Buffer.from('vector plaintext \u00e9\n', 'utf8'),
    text: '$ANSIBLE_VAULT;1.1;AES256\n30303031303230333034303530363037303830393061306230633064306530663130313131323133\n3134313531363137313831393161316231633164316531660a363763353731626362333662343339\n37393462303437396539323634323536633338616534336530313863383332616331383334306631\n6666653833393034350a393238633138653537313564613234346461313337373063326362646665\n37393938303866343339616465363437326266346565373438653439643366366334\n',
  },
  {
    plaintext: Buffer.alloc(0),
    text: '$ANSIBLE_VAULT;1.1;AES256\n30303031303230333034303530363037303830393061306230633064306530663130313131323133\n3134313531363137313831393161316231633164316531660a633963336662656432316566613330\n38346538653131623761633933316231643162323432336465623462363733303839613636646635\n3165333936336663640a663466393662383130653366393232346136363230653732343863383936\n3164\n',
  },
  {
    plaintext: Buffer.from('0123456789abcdef'),
    vaultId: 'prod',
    text: '$ANSIBLE_VAULT;1.2;AES256;prod\n30303031303230333034303530363037303830393061306230633064306530663130313131323133\n3134313531363137313831393161316231633164316531660a646333653964383465633135383962\n62346330623237323235623936623639346337646361306433636536313034656261613036303265\n3134333063353539390a643464383439613232613161623430333865346237663030336262636533\n36626138646234643233623166613562333765386632363839323535636665616438\n',
  },
];

describe('AES256 and the envelope, against vectors written by Ansible', () => {
  it('encrypts byte for byte as Ansible does for a given salt (1.1 and 1.2 headers)', () => {
    const v = new Vault();
    for (const vec of VECTORS) {
      expect(v.encrypt(vec.plaintext, secret('tsplay-vector-pw', vec.vaultId ?? 'default'), { salt: SALT })).toBe(vec.text);
    }
  });

  it('decrypts what Ansible wrote, and reports the 1.2 label', () => {
    const v = new Vault([secret('tsplay-vector-pw')]);
    for (const vec of VECTORS) {
      const d = v.decrypt(vec.text);
      expect(d.plaintext.equals(vec.plaintext)).toBe(true);
      expect(d.headerId).toBe(vec.vaultId);
    }
  });

  it('round-trips block-boundary, binary and unicode plaintexts with a fresh salt each time', () => {
    const pw = Buffer.from('p\u00e4ss word');
    for (const p of [
      Buffer.alloc(0),
      Buffer.alloc(15, 1),
      Buffer.alloc(16, 2),
      Buffer.alloc(17, 3),
      Buffer.from([0, 255, 10, 13]),
      Buffer.from('\u00fcnïcode ✓\n'.repeat(50)),
    ]) {
      const a = encryptPayload(p, pw);
      const b = encryptPayload(p, pw);
      expect(a).not.toBe(b);
      expect(decryptPayload(a, pw)!.equals(p)).toBe(true);
      expect(decryptPayload(a, Buffer.from('other'))).toBeNull();
    }
  });

  it('writes 80-column lines, a final newline, and 1.2 only for a label other than default', () => {
    const text = new Vault().encrypt('x'.repeat(300), secret('pw'));
    const lines = text.split('\n');
    expect(lines[0]).toBe('$ANSIBLE_VAULT;1.1;AES256');
    expect(lines.at(-1)).toBe('');
    for (const l of lines.slice(1, -2)) expect(l).toMatch(/^[0-9a-f]{80}$/);
    expect(lines.at(-2)!.length).toBeLessThanOrEqual(80);
    expect(formatEnvelope('ab', 'default')).toBe('$ANSIBLE_VAULT;1.1;AES256\nab\n');
    expect(formatEnvelope('ab', 'prod')).toBe('$ANSIBLE_VAULT;1.2;AES256;prod\nab\n');
    expect(parseEnvelope('$ANSIBLE_VAULT;1.2;AES256;prod\r\nab\r\ncd\r\n')).toEqual({ payload: 'abcd', version: '1.2', cipher: 'AES256', vaultId: 'prod' });
    expect(isVaultText('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    expect(isVaultText(' $ANSIBLE_VAULT')).toBe(false);
  });

  it('tries the secret named by the 1.2 label first but does not trust the label', () => {
    const text = new Vault().encrypt('hello', secret('right', 'b'));
    const d = new Vault([secret('wrong', 'a'), secret('right', 'b')]).decrypt(text);
    expect(d.secret.id).toBe('b');
    // the same payload relabelled: still opened by whichever secret works
    const relabelled = text.replace(';b\n', ';zzz\n');
    expect(new Vault([secret('right')]).decrypt(relabelled).plaintext.toString()).toBe('hello');
  });

  it('refuses to encrypt vault text twice', () => {
    const text = new Vault().encrypt('x', secret('pw'));
    expect(() => new Vault().encrypt(text, secret('pw'))).toThrow('input is already encrypted');
  });
});

describe('decryption errors: one line naming where the value is', () => {
  const text = new Vault().encrypt('the plaintext', secret('good'));

  it('wrong password', () => {
    const err = catchErr(() => new Vault([secret('bad'), secret('worse', 'x')]).decrypt(text, 'group_vars/all/vault.yml:3:12'));
    expect(err).toBeInstanceOf(TsplayError);
    expect(err.format()).toBe('Decryption failed (no vault secrets were found that could decrypt) at group_vars/all/vault.yml:3:12');
    expect(err.format()).not.toContain('bad');
  });

  it('no password at all', () => {
    const err = catchErr(() => new Vault().decrypt(text, 'a.yml:1:1'));
    expect(err.message).toBe('Attempting to decrypt but no vault secrets found at a.yml:1:1');
    expect(err.hint).toContain('--vault-password-file');
  });

  it('damaged payload, unknown cipher, not vault text', () => {
    const damaged = text.replace(/\n3/, '\nzz');
    expect(catchErr(() => new Vault([secret('good')]).decrypt(damaged, 'f.yml')).message).toMatch(/^There was a vault format error at f\.yml: .*hexadecimal/);
    expect(catchErr(() => new Vault([secret('good')]).decrypt(text.replace('AES256', 'AES'), 'f.yml')).message).toBe('AES cipher could not be found at f.yml');
    expect(catchErr(() => new Vault([secret('good')]).decrypt('plain: yes', 'f.yml')).message).toBe('input is not vault encrypted data at f.yml');
  });
});

describe('password sources', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsplay-vault-secrets-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a password file is stripped of surrounding whitespace; the label comes from --vault-id', async () => {
    writeFileSync(join(dir, 'pw'), '  hunter2 \r\n\n');
    const s = await loadVaultSecrets({ passwordFiles: [join(dir, 'pw')], vaultIds: [`prod@${join(dir, 'pw')}`], env: {} });
    expect(s.map((x) => [x.id, x.password.toString()])).toEqual([
      ['prod', 'hunter2'],
      ['default', 'hunter2'],
    ]);
  });

  it('an executable file is run and its stdout used; a *-client script gets --vault-id LABEL, never the password', async () => {
    const log = join(dir, 'argv.log');
    writeFileSync(join(dir, 'pw.sh'), `#!/bin/sh\necho "$0 $*" >> ${log}\nprintf 'from-script\\n'\n`);
    writeFileSync(
      join(dir, 'pass-client.sh'),
      `#!/bin/sh\necho "$0 $*" >> ${log}\n[ "$2" = prod ] && echo client-pw && exit 0\necho "no such id $2" >&2; exit 2\n`,
    );
    chmodSync(join(dir, 'pw.sh'), 0o755);
    chmodSync(join(dir, 'pass-client.sh'), 0o755);
    const s = await loadVaultSecrets({ passwordFiles: [join(dir, 'pw.sh')], vaultIds: [`prod@${join(dir, 'pass-client.sh')}`], env: {} });
    expect(s.map((x) => [x.id, x.password.toString()])).toEqual([
      ['prod', 'client-pw'],
      ['default', 'from-script'],
    ]);
    const argv = readFileSync(log, 'utf8');
    expect(argv).toContain('pass-client.sh --vault-id prod');
    expect(argv).not.toContain('client-pw');
    expect(argv).not.toContain('from-script');
    const err = await loadVaultSecrets({ vaultIds: [`dev@${join(dir, 'pass-client.sh')}`], env: {}, warn: () => undefined }).catch((e: Error) => e);
    expect((err as Error).message).toBe(`Vault password client script ${join(dir, 'pass-client.sh')} did not find a secret for vault-id=dev: no such id dev`);
  });

  it('a failing source is a warning while another works, an error when none does', async () => {
    const warnings: string[] = [];
    writeFileSync(join(dir, 'ok'), 'ok-pw');
    writeFileSync(join(dir, 'empty'), '\n');
    const s = await loadVaultSecrets({ passwordFiles: [join(dir, 'missing'), join(dir, 'ok')], env: {}, warn: (m) => warnings.push(m) });
    expect(s.map((x) => x.password.toString())).toEqual(['ok-pw']);
    expect(warnings).toEqual([`Error getting vault password file (default): The vault password file ${join(dir, 'missing')} was not found`]);
    await expect(loadVaultSecrets({ passwordFiles: [join(dir, 'empty')], env: {}, warn: () => undefined })).rejects.toThrow(
      `Invalid vault password was provided from file (${join(dir, 'empty')})`,
    );
  });

  it('environment: password files, identity list, and a password that children do not inherit', async () => {
    writeFileSync(join(dir, 'e1'), 'env-file-1');
    writeFileSync(join(dir, 'e2'), 'env-file-2');
    const env: NodeJS.ProcessEnv = {
      TSPLAY_VAULT_PASSWORD_FILE: join(dir, 'e1'),
      ANSIBLE_VAULT_PASSWORD_FILE: join(dir, 'e2'),
      ANSIBLE_VAULT_IDENTITY_LIST: `lab@${join(dir, 'e1')}`,
      TSPLAY_VAULT_PASSWORD: 'from-env',
    };
    const s = await loadVaultSecrets({ env });
    expect(s.map((x) => `${x.id}=${x.password}`)).toEqual(['default=from-env', 'lab=env-file-1', 'default=env-file-1', 'default=env-file-2']);
    expect(env.TSPLAY_VAULT_PASSWORD).toBeUndefined();
    expect(await loadVaultSecrets({ env: { TSPLAY_VAULT_PASSWORD_FILE: join(dir, 'e1') }, useEnv: false })).toEqual([]);
  });

  it('prompts like Ansible, twice with confirmation for a new password', async () => {
    const asked: string[] = [];
    const ask = (answers: string[]) => async (p: string) => (asked.push(p), answers.shift()!);
    const s = await loadVaultSecrets({ ask: true, vaultIds: ['prod@prompt'], env: {}, askSecret: ask([' a1 ', 'b2']) });
    expect(s.map((x) => `${x.id}=${x.password}`)).toEqual(['prod=a1', 'default=b2']);
    expect(asked).toEqual(['Vault password (prod): ', 'Vault password: ']);
    asked.length = 0;
    await expect(loadVaultSecrets({ autoPrompt: true, create: true, env: {}, askSecret: ask(['x', 'y']) })).rejects.toThrow('Passwords do not match');
    expect(asked).toEqual(['New Vault password: ', 'Confirm New Vault password: ']);
    await expect(loadVaultSecrets({ vaultIds: ['a;b@prompt'], env: {}, askSecret: ask(['x']) })).rejects.toThrow("'a;b' is not a valid vault id");
  });
});

describe('vault during a run (setupVault): lazy !vault values, whole files, inventory, masking', () => {
  const pwFile = join(FIXTURES, 'vault-password');
  const S = FIXTURE_SECRETS.secrets;
  const secretOf = (suffix: string) => Object.entries(S).find(([k]) => k.includes(suffix))![1];

  it('a !vault value is decrypted through templating, and its plaintext is masked', async () => {
    const setup = await setupVault({ passwordFiles: [pwFile], env: {} });
    const vars = loadYamlFile(join(FIXTURES, 'vars.yml')) as Record<string, unknown>;
    expect(vars.fixture_secret).toBeInstanceOf(EncryptedString);
    expect(String(vars.fixture_secret)).toBe(MASK);
    const plain = secretOf('fixture_secret');
    expect(new TemplateRenderer(vars).renderString('{{ fixture_secret }}')).toBe(plain);
    expect(new TemplateRenderer(vars).renderString('x={{ fixture_secret | upper }}')).toBe(`x=${plain.toUpperCase()}`);
    expect(mask(`the value ${plain} and "${JSON.stringify(plain)}"`)).toBe(`the value ${MASK} and ""${MASK}""`);
    expect(setup.secrets.map((s) => s.origin)).toEqual([`file ${pwFile}`]);
    expect(mask(`password ${FIXTURE_SECRETS.password}`)).toBe(`password ${MASK}`);
  });

  it('a whole-file vault loaded by path (vars_files, -e @file) is decrypted; each value is masked', async () => {
    await setupVault({ passwordFiles: [pwFile], env: {} });
    const data = loadYamlFile(join(FIXTURES, 'secret-vars.yml')) as Record<string, unknown>;
    expect(data.file_secret).toBe(secretOf('file_secret (whole'));
    expect(data.file_secret_list).toEqual([secretOf('file_secret_list')]);
    expect(mask(`${secretOf('file_secret (whole')} ${secretOf('file_secret_list')}`)).toBe(`${MASK} ${MASK}`);
  });

  it('group_vars whole-file vaults open through loadInventory({decryptFile})', async () => {
    const setup = await setupVault({ passwordFiles: [pwFile], env: {} });
    const inv = await loadInventory([join(FIXTURES, 'inventory/hosts.yml')], { decryptFile: setup.decryptFile });
    const hv = inv.hostVars('localhost');
    expect(hv.group_secret).toBe(secretOf('group_secret'));
    expect(hv.group_plain).toBe('plain-group-value');
    expect(mask(`x ${hv.group_secret} y`)).toBe(`x ${MASK} y`);
    expect(mask('plain-group-value')).toBe('plain-group-value');
  });

  it('a wrong password fails only when the value is used, naming its file:line:col', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-vault-wrong-'));
    try {
      writeFileSync(join(dir, 'pw'), 'not-the-password\n');
      await setupVault({ passwordFiles: [join(dir, 'pw')], env: {} });
      const vars = loadYamlFile(join(FIXTURES, 'vars.yml')) as Record<string, unknown>; // lazy: loading is fine
      expect(new TemplateRenderer(vars).renderString('{{ fixture_plain }}')).toBe('visible-value');
      const err = catchErr(() => new TemplateRenderer(vars).renderString('{{ fixture_secret }}'));
      const line =
        readFileSync(join(FIXTURES, 'vars.yml'), 'utf8')
          .split('\n')
          .findIndex((l) => l.startsWith('fixture_secret:')) + 1;
      expect(err.message).toMatch(
        new RegExp(`^Decryption failed \\(no vault secrets were found that could decrypt\\) at test/fixtures/vault/vars\\.yml:${line}:\\d+$`),
      );
      expect(catchErr(() => loadYamlFile(join(FIXTURES, 'secret-vars.yml'))).message).toBe(
        'Decryption failed (no vault secrets were found that could decrypt) at test/fixtures/vault/secret-vars.yml:1:1',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without any password: a clear error for a whole file, a hint for a value', async () => {
    setFileDecryptor(undefined);
    const file = join(FIXTURES, 'secret-vars.yml');
    const e1 = catchErr(() => loadYamlFile(file));
    expect(e1.format()).toBe(`${file}:1:1: ${file} is vault-encrypted and no vault secret is available`);
    await setupVault({ env: {} });
    const vars = loadYamlFile(join(FIXTURES, 'vars.yml')) as Record<string, unknown>;
    const e2 = catchErr(() => new TemplateRenderer(vars).renderString('{{ fixture_secret }}'));
    expect(e2.message).toMatch(/^Attempting to decrypt but no vault secrets found at test\/fixtures\/vault\/vars\.yml:\d+:\d+$/);
    expect(e2.hint).toContain('--ask-vault-pass');
  });

  it('multi-line secrets are masked line by line too; a value is decrypted once', () => {
    const v = new Vault([secret('pw')]);
    const rt = new VaultRuntime(v);
    const key = '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw\nqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC\nzq\n-----END KEY-----\n';
    const doc = parseYaml(`k: !vault |\n  ${v.encrypt(key, secret('pw')).trimEnd().split('\n').join('\n  ')}\n`, 'k.yml') as { k: EncryptedString };
    expect(rt.resolve(doc.k)).toBe(key);
    expect(mask('+MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw')).toBe(`+${MASK}`);
    expect(mask('a short line like zq is not masked on its own')).toBe('a short line like zq is not masked on its own');
    expect(mask(JSON.stringify({ k: key }))).not.toContain('qhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC');
    v.secrets.length = 0; // a second use must not decrypt again
    expect(rt.resolve(doc.k)).toBe(key);
  });

  it('encrypt-string YAML parses back into the same value', () => {
    const v = new Vault([secret('pw')]);
    const yaml = formatCiphertextYaml(v.encrypt('round trip', secret('pw')), 'var_name');
    expect(yaml).toMatch(/^var_name: !vault \|\n {10}\$ANSIBLE_VAULT;1\.1;AES256\n( {10}[0-9a-f]{80}\n)* {10}[0-9a-f]{1,80}$/);
    const doc = parseYaml(yaml, 'x.yml') as { var_name: EncryptedString };
    expect(v.decrypt(doc.var_name.ciphertext).plaintext.toString()).toBe('round trip');
  });
});

function catchErr(fn: () => unknown): TsplayError {
  try {
    fn();
  } catch (e) {
    return e as TsplayError;
  }
  throw new Error('expected an error');
}
