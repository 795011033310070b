/**
 * Vault passwords for `tsplay run`: loaded once before anything else is read (--vault-password-file,
 * --vault-id LABEL@SOURCE, --ask-vault-pass / -J, TSPLAY_/ANSIBLE_VAULT_PASSWORD_FILE, TSPLAY_VAULT_PASSWORD),
 * then wired in: templating decrypts `!vault` values through the runtime (lazily, when used), YAML files
 * loaded by path are decrypted when they are whole-file vaults, and `decryptFile` is what the run command
 * passes to loadInventory for group_vars/host_vars. Every password and plaintext is registered with the mask.
 */
import { setFileDecryptor } from '../config/yaml.js';
import { setEncryptedResolver } from '../engine/templating/index.js';
import { registerSecret } from '../output/mask.js';
import { loadVaultSecrets, Vault, VaultRuntime, type VaultSecret } from '../vault/index.js';
import { askSecret } from './prompt.js';

export interface VaultOptions {
  passwordFiles?: string[];
  vaultIds?: string[];
  ask?: boolean;
  /** for tests: the environment to read (default process.env) and a prompt */
  env?: NodeJS.ProcessEnv;
  askSecret?: (prompt: string) => Promise<string>;
}

export interface VaultSetup {
  runtime: VaultRuntime;
  secrets: VaultSecret[];
  /** pass as LoadInventoryOptions.decryptFile */
  decryptFile: (text: string, file: string) => string;
}

export async function setupVault(opts: VaultOptions = {}): Promise<VaultSetup> {
  const secrets = await loadVaultSecrets({
    passwordFiles: opts.passwordFiles,
    vaultIds: opts.vaultIds,
    ask: opts.ask,
    env: opts.env,
    askSecret: opts.askSecret ?? askSecret,
  });
  for (const s of secrets) registerSecret(s.password.toString('utf8'));
  const runtime = new VaultRuntime(new Vault(secrets));
  setEncryptedResolver(runtime.resolve);
  setFileDecryptor(runtime.decryptFile);
  return { runtime, secrets, decryptFile: runtime.decryptFile };
}

/** The vault options `tsplay run` and `tsplay inventory` share (node:util parseArgs form). */
export const VAULT_CLI_OPTIONS = {
  'vault-password-file': { type: 'string', multiple: true },
  'vault-id': { type: 'string', multiple: true },
  'ask-vault-pass': { type: 'boolean', short: 'J' },
} as const;

/** setupVault() from parsed VAULT_CLI_OPTIONS values. */
export function setupVaultFromCli(o: { 'vault-password-file'?: string[]; 'vault-id'?: string[]; 'ask-vault-pass'?: boolean }): Promise<VaultSetup> {
  return setupVault({ passwordFiles: o['vault-password-file'], vaultIds: o['vault-id'], ask: o['ask-vault-pass'] });
}
