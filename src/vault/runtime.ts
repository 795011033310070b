/**
 * Vault during a run: `!vault` values are decrypted lazily (the first time a template uses one), once,
 * and whole-file vaults when they are loaded; every plaintext is registered with the output mask before
 * it is returned. Errors name the value's file:line:col, e.g.
 * "Decryption failed (no vault secrets were found that could decrypt) at group_vars/all/vault.yml:3:12".
 */
import { relative, isAbsolute } from 'node:path';
import { TsplayError, type SourcePos } from '../errors.js';
import { EncryptedString, parseYaml } from '../config/yaml.js';
import { registerVaultPlaintext, registerVaultValues } from './mask-values.js';
import type { Vault } from './vault.js';

/** A file name as the user wrote it: relative to the working directory when below it. */
export function displayPath(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export function formatLocation(pos: SourcePos | undefined): string | undefined {
  return pos ? `${displayPath(pos.file)}:${pos.line}:${pos.col}` : undefined;
}

export class VaultRuntime {
  private readonly byCiphertext = new Map<string, string>();

  constructor(readonly vault: Vault) {
    this.resolve = this.resolve.bind(this);
    this.decryptFile = this.decryptFile.bind(this);
  }

  /** Plaintext of a `!vault` value (UTF-8), decrypted once per distinct ciphertext. */
  resolve(v: EncryptedString): string {
    const hit = this.byCiphertext.get(v.ciphertext);
    if (hit !== undefined) return hit;
    const text = this.vault.decrypt(v.ciphertext, formatLocation(v.source)).plaintext.toString('utf8');
    registerVaultPlaintext(text);
    this.byCiphertext.set(v.ciphertext, text);
    return text;
  }

  /** Plaintext of a whole-file vault (group_vars/host_vars, vars_files, include_vars). */
  decryptFile(text: string, file: string): string {
    const plain = this.vault.decrypt(text, `${displayPath(file)}:1:1`).plaintext.toString('utf8');
    let data: unknown;
    try {
      data = parseYaml(plain, file);
    } catch (e) {
      if (!(e instanceof TsplayError)) throw e;
      data = plain; // not YAML: the whole text is the secret; the loader reports the syntax error
    }
    registerVaultValues(data);
    return plain;
  }
}
