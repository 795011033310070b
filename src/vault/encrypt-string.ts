/**
 * `encrypt-string` output, byte for byte as ansible-vault's format_ciphertext_yaml: `NAME: !vault |`
 * (or `!vault |`) then the vault text indented 10 spaces; several values joined by newlines, no trailing newline.
 */
import type { Vault, VaultSecret } from './vault.js';

export interface PlainInput {
  text: string;
  /** 'the command line args' | 'stdin' | 'the interactive prompt' */
  from: string;
  name?: string;
}

export function formatCiphertextYaml(vaulttext: string, name?: string, indent = 10): string {
  const lines = [`${name ? `${name}: ` : ''}!vault |`];
  for (const l of vaulttext.split(/\r?\n/)) if (l) lines.push(' '.repeat(indent) + l);
  return lines.join('\n');
}

/** Encrypt each input; `out` is the YAML for stdout, `err` the delimiter comments ansible-vault writes to stderr. */
export function encryptStrings(vault: Vault, secret: VaultSecret, inputs: PlainInput[]): { out: string; err: string[] } {
  const many = inputs.length > 1;
  const err: string[] = [];
  const blocks = inputs.map((inp, i) => {
    if (many) {
      err.push(
        inp.name
          ? `# The encrypted version of variable ("${inp.name}", the string #${i + 1} from ${inp.from}).\n`
          : `# The encrypted version of the string #${i + 1} from ${inp.from}.)\n`,
      );
    }
    return formatCiphertextYaml(vault.encrypt(inp.text, secret), inp.name);
  });
  return { out: blocks.join('\n'), err };
}
