/**
 * Where vault passwords come from, as Ansible's CLI.setup_vault_secrets: --vault-id LABEL@SOURCE
 * (SOURCE a file, an executable script, or `prompt`), --vault-password-file FILE (id 'default'),
 * --ask-vault-pass, and the environment (TSPLAY_/ANSIBLE_VAULT_IDENTITY_LIST, TSPLAY_/ANSIBLE_VAULT_PASSWORD_FILE,
 * TSPLAY_VAULT_PASSWORD holding the password itself). A source that fails is a warning while another one
 * works, an error when none does. Passwords are never put in a child's argv or in a message.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { TsplayError } from '../errors.js';
import { checkVaultIdLabel, DEFAULT_VAULT_ID, isVaultText } from './envelope.js';
import { Vault, type VaultSecret } from './vault.js';

export interface SecretSources {
  passwordFiles?: string[];
  /** LABEL@SOURCE or SOURCE */
  vaultIds?: string[];
  ask?: boolean;
  /** asking for a password to encrypt with: ask twice (New Vault password / Confirm) */
  create?: boolean;
  /** ask when no source was given (ansible-vault does; ansible-playbook doesn't) */
  autoPrompt?: boolean;
  /** read the TSPLAY_/ANSIBLE_ environment variables (default true) */
  useEnv?: boolean;
  env?: NodeJS.ProcessEnv;
  /** prompts without echo (the CLI passes askSecret) */
  askSecret?: (prompt: string) => Promise<string>;
  warn?: (msg: string) => void;
}

export const PASSWORD_ENV = 'TSPLAY_VAULT_PASSWORD';

const ASCII_WS = ' \t\n\r\v\f';
function stripBytes(b: Buffer, chars: string): Buffer {
  let s = 0;
  let e = b.length;
  while (s < e && chars.includes(String.fromCharCode(b[s]!))) s++;
  while (e > s && chars.includes(String.fromCharCode(b[e - 1]!))) e--;
  return b.subarray(s, e);
}

function splitVaultId(slug: string): [string | undefined, string] {
  const at = slug.indexOf('@');
  return at < 0 ? [undefined, slug] : [slug.slice(0, at), slug.slice(at + 1)];
}

function listEnv(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** Load every secret the options name, in Ansible's order. */
export async function loadVaultSecrets(src: SecretSources): Promise<VaultSecret[]> {
  const env = src.env ?? process.env;
  const useEnv = src.useEnv !== false;
  const warn = src.warn ?? ((m: string) => process.stderr.write(`[WARNING]: ${m}\n`));
  const slugs = [...(useEnv ? listEnv(env.TSPLAY_VAULT_IDENTITY_LIST ?? env.ANSIBLE_VAULT_IDENTITY_LIST) : []), ...(src.vaultIds ?? [])];
  const files = [...(src.passwordFiles ?? [])];
  if (useEnv) for (const f of [env.TSPLAY_VAULT_PASSWORD_FILE, env.ANSIBLE_VAULT_PASSWORD_FILE]) if (f) files.push(f);
  for (const f of files) slugs.push(`${DEFAULT_VAULT_ID}@${f}`);
  const envPassword = useEnv ? env[PASSWORD_ENV] : undefined;
  // children (editor, password scripts, local tasks) must not inherit the password
  if (envPassword !== undefined) delete env[PASSWORD_ENV];
  if (src.ask || (src.autoPrompt && !slugs.length && !envPassword)) slugs.push(`${DEFAULT_VAULT_ID}@prompt_ask_vault_pass`);

  const secrets: VaultSecret[] = [];
  if (envPassword)
    secrets.push({
      id: DEFAULT_VAULT_ID,
      password: nonEmpty(Buffer.from(envPassword, 'utf8'), `Invalid vault password was provided from ${PASSWORD_ENV}`),
      origin: PASSWORD_ENV,
    });
  let lastError: unknown;
  for (const slug of slugs) {
    const [label, source] = splitVaultId(slug);
    if (label !== undefined) checkVaultIdLabel(label);
    const id = label || DEFAULT_VAULT_ID;
    if (source === 'prompt' || source === 'prompt_ask_vault_pass') {
      secrets.push({ id, password: await promptPassword(id, source === 'prompt_ask_vault_pass', !!src.create, src.askSecret), origin: 'prompt' });
      continue;
    }
    try {
      secrets.push({ id, password: await readPasswordFile(source, label, secrets), origin: `file ${source}` });
    } catch (e) {
      warn(`Error getting vault password file (${label ?? DEFAULT_VAULT_ID}): ${(e as Error).message}`);
      lastError = e;
    }
  }
  if (lastError && !secrets.length) throw lastError;
  return secrets;
}

async function promptPassword(id: string, legacy: boolean, create: boolean, ask?: (p: string) => Promise<string>): Promise<Buffer> {
  if (!ask) throw new TsplayError('vault', 'cannot prompt for a vault password here');
  const prompts = create
    ? legacy
      ? ['New Vault password: ', 'Confirm New Vault password: ']
      : [`New vault password (${id}): `, `Confirm new vault password (${id}): `]
    : legacy
      ? ['Vault password: ']
      : [`Vault password (${id}): `];
  const answers: Buffer[] = [];
  for (const p of prompts) {
    let answer: string;
    try {
      answer = await ask(p);
    } catch (e) {
      throw new TsplayError('vault', `no vault password was given at the prompt for (${id}): ${(e as Error).message}`);
    }
    answers.push(nonEmpty(stripBytes(Buffer.from(answer, 'utf8'), ASCII_WS), 'Invalid vault password was provided'));
  }
  if (answers.some((a) => !a.equals(answers[0]!))) throw new TsplayError('vault', 'Passwords do not match');
  return answers[0]!;
}

function nonEmpty(b: Buffer, msg: string): Buffer {
  if (!b.length) throw new TsplayError('vault', msg);
  return b;
}

/** A password file's content, or an executable's stdout (a `*-client` script gets `--vault-id LABEL`). */
export async function readPasswordFile(file: string, label: string | undefined, known: VaultSecret[] = []): Promise<Buffer> {
  const path = resolve(file);
  if (!existsSync(path)) throw new TsplayError('vault', `The vault password file ${path} was not found`);
  const st = statSync(path);
  if (st.isFile() && (st.mode & 0o111) !== 0) {
    const client = basename(path, extname(path)).endsWith('-client');
    const out = await runScript(path, client && label ? ['--vault-id', label] : [], client, label);
    return nonEmpty(stripBytes(out, '\r\n'), `Invalid vault password was provided from script (${path})`);
  }
  let data: Buffer;
  try {
    data = stripBytes(readFileSync(path), ASCII_WS);
  } catch (e) {
    throw new TsplayError('vault', `Could not read vault password file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (isVaultText(data)) data = new Vault(known).decrypt(data.toString('utf8'), path).plaintext;
  return nonEmpty(stripBytes(data, '\r\n'), `Invalid vault password was provided from file (${path})`);
}

function runScript(path: string, args: string[], client: boolean, label?: string): Promise<Buffer> {
  return new Promise((res, rej) => {
    let child;
    try {
      // stdin/stderr stay the terminal's so a script can prompt; a client's stderr is kept for the message
      child = spawn(path, args, { stdio: ['inherit', 'pipe', client ? 'pipe' : 'inherit'] });
    } catch (e) {
      rej(
        new TsplayError(
          'vault',
          `Problem running vault password script ${path} (${(e as Error).message}). If this is not a script, remove the executable bit from the file.`,
        ),
      );
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) =>
      rej(
        new TsplayError(
          'vault',
          `Problem running vault password script ${path} (${e.message}). If this is not a script, remove the executable bit from the file.`,
        ),
      ),
    );
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (code === 0) return res(Buffer.concat(out));
      if (client && code === 2)
        return rej(new TsplayError('vault', `Vault password client script ${path} did not find a secret for vault-id=${label}: ${stderr}`));
      rej(new TsplayError('vault', `Vault password script ${path} returned non-zero (${code})${stderr ? `: ${stderr}` : ''}`));
    });
  });
}
