/**
 * become = sudo. The persistent root shell is started as
 *   sudo -H -S -p <random prompt token> -u USER -- /bin/sh -c '<print ready token>; <read the loop>'
 * (or `sudo -H -n ...` when there is no password). The password goes to sudo's stdin once, when the prompt
 * token shows up on stderr; a second prompt means it was wrong. Success is the random ready token, never
 * sudo's wording; only failures are explained from sudo's messages (run with LC_ALL=C).
 */
import { BecomeError } from '../errors.js';
import { shq } from '../../lib/shell/quote.js';
import { bootstrapCommand } from './shell-protocol.js';

export interface BecomeSpec {
  /** the user to become */
  user: string;
  /** the user sudo runs as (login user), for messages */
  loginUser: string;
  password?: string;
}

/** The command line that starts a become shell (no secret in it). */
export function becomeCommand(spec: BecomeSpec, readyToken: string, promptToken: string): string {
  const auth = spec.password === undefined ? '-n' : `-S -p ${shq(promptToken)}`;
  return `env LC_ALL=C sudo -H ${auth} -u ${shq(spec.user)} -- ${bootstrapCommand(readyToken)}`;
}

export type BecomeFailure = 'no-password' | 'wrong-password' | 'exited';

/** Explain a failed become in one line (the password is never part of it). */
export function becomeFailure(spec: BecomeSpec, host: string, kind: BecomeFailure, stderr: string, detail = ''): BecomeError {
  const who = `${spec.loginUser}@${host}`;
  if (kind === 'wrong-password') return new BecomeError(`sudo: incorrect password for ${who}`);
  if (kind === 'no-password' || /password is required/.test(stderr)) {
    return new BecomeError(`sudo requires a password on ${host}: use -K/--ask-become-pass or ansible_become_password`);
  }
  if (/must have a tty|no tty present/.test(stderr)) {
    const e = new BecomeError(`sudo on ${host} needs a terminal (Defaults requiretty)`);
    e.needsTty = true;
    return e;
  }
  if (/not in the sudoers file/.test(stderr)) {
    return new BecomeError(`sudo: ${spec.loginUser} is not in the sudoers file on ${host}`);
  }
  if (/is not allowed to (execute|run)|may not run sudo/.test(stderr)) {
    return new BecomeError(`sudo: ${spec.loginUser} may not run a shell as ${spec.user} on ${host}`);
  }
  if (/incorrect password attempt|Sorry, try again/.test(stderr)) return new BecomeError(`sudo: incorrect password for ${who}`);
  if (/unknown user/.test(stderr)) return new BecomeError(`sudo: unknown become user ${spec.user} on ${host}`);
  if (/command not found|sudo: not found|No such file/.test(stderr)) return new BecomeError(`sudo is not installed on ${host}`);
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/unable to resolve host/.test(l))
    .slice(0, 3)
    .join(' / ');
  return new BecomeError(`sudo failed on ${host} (${detail || 'exited'})${lines ? `: ${lines}` : ''}`);
}
