/**
 * SSH user authentication attempts, in OpenSSH's order: the given key file, ssh-agent, the default key
 * files (only when no key file was given), then password and keyboard-interactive (when a password is set).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type AnyAuthMethod, type AuthenticationType, type AuthHandlerMiddleware, type ParsedKey } from 'ssh2';

const { utils } = ssh2;
import { UnreachableError } from '../errors.js';
import type { ConnectionTarget } from './types.js';

type Attempt = AnyAuthMethod;

const keyCache = new Map<string, ParsedKey | { encrypted: true }>();

/** Read and parse a private key file once per process. */
function loadKey(file: string): ParsedKey | { encrypted: true } {
  const hit = keyCache.get(file);
  if (hit) return hit;
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    throw new UnreachableError(`cannot read private key file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const res = utils.parseKey(data);
  let parsed: ParsedKey | { encrypted: true };
  if (res instanceof Error) {
    if (/encrypted|passphrase/i.test(res.message)) parsed = { encrypted: true };
    else throw new UnreachableError(`cannot use private key file ${file}: ${res.message}`);
  } else parsed = Array.isArray(res) ? res[0]! : res;
  keyCache.set(file, parsed);
  return parsed;
}

function keyAttempt(user: string, file: string): Attempt | null {
  const k = loadKey(file);
  if ('encrypted' in k) return null;
  return { type: 'publickey', username: user, key: k };
}

export interface AuthPlan {
  handler: AuthHandlerMiddleware;
  /** what was tried, for the failure message */
  describe(): string;
}

export function authPlan(t: ConnectionTarget, user: string): AuthPlan {
  const attempts: { attempt: Attempt; label: string }[] = [];
  if (t.privateKeyFile !== undefined) {
    const a = keyAttempt(user, t.privateKeyFile);
    if (a) attempts.push({ attempt: a, label: `publickey ${t.privateKeyFile}` });
    else if (!t.agent) {
      throw new UnreachableError(`private key ${t.privateKeyFile} is passphrase protected: load it into ssh-agent (ssh-add)`);
    }
  }
  if (t.agent) attempts.push({ attempt: { type: 'agent', username: user, agent: t.agent }, label: 'ssh-agent' });
  if (t.privateKeyFile === undefined) {
    for (const n of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
      const f = join(homedir(), '.ssh', n);
      if (!existsSync(f)) continue;
      const a = keyAttempt(user, f);
      if (a) attempts.push({ attempt: a, label: `publickey ${f}` });
    }
  }
  if (t.password !== undefined) {
    const password = t.password;
    attempts.push({ attempt: { type: 'password', username: user, password }, label: 'password' });
    attempts.push({
      attempt: {
        type: 'keyboard-interactive',
        username: user,
        prompt: (_name, _instr, _lang, prompts, finish) => finish(prompts.map(() => password)),
      },
      label: 'keyboard-interactive',
    });
  }
  const tried: string[] = [];
  let i = 0;
  const handler: AuthHandlerMiddleware = (methodsLeft, _partial, next) => {
    while (i < attempts.length) {
      const { attempt, label } = attempts[i++]!;
      const method = attempt.type === 'agent' ? 'publickey' : attempt.type;
      if (methodsLeft && !methodsLeft.includes(method as AuthenticationType)) continue;
      tried.push(label);
      return next(attempt);
    }
    return next(false as never);
  };
  return {
    handler,
    describe: () => (tried.length ? tried.join(', ') : attempts.length ? 'no method the server accepts' : 'no key, agent or password'),
  };
}
