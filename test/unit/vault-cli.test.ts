import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { vaultCommand } from '../../src/cli/commands/vault.js';
import { parseYaml, type EncryptedString } from '../../src/config/yaml.js';
import { Vault } from '../../src/vault/index.js';

const PW = 'cli-test-password';
const PW2 = 'second-password';
const PLAIN = 'db_password: s3cr3t-Value\nport: 5432\n';
let dir: string;
let pwFile: string;
let pw2File: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsplay-vault-cli-'));
  pwFile = join(dir, 'pw');
  pw2File = join(dir, 'pw2');
  writeFileSync(pwFile, `${PW}\n`);
  writeFileSync(pw2File, `${PW2}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Run `tsplay vault ...` in-process, capturing stdout/stderr (and feeding stdin when given). */
async function cli(args: string[], stdin?: string): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const fake = (sink: string[]) =>
    ((chunk: unknown, enc?: unknown, cb?: unknown) => {
      sink.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      const done = typeof enc === 'function' ? enc : cb;
      if (typeof done === 'function') done();
      return true;
    }) as typeof process.stdout.write;
  const so = vi.spyOn(process.stdout, 'write').mockImplementation(fake(out));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation(fake(err));
  const si =
    stdin !== undefined ? vi.spyOn(process, 'stdin', 'get').mockReturnValue(Readable.from([Buffer.from(stdin)]) as unknown as typeof process.stdin) : undefined;
  try {
    const code = await vaultCommand(args);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    so.mockRestore();
    se.mockRestore();
    si?.mockRestore();
  }
}

function file(name: string, content: string | Buffer, mode = 0o644): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  chmodSync(p, mode);
  return p;
}

const YAML_BLOCK = (name: string) =>
  new RegExp(`^${name ? `${name}: ` : ''}!vault \\|\\n {10}\\$ANSIBLE_VAULT;1\\.1;AES256\\n( {10}[0-9a-f]{80}\\n)* {10}[0-9a-f]{1,80}$`);

describe('tsplay vault encrypt / decrypt / view', () => {
  it('encrypts in place atomically, keeping the mode, and decrypts back to the same bytes', async () => {
    const sub = join(dir, 'inplace');
    mkdirSync(sub);
    const f = join(sub, 'vars.yml');
    writeFileSync(f, PLAIN);
    chmodSync(f, 0o640);
    const r = await cli(['encrypt', '--vault-password-file', pwFile, f]);
    expect(r).toMatchObject({ code: 0, out: '' });
    const text = readFileSync(f, 'utf8');
    expect(text.startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    expect(text).not.toContain('s3cr3t');
    expect(statSync(f).mode & 0o777).toBe(0o640);
    expect(readdirSync(sub)).toEqual(['vars.yml']);
    expect(await cli(['view', '--vault-password-file', pwFile, f])).toMatchObject({ code: 0, out: PLAIN });
    expect((await cli(['decrypt', '--vault-password-file', pwFile, f])).code).toBe(0);
    expect(readFileSync(f, 'utf8')).toBe(PLAIN);
    expect(statSync(f).mode & 0o777).toBe(0o640);
    expect(readdirSync(sub)).toEqual(['vars.yml']);
  });

  it('follows a symlink and rewrites its target; --output writes elsewhere', async () => {
    const target = file('target.yml', PLAIN);
    const link = join(dir, 'link.yml');
    symlinkSync(target, link);
    expect((await cli(['encrypt', '--vault-password-file', pwFile, link])).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toMatch(/^\$ANSIBLE_VAULT/);
    const out = join(dir, 'out.yml');
    expect((await cli(['decrypt', '--vault-password-file', pwFile, '--output', out, link])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(PLAIN);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect((await cli(['decrypt', '--vault-password-file', pwFile, '--output', '-', target])).out).toBe(PLAIN);
  });

  it('reads stdin and writes stdout without a file', async () => {
    const enc = await cli(['encrypt', '--vault-password-file', pwFile], 'from stdin\n');
    expect(enc.code).toBe(0);
    expect(enc.out).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    expect(await cli(['decrypt', '--vault-password-file', pwFile], enc.out)).toMatchObject({ code: 0, out: 'from stdin\n' });
  });

  it('errors: wrong password, already encrypted, not encrypted — exit 1, file untouched, password never shown', async () => {
    const f = file('err.yml', PLAIN);
    await cli(['encrypt', '--vault-password-file', pwFile, f]);
    const before = readFileSync(f, 'utf8');
    const wrong = await cli(['decrypt', '--vault-password-file', pw2File, f]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toBe(`ERROR! Decryption failed (no vault secrets were found that could decrypt) at ${f}\n`);
    expect(readFileSync(f, 'utf8')).toBe(before);
    const again = await cli(['encrypt', '--vault-password-file', pwFile, f]);
    expect(again).toMatchObject({ code: 1, err: `ERROR! input is already encrypted: ${f}\n` });
    const plain = file('plain.yml', PLAIN);
    expect(await cli(['view', '--vault-password-file', pwFile, plain])).toMatchObject({
      code: 1,
      err: `ERROR! input is not vault encrypted data at ${plain}\n`,
    });
    for (const r of [wrong, again]) expect(r.err + r.out).not.toContain(PW);
  });

  it('bad options exit 5', async () => {
    expect((await cli(['frobnicate'])).code).toBe(5);
    expect((await cli(['encrypt', '--no-such-option'])).code).toBe(5);
    expect((await cli(['encrypt', '--name', 'x', '--vault-password-file', pwFile, 'a'])).code).toBe(5);
    expect((await cli(['decrypt', '--output', 'o', '--vault-password-file', pwFile, 'a', 'b'])).err).toContain(
      'At most one input file may be used with the --output option',
    );
    expect((await cli(['view', '--vault-password-file', pwFile])).code).toBe(5);
    const multi = await cli(['encrypt', '--vault-id', `a@${pwFile}`, '--vault-id', `b@${pw2File}`, file('m.yml', 'x')]);
    expect(multi).toMatchObject({
      code: 5,
      err: 'ERROR! The vault-ids a,b are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id\n',
    });
    expect((await cli(['--help'])).code).toBe(0);
  });
});

describe('tsplay vault encrypt-string', () => {
  it('prints NAME: !vault | with the text indented 10 spaces and no trailing newline, like ansible-vault', async () => {
    const r = await cli(['encrypt-string', '--vault-password-file', pwFile, '--name', 'db_password', 'p@ss w0rd']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(YAML_BLOCK('db_password'));
    expect(r.err).toBe('');
    const doc = parseYaml(r.out, 'x.yml') as { db_password: EncryptedString };
    expect(new Vault([{ id: 'default', password: Buffer.from(PW), origin: 't' }]).decrypt(doc.db_password.ciphertext).plaintext.toString()).toBe('p@ss w0rd');
  });

  it('several values: names pair with strings in order, delimiter comments on stderr', async () => {
    const r = await cli(['encrypt-string', '--vault-password-file', pwFile, '-n', 'a', 'one', 'two']);
    const blocks = r.out.split(/\n(?=\S)/);
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toMatch(YAML_BLOCK('a'));
    expect(blocks[1]).toMatch(YAML_BLOCK(''));
    expect(r.err).toBe(
      'The number of --name options do not match the number of args.\n' +
        'The last named variable will be "a". The rest will not have names.\n' +
        '# The encrypted version of variable ("a", the string #1 from the command line args).\n' +
        '# The encrypted version of the string #2 from the command line args.)\n',
    );
  });

  it('--stdin-name reads the value from stdin, keeping its newline; empty stdin is refused', async () => {
    const r = await cli(['encrypt-string', '--vault-password-file', pwFile, '--stdin-name', 'key'], 'line1\nline2\n');
    expect(r.out).toMatch(YAML_BLOCK('key'));
    const doc = parseYaml(r.out, 'x.yml') as { key: EncryptedString };
    expect(new Vault([{ id: 'default', password: Buffer.from(PW), origin: 't' }]).decrypt(doc.key.ciphertext).plaintext.toString()).toBe('line1\nline2\n');
    expect(await cli(['encrypt-string', '--vault-password-file', pwFile, '--stdin-name', 'key'], '')).toMatchObject({
      code: 5,
      err: 'ERROR! stdin was empty, not encrypting\n',
    });
    expect((await cli(['encrypt-string', '--vault-password-file', pwFile, ''])).err).toContain('The plaintext provided from the command line args was empty');
  });

  it('a 1.2 header when encrypting with a labelled vault id', async () => {
    const r = await cli(['encrypt-string', '--vault-id', `prod@${pwFile}`, 'v']);
    expect(r.out.split('\n')[1]).toBe('          $ANSIBLE_VAULT;1.2;AES256;prod');
  });
});

describe('tsplay vault create / edit / rekey', () => {
  let editorLog: string;
  let editor: string;
  const saved = { EDITOR: process.env.EDITOR, PW: process.env.TSPLAY_VAULT_PASSWORD };
  beforeAll(() => {
    editorLog = join(dir, 'editor.log');
    // records how it was called and what it could see, then applies $EDIT_SED (or writes $EDIT_TEXT)
    editor = file(
      'editor.sh',
      `#!/bin/sh
{ echo "ARGV $0 $*"; stat -c 'MODE %a %n' "$1" "$(dirname "$1")"; env; } >> ${editorLog}
echo "TMPFILE $1" >> ${editorLog}
if [ -n "$EDIT_TEXT" ]; then printf '%s\\n' "$EDIT_TEXT" > "$1"; fi
if [ -n "$EDIT_SED" ]; then sed -i "$EDIT_SED" "$1"; fi
`,
      0o755,
    );
  });
  afterAll(() => {
    for (const [k, v] of [
      ['EDITOR', saved.EDITOR],
      ['TSPLAY_VAULT_PASSWORD', saved.PW],
      ['EDIT_TEXT', undefined],
      ['EDIT_SED', undefined],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('create: the editor gets a 0600 file in a private 0700 dir, removed afterwards; the result is encrypted 0600', async () => {
    process.env.EDITOR = editor;
    process.env.EDIT_TEXT = 'created: value-Kq7';
    delete process.env.EDIT_SED;
    writeFileSync(editorLog, '');
    const f = join(dir, 'newdir', 'created.yml');
    const r = await cli(['create', '--vault-password-file', pwFile, f]);
    expect(r.code).toBe(0);
    expect(r.err).toBe(`[WARNING]: ${join(dir, 'newdir')} does not exist, creating...\n`);
    const log = readFileSync(editorLog, 'utf8');
    const tmp = /TMPFILE (\S+)/.exec(log)![1]!;
    expect(log).toContain(`MODE 600 ${tmp}`);
    expect(log).toMatch(/MODE 700 \S+tsplay-vault-/);
    expect(existsSync(tmp)).toBe(false);
    expect(existsSync(join(tmp, '..'))).toBe(false);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect((await cli(['view', '--vault-password-file', pwFile, f])).out).toBe('created: value-Kq7\n');
    expect((await cli(['create', '--vault-password-file', pwFile, f])).err).toBe(`ERROR! ${f} exists, please use 'edit' instead\n`);
  });

  it('edit: re-encrypts with the same label; unchanged content leaves the file alone; the password reaches no child', async () => {
    process.env.EDITOR = editor;
    delete process.env.EDIT_TEXT;
    process.env.EDIT_SED = 's/5432/6543/';
    writeFileSync(editorLog, '');
    const f = file('edit.yml', PLAIN);
    await cli(['encrypt', '--vault-id', `prod@${pwFile}`, f]);
    process.env.TSPLAY_VAULT_PASSWORD = PW2; // a second (wrong) secret, which must not leak to the editor
    expect((await cli(['edit', '--vault-id', `prod@${pwFile}`, f])).code).toBe(0);
    expect(readFileSync(f, 'utf8').split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;prod');
    expect((await cli(['view', '--vault-password-file', pwFile, f])).out).toBe(PLAIN.replace('5432', '6543'));
    const log = readFileSync(editorLog, 'utf8');
    expect(log).toContain('ARGV');
    expect(log).not.toContain(PW);
    expect(log).not.toContain(PW2);
    expect(process.env.TSPLAY_VAULT_PASSWORD).toBeUndefined();
    const before = readFileSync(f, 'utf8');
    process.env.EDIT_SED = 's/nothing-matches//';
    expect((await cli(['edit', '--vault-password-file', pwFile, f])).code).toBe(0);
    expect(readFileSync(f, 'utf8')).toBe(before);
    process.env.EDITOR = 'false';
    expect((await cli(['edit', '--vault-password-file', pwFile, f])).err).toBe('ERROR! the editor "false" exited with 1; nothing was saved\n');
    expect(readFileSync(f, 'utf8')).toBe(before);
  });

  it('rekey: the new password opens it, the old one no longer does; the new label is written', async () => {
    const f = file('rekey.yml', PLAIN, 0o640);
    await cli(['encrypt', '--vault-password-file', pwFile, f]);
    const r = await cli(['rekey', '--vault-password-file', pwFile, '--new-vault-id', `next@${pw2File}`, f]);
    expect(r).toMatchObject({ code: 0, err: 'Rekey successful\n' });
    expect(readFileSync(f, 'utf8').split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;next');
    expect(statSync(f).mode & 0o777).toBe(0o640);
    expect((await cli(['view', '--vault-password-file', pwFile, f])).code).toBe(1);
    expect((await cli(['view', '--vault-password-file', pw2File, f])).out).toBe(PLAIN);
  });
});

const hasAnsibleVault = spawnSync('ansible-vault', ['--version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasAnsibleVault)('interoperability with the real ansible-vault', () => {
  const av = (args: string[], input?: string) => execFileSync('ansible-vault', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

  it('files encrypted by tsplay open with ansible-vault (1.1 and 1.2)', async () => {
    const a = file('to-ansible.yml', PLAIN);
    const b = file('to-ansible-12.yml', PLAIN);
    await cli(['encrypt', '--vault-password-file', pwFile, a]);
    await cli(['encrypt', '--vault-id', `prod@${pw2File}`, b]);
    expect(av(['view', '--vault-password-file', pwFile, a])).toBe(PLAIN);
    expect(av(['view', '--vault-id', `dev@${pwFile}`, '--vault-id', `prod@${pw2File}`, b])).toBe(PLAIN);
  });

  it('files encrypted by ansible-vault open with tsplay; tsplay edit/rekey keep them readable by ansible-vault', async () => {
    const a = file('from-ansible.yml', PLAIN);
    av(['encrypt', '--vault-id', `prod@${pwFile}`, a]);
    expect(readFileSync(a, 'utf8').split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;prod');
    expect((await cli(['view', '--vault-password-file', pwFile, a])).out).toBe(PLAIN);
    process.env.EDITOR = `sed -i s/5432/1234/`;
    expect((await cli(['edit', '--vault-password-file', pwFile, a])).code).toBe(0);
    expect(av(['view', '--vault-password-file', pwFile, a])).toBe(PLAIN.replace('5432', '1234'));
    expect((await cli(['rekey', '--vault-password-file', pwFile, '--new-vault-password-file', pw2File, a])).code).toBe(0);
    expect(av(['view', '--vault-password-file', pw2File, a])).toBe(PLAIN.replace('5432', '1234'));
    av(['decrypt', '--vault-password-file', pw2File, a]);
    expect(readFileSync(a, 'utf8')).toBe(PLAIN.replace('5432', '1234'));
  });

  it('strings: tsplay encrypt-string opens with ansible-vault, ansible-vault encrypt_string opens with tsplay', async () => {
    const ours = (await cli(['encrypt-string', '--vault-password-file', pwFile, '--name', 'v', 'ünïcode secret'])).out;
    const vaultText =
      ours
        .split('\n')
        .slice(1)
        .map((l) => l.trim())
        .join('\n') + '\n';
    expect(av(['decrypt', '--vault-password-file', pwFile, '--output', '-'], vaultText)).toBe('ünïcode secret');
    const theirs = av(['encrypt_string', '--vault-password-file', pwFile, '--name', 'w', 'from ansible']);
    expect(theirs).toMatch(YAML_BLOCK('w'));
    const doc = parseYaml(theirs, 'x.yml') as { w: EncryptedString };
    expect(new Vault([{ id: 'default', password: Buffer.from(PW), origin: 't' }]).decrypt(doc.w.ciphertext).plaintext.toString()).toBe('from ansible');
  });
});
