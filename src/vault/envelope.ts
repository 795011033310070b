/**
 * The Ansible Vault envelope: a header line `$ANSIBLE_VAULT;1.1;AES256` (or `1.2;AES256;LABEL`)
 * followed by the hex payload in lines of 80 characters, as Ansible's
 * parse_vaulttext_envelope / format_vaulttext_envelope read and write it.
 */
import { TsplayError } from '../errors.js';

export const VAULT_HEADER = '$ANSIBLE_VAULT';
export const DEFAULT_VAULT_ID = 'default';

export interface Envelope {
  /** the hex payload with the line breaks removed */
  payload: string;
  version: string;
  cipher: string;
  /** the label of a 1.2 header, else undefined */
  vaultId?: string;
}

/** Whether text (or bytes) is vault data: it starts with `$ANSIBLE_VAULT` (Ansible's is_encrypted). */
export function isVaultText(data: string | Uint8Array): boolean {
  const head = typeof data === 'string' ? data.slice(0, VAULT_HEADER.length) : Buffer.from(data.subarray(0, VAULT_HEADER.length)).toString('latin1');
  return head === VAULT_HEADER;
}

export function parseEnvelope(text: string): Envelope {
  const lines = text.split(/\r\n|\r|\n/);
  const header = lines[0]!.trim().split(';');
  if (header[0] !== VAULT_HEADER || header.length < 3) {
    throw new TsplayError('vault', 'Vault envelope format error: the header is not $ANSIBLE_VAULT;VERSION;CIPHER');
  }
  const vaultId = header.length >= 4 ? header[3]!.trim() : undefined;
  return {
    payload: lines
      .slice(1)
      .map((l) => l.trim())
      .join(''),
    version: header[1]!.trim(),
    cipher: header[2]!.trim(),
    vaultId: vaultId || undefined,
  };
}

/** Header plus the payload in 80-column lines, newline-terminated. A label other than 'default' makes it 1.2. */
export function formatEnvelope(payload: string, vaultId?: string, cipher = 'AES256'): string {
  const labelled = !!vaultId && vaultId !== DEFAULT_VAULT_ID;
  const header = labelled ? `${VAULT_HEADER};1.2;${cipher};${vaultId}` : `${VAULT_HEADER};1.1;${cipher}`;
  const lines = [header];
  for (let i = 0; i < payload.length; i += 80) lines.push(payload.slice(i, i + 80));
  lines.push('');
  return lines.join('\n');
}

/** A vault id label may not contain ';' (it would break the header). */
export function checkVaultIdLabel(label: string): void {
  if (label.includes(';')) throw new TsplayError('options', `'${label}' is not a valid vault id. The character ';' is not allowed in vault ids`);
}
