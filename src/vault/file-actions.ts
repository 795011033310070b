/**
 * The file operations of `tsplay vault` (ansible-vault's VaultEditor): encrypt, decrypt, view, create,
 * edit, rekey. In-place rewrites are atomic and keep the file's mode; '-' is stdin/stdout.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { TsplayError } from '../errors.js';
import { editInTemp } from './edit-temp.js';
import { DEFAULT_VAULT_ID, isVaultText, parseEnvelope } from './envelope.js';
import { readInput, realFile, writeOutput } from './files.js';
import { displayPath } from './runtime.js';
import type { Vault, VaultSecret } from './vault.js';

function where(file: string): string {
  return file === '-' ? 'stdin' : displayPath(file);
}

export async function encryptFile(vault: Vault, file: string, secret: VaultSecret, output?: string): Promise<void> {
  const path = realFile(file);
  const data = await readInput(path);
  if (isVaultText(data)) throw new TsplayError('vault', `input is already encrypted: ${where(file)}`);
  await writeOutput(output ?? path, Buffer.from(vault.encrypt(data, secret), 'utf8'));
}

export async function decryptFile(vault: Vault, file: string, output?: string): Promise<void> {
  const path = realFile(file);
  const { plaintext } = vault.decrypt((await readInput(path)).toString('utf8'), where(file));
  await writeOutput(output ?? path, plaintext);
}

export async function viewFile(vault: Vault, file: string): Promise<Buffer> {
  return vault.decrypt((await readInput(realFile(file))).toString('utf8'), where(file)).plaintext;
}

export async function createFile(vault: Vault, file: string, secret: VaultSecret, warn: (m: string) => void, env?: NodeJS.ProcessEnv): Promise<void> {
  if (existsSync(file)) throw new TsplayError('vault', `${file} exists, please use 'edit' instead`);
  const dir = dirname(file);
  if (!existsSync(dir)) {
    warn(`${dir} does not exist, creating...`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  const text = editInTemp(Buffer.alloc(0), file, env);
  await writeOutput(file, Buffer.from(vault.encrypt(text, secret), 'utf8'));
}

/** Edit in place; re-encrypted with the secret that opened it and the same header label; unchanged = untouched. */
export async function editFile(vault: Vault, file: string, env?: NodeJS.ProcessEnv): Promise<boolean> {
  const path = realFile(file);
  const text = (await readInput(path)).toString('utf8');
  const { plaintext, secret } = vault.decrypt(text, where(file));
  const { vaultId } = parseEnvelope(text);
  const edited = editInTemp(plaintext, path, env);
  if (edited.equals(plaintext)) return false;
  await writeOutput(path, Buffer.from(vault.encrypt(edited, secret, { vaultId: vaultId ?? DEFAULT_VAULT_ID }), 'utf8'));
  return true;
}

export async function rekeyFile(vault: Vault, file: string, newSecret: VaultSecret): Promise<void> {
  const path = realFile(file);
  const { plaintext } = vault.decrypt((await readInput(path)).toString('utf8'), where(file));
  await writeOutput(path, Buffer.from(vault.encrypt(plaintext, newSecret), 'utf8'));
}
