/**
 * A set of vault secrets and the two operations on vault text, with Ansible's secret matching
 * (VaultLib.decrypt_and_get_vault_id): secrets whose id equals the label of a 1.2 header are tried first,
 * then every other secret (the label is a hint, not authenticated).
 */
import { TsplayError } from '../errors.js';
import { decryptPayload, encryptPayload } from './aes256.js';
import { DEFAULT_VAULT_ID, formatEnvelope, isVaultText, parseEnvelope } from './envelope.js';

export interface VaultSecret {
  /** the vault id label ('default' for --vault-password-file and --ask-vault-pass) */
  id: string;
  password: Buffer;
  /** where it came from, for messages: "file /x/pw", "prompt" (never the password) */
  origin: string;
}

export interface Decrypted {
  plaintext: Buffer;
  secret: VaultSecret;
  /** the label in the header (1.2), if any */
  headerId?: string;
}

export const NO_SECRETS_HINT = 'give a vault password with --vault-password-file FILE, --vault-id LABEL@SOURCE or --ask-vault-pass';

export class Vault {
  constructor(readonly secrets: VaultSecret[] = []) {}

  /** Encrypt with one secret; the secret's id labels a 1.2 header unless it is 'default'. */
  encrypt(plaintext: string | Uint8Array, secret: VaultSecret, opts: { vaultId?: string; salt?: Uint8Array } = {}): string {
    const bytes = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    if (isVaultText(bytes)) throw new TsplayError('vault', 'input is already encrypted');
    return formatEnvelope(encryptPayload(bytes, secret.password, opts.salt), opts.vaultId ?? secret.id);
  }

  /**
   * Decrypt vault text. `location` ("group_vars/all.yml:3:12", a file name) ends every error message,
   * e.g. "Decryption failed (no vault secrets were found that could decrypt) at group_vars/all.yml:3:12".
   */
  decrypt(text: string, location?: string): Decrypted {
    const at = location ? ` at ${location}` : '';
    if (!isVaultText(text)) throw new TsplayError('vault', `input is not vault encrypted data${at}`);
    let env;
    try {
      env = parseEnvelope(text);
    } catch (e) {
      throw new TsplayError('vault', `${(e as Error).message}${at}`);
    }
    if (env.cipher !== 'AES256') throw new TsplayError('vault', `${env.cipher} cipher could not be found${at}`);
    if (!this.secrets.length) throw new TsplayError('vault', `Attempting to decrypt but no vault secrets found${at}`, { hint: NO_SECRETS_HINT });
    const ordered = env.vaultId ? [...this.secrets.filter((s) => s.id === env.vaultId), ...this.secrets.filter((s) => s.id !== env.vaultId)] : this.secrets;
    for (const secret of ordered) {
      let plaintext: Buffer | null;
      try {
        plaintext = decryptPayload(env.payload, secret.password);
      } catch (e) {
        throw new TsplayError('vault', `There was a vault format error${at}: ${(e as Error).message}`);
      }
      if (plaintext) return { plaintext, secret, headerId: env.vaultId };
    }
    throw new TsplayError('vault', `Decryption failed (no vault secrets were found that could decrypt)${at}`);
  }

  /** The secret to encrypt with: the one labelled encryptVaultId, else the only/first one. */
  encryptSecret(encryptVaultId?: string): VaultSecret {
    if (encryptVaultId) {
      const s = this.secrets.find((x) => x.id === encryptVaultId);
      if (!s) {
        throw new TsplayError(
          'options',
          `Did not find a match for --encrypt-vault-id=${encryptVaultId} in the known vault-ids [${this.secrets.map((x) => `'${x.id}'`).join(', ')}]`,
        );
      }
      return s;
    }
    const s = this.secrets[0];
    if (!s) throw new TsplayError('options', "A vault password is required to use Ansible's Vault", { hint: NO_SECRETS_HINT });
    return s;
  }
}

export { DEFAULT_VAULT_ID };
