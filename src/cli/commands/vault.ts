/**
 * tsplay vault encrypt|decrypt|view|edit|create|rekey|encrypt-string — ansible-vault's actions, options,
 * prompts and output. Exit codes: 0 ok, 1 error, 5 bad options.
 */
import { parseArgs } from 'node:util';
import { TsplayError } from '../../errors.js';
import {
  createFile,
  decryptFile,
  editFile,
  encryptFile,
  encryptStrings,
  loadVaultSecrets,
  rekeyFile,
  viewFile,
  Vault,
  type PlainInput,
  type SecretSources,
  type VaultSecret,
} from '../../vault/index.js';
import { askLine, readStdinText } from '../../vault/ask-line.js';
import { writeOutput, writeStdout } from '../../vault/files.js';
import { showPaged } from '../../vault/pager.js';
import { askSecret } from '../prompt.js';

export const VAULT_USAGE = `usage: tsplay vault ACTION [options] [FILE...]

actions:
  encrypt [FILE...]          encrypt files in place (stdin to stdout without FILE)
  decrypt [FILE...]          decrypt files in place (stdin to stdout without FILE)
  view FILE...               show decrypted content
  edit FILE...               edit in $EDITOR, re-encrypt on save
  create FILE                create a new encrypted file in $EDITOR
  rekey FILE...              re-encrypt with a new password
  encrypt-string [STRING...] print a '!vault |' YAML value (stdin without STRING)

options:
      --vault-password-file FILE   password file, or an executable printing it (or env TSPLAY_VAULT_PASSWORD_FILE)
      --vault-id LABEL@SOURCE      SOURCE: a file, an executable, or 'prompt' (repeatable)
  -J, --ask-vault-pass             ask for the vault password
      --encrypt-vault-id LABEL     the vault id to encrypt with (when several are given)
      --output FILE                encrypt/decrypt/encrypt-string: write here ('-' = stdout)
      --new-vault-password-file FILE | --new-vault-id LABEL@SOURCE    rekey: the new password
  -n, --name VAR                   encrypt-string: variable name (repeatable, one per STRING)
      --stdin-name VAR             encrypt-string: read the value from stdin, name it VAR
  -p, --prompt [--show-input]      encrypt-string: ask for the value
`;

const ACTIONS = ['encrypt', 'decrypt', 'view', 'edit', 'create', 'rekey', 'encrypt-string'] as const;
type Action = (typeof ACTIONS)[number];
const ONLY: Record<string, Action[]> = {
  output: ['encrypt', 'decrypt', 'encrypt-string'],
  'encrypt-vault-id': ['encrypt', 'create', 'edit', 'rekey', 'encrypt-string'],
  'new-vault-password-file': ['rekey'],
  'new-vault-id': ['rekey'],
  name: ['encrypt-string'],
  'stdin-name': ['encrypt-string'],
  prompt: ['encrypt-string'],
  'show-input': ['encrypt-string'],
};

const options = {
  'vault-password-file': { type: 'string', multiple: true },
  'vault-pass-file': { type: 'string', multiple: true },
  'vault-id': { type: 'string', multiple: true },
  'ask-vault-pass': { type: 'boolean', short: 'J' },
  'ask-vault-password': { type: 'boolean' },
  'encrypt-vault-id': { type: 'string' },
  output: { type: 'string' },
  'new-vault-password-file': { type: 'string' },
  'new-vault-id': { type: 'string' },
  name: { type: 'string', short: 'n', multiple: true },
  'stdin-name': { type: 'string' },
  prompt: { type: 'boolean', short: 'p' },
  'show-input': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

export async function vaultCommand(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    (first === undefined ? process.stderr : process.stdout).write(VAULT_USAGE);
    return first === undefined ? 5 : 0;
  }
  const action = (first === 'encrypt_string' ? 'encrypt-string' : first) as Action;
  if (!ACTIONS.includes(action)) return usage(`unknown action '${first}'`);
  let parsed;
  try {
    parsed = parseVaultArgs(rest);
  } catch (e) {
    return usage((e as Error).message);
  }
  const o = parsed.values;
  if (o.help) {
    process.stdout.write(VAULT_USAGE);
    return 0;
  }
  try {
    for (const [opt, allowed] of Object.entries(ONLY)) {
      if ((o as Record<string, unknown>)[opt] !== undefined && !allowed.includes(action)) throw new UsageError(`--${opt} is not an option of ${action}`);
    }
    if (o['new-vault-password-file'] && o['new-vault-id']) throw new UsageError('--new-vault-password-file and --new-vault-id exclude each other');
    const files = parsed.positionals;
    if (o.output !== undefined && files.length > 1) throw new UsageError('At most one input file may be used with the --output option');
    await run(action, files, o);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) return usage(e.message);
    if (e instanceof TsplayError) {
      process.stderr.write(`ERROR! ${e.format()}\n`);
      return e.code === 'options' ? 5 : 1;
    }
    process.stderr.write(`ERROR! ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}

function usage(msg: string): number {
  process.stderr.write(`tsplay vault: ${msg}\n${VAULT_USAGE}`);
  return 5;
}

function parseVaultArgs(args: string[]) {
  return parseArgs({ args, allowPositionals: true, options });
}
type Opts = ReturnType<typeof parseVaultArgs>['values'];

const warn = (m: string) => process.stderr.write(`[WARNING]: ${m}\n`);

function sources(o: Opts, create: boolean): SecretSources {
  return {
    passwordFiles: [...(o['vault-password-file'] ?? []), ...(o['vault-pass-file'] ?? [])],
    vaultIds: o['vault-id'],
    ask: !!(o['ask-vault-pass'] || o['ask-vault-password']),
    create,
    autoPrompt: true,
    askSecret,
    warn,
  };
}

async function readSecrets(o: Opts): Promise<Vault> {
  const secrets = await loadVaultSecrets(sources(o, false));
  if (!secrets.length) throw new TsplayError('options', "A vault password is required to use Ansible's Vault");
  return new Vault(secrets);
}

async function encryptSecret(o: Opts): Promise<{ vault: Vault; secret: VaultSecret }> {
  const secrets = await loadVaultSecrets(sources(o, true));
  const id = o['encrypt-vault-id'];
  if (secrets.length > 1 && !id) {
    throw new TsplayError(
      'options',
      `The vault-ids ${secrets.map((s) => s.id).join(',')} are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id`,
    );
  }
  const vault = new Vault(secrets);
  return { vault, secret: vault.encryptSecret(id) };
}

function needFiles(action: Action, files: string[]): void {
  if (!files.length) throw new UsageError(`${action} needs at least one file`);
}

function done(msg: string, always = false): void {
  if (always || process.stdout.isTTY) process.stderr.write(`${msg}\n`);
}

async function run(action: Action, files: string[], o: Opts): Promise<void> {
  switch (action) {
    case 'encrypt': {
      const { vault, secret } = await encryptSecret(o);
      if (!files.length && process.stdin.isTTY) process.stderr.write('Reading plaintext input from stdin\n');
      for (const f of files.length ? files : ['-']) await encryptFile(vault, f, secret, o.output);
      return done('Encryption successful');
    }
    case 'decrypt': {
      const vault = await readSecrets(o);
      if (!files.length && process.stdin.isTTY) process.stderr.write('Reading ciphertext input from stdin\n');
      for (const f of files.length ? files : ['-']) await decryptFile(vault, f, o.output);
      return done('Decryption successful');
    }
    case 'view': {
      needFiles(action, files);
      const vault = await readSecrets(o);
      let text = '';
      for (const f of files) text += (await viewFile(vault, f)).toString('utf8');
      return showPaged(text);
    }
    case 'create': {
      if (files.length !== 1) throw new UsageError('create takes exactly one file name');
      const { vault, secret } = await encryptSecret(o);
      return createFile(vault, files[0]!, secret, warn);
    }
    case 'edit': {
      needFiles(action, files);
      const vault = await readSecrets(o);
      for (const f of files) await editFile(vault, f);
      return;
    }
    case 'rekey': {
      needFiles(action, files);
      const vault = await readSecrets(o);
      const newSecrets = await loadVaultSecrets({
        passwordFiles: o['new-vault-password-file'] ? [o['new-vault-password-file']] : [],
        vaultIds: o['new-vault-id'] ? [o['new-vault-id']] : [],
        create: true,
        autoPrompt: true,
        useEnv: false,
        askSecret,
        warn,
      });
      if (!newSecrets.length) throw new TsplayError('options', "A new vault password is required to use Ansible's Vault rekey");
      const newSecret = new Vault(newSecrets).encryptSecret(
        o['encrypt-vault-id'] && newSecrets.some((s) => s.id === o['encrypt-vault-id']) ? o['encrypt-vault-id'] : undefined,
      );
      for (const f of files) await rekeyFile(vault, f, newSecret);
      return done('Rekey successful', true);
    }
    case 'encrypt-string':
      return encryptStringAction(files, o);
  }
}

async function encryptStringAction(args: string[], o: Opts): Promise<void> {
  const readStdin = args.includes('-') || o['stdin-name'] !== undefined || (!args.length && !o.prompt);
  if (o.prompt && readStdin) throw new TsplayError('options', 'The --prompt option is not supported if also reading input from stdin');
  const { vault, secret } = await encryptSecret(o);
  const inputs: PlainInput[] = [];
  if (o.prompt) {
    const name = await askLine('Variable name (enter for no name): ');
    const text = o['show-input'] ? await askLine('String to encrypt: ') : await askSecret('String to encrypt (hidden): ');
    if (text === '') throw new TsplayError('options', 'The plaintext provided from the prompt was empty, not encrypting');
    inputs.push({ text, from: 'the interactive prompt', name: name || undefined });
  }
  if (readStdin) {
    if (process.stdout.isTTY)
      process.stderr.write('Reading plaintext input from stdin. (ctrl-d to end input, twice if your content does not already have a newline)\n');
    const text = await readStdinText();
    if (text === '') throw new TsplayError('options', 'stdin was empty, not encrypting');
    if (process.stdout.isTTY && !text.endsWith('\n')) process.stderr.write('\n');
    inputs.push({ text, from: 'stdin', name: o['stdin-name'] });
  }
  const values = args.filter((a) => a !== '-');
  const names = o.name ?? [];
  if (names.length && values.length > names.length) {
    process.stderr.write('The number of --name options do not match the number of args.\n');
    process.stderr.write(`The last named variable will be "${names[names.length - 1]}". The rest will not have names.\n`);
  }
  values.forEach((text, i) => {
    if (text === '') throw new TsplayError('options', 'The plaintext provided from the command line args was empty, not encrypting');
    inputs.push({ text, from: 'the command line args', name: names[i] });
  });
  const { out, err } = encryptStrings(vault, secret, inputs);
  for (const e of err) process.stderr.write(e);
  const target = o.output ?? '-';
  await (target === '-' ? writeStdout(out + (process.stdout.isTTY ? '\n' : '')) : writeOutput(target, Buffer.from(out, 'utf8')));
  done('Encryption successful');
}
