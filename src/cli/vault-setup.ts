/** Vault passwords for a run (placeholder until the vault layer lands). */
import { TsplayError } from '../errors.js';

export interface VaultOptions {
  passwordFiles?: string[];
  vaultIds?: string[];
  ask?: boolean;
}

export async function setupVault(opts: VaultOptions): Promise<void> {
  if (opts.passwordFiles?.length || opts.vaultIds?.length || opts.ask) {
    throw new TsplayError('options', 'vault support is not available yet');
  }
}
