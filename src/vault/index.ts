/** Ansible Vault (1.1/1.2 AES256) for tsplay: the format, secrets, run-time decryption and file operations. */
export { VAULT_HEADER, DEFAULT_VAULT_ID, isVaultText, parseEnvelope, formatEnvelope, type Envelope } from './envelope.js';
export { encryptPayload, decryptPayload } from './aes256.js';
export { Vault, NO_SECRETS_HINT, type VaultSecret, type Decrypted } from './vault.js';
export { loadVaultSecrets, readPasswordFile, PASSWORD_ENV, type SecretSources } from './secrets.js';
export { VaultRuntime, displayPath, formatLocation } from './runtime.js';
export { registerVaultPlaintext, registerVaultValues } from './mask-values.js';
export { formatCiphertextYaml, encryptStrings, type PlainInput } from './encrypt-string.js';
export { encryptFile, decryptFile, viewFile, createFile, editFile, rekeyFile } from './file-actions.js';
