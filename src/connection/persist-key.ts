/**
 * Connection persistence across runs (the holder, holder.ts): where its socket lives and what decides whether
 * a kept connection may serve a new run. Everything that decides identity goes into the key; secrets only as
 * hashes (and the key itself never reaches the disk).
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { allEntries } from './host-key.js';
import { hostFieldMatches, lookupName } from './known-hosts.js';
import type { ConnectionTarget } from './types.js';

/** Idle seconds a holder keeps connections without a run (Ansible's ControlPersist default). */
export const DEFAULT_PERSIST_SECS = 60;

export interface PersistOptions {
  /** idle time in ms after the last run before kept connections close and the holder exits */
  idleMs: number;
  /** keep only the SSH connection and the login shell, not the sudo shells */
  noBecome: boolean;
  /** the runtime dir (default runtimeDir()) */
  dir?: string;
  /** note for -v (holder unusable, fallback to direct connections) */
  note?: (msg: string) => void;
}

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

function fileHash(file: string | undefined): string | null {
  if (!file) return null;
  try {
    return sha(readFileSync(file));
  } catch {
    return 'unreadable';
  }
}

/** The known_hosts lines that speak for this host (a changed or added entry gives another key). */
function hostKeyEntries(t: ConnectionTarget): string[] {
  if (t.hostKeyChecking === 'no') return ['no-check'];
  const name = lookupName(t.host, t.port);
  return allEntries(t)
    .filter((e) => e.marker === 'revoked' || hostFieldMatches(e.hosts, name))
    .map((e) => `${e.marker ?? ''} ${e.keyType} ${e.key.toString('base64')}`)
    .sort();
}

/**
 * The identity of a connection: address, port, user, authentication (key file contents, agent socket,
 * password hash), the known_hosts entries for the host, host key policy, liveness settings, become method and
 * a hash of the become password. The become user is per command (one shell per become user on a connection).
 */
export function connectionKey(t: ConnectionTarget, uid = process.getuid?.() ?? -1): string {
  const parts = {
    uid,
    connection: t.connection,
    host: t.host.toLowerCase(),
    port: t.port,
    user: t.user ?? process.env.USER ?? 'root',
    key: fileHash(t.privateKeyFile),
    keyFile: t.privateKeyFile ?? null,
    agent: t.agent ?? null,
    password: t.password !== undefined ? sha(`pw\0${t.password}`) : null,
    hostKeys: hostKeyEntries(t),
    hostKeyChecking: t.hostKeyChecking,
    knownHosts: [t.knownHostsFiles, t.globalKnownHostsFiles],
    connectTimeoutMs: t.connectTimeoutMs,
    keepalive: [t.keepaliveIntervalMs, t.keepaliveCountMax ?? null],
    becomeMethod: t.becomeMethod,
    becomePassword: t.becomePassword !== undefined ? sha(`become\0${t.becomePassword}`) : null,
  };
  return sha(JSON.stringify(parts));
}

/** A dir is private when it is ours and nobody else may enter or write it. */
function privateDir(st: Stats, uid: number): boolean {
  return st.isDirectory() && !st.isSymbolicLink() && st.uid === uid && (st.mode & 0o077) === 0;
}

/**
 * The holder's directory: $TSPLAY_PERSIST_DIR (tests), else tsplay/ under $XDG_RUNTIME_DIR or /run/user/UID,
 * else /tmp/tsplay-UID; created 0700, and refused (null) unless it is a directory owned by us with no access
 * for group or others.
 */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const uid = process.getuid?.() ?? -1;
  let dir: string;
  if (env.TSPLAY_PERSIST_DIR) dir = env.TSPLAY_PERSIST_DIR;
  else {
    const base = [env.XDG_RUNTIME_DIR, `/run/user/${uid}`].find((d) => {
      if (!d) return false;
      try {
        return privateDir(lstatSync(d), uid);
      } catch {
        return false;
      }
    });
    dir = base ? join(base, 'tsplay') : `/tmp/tsplay-${uid}`;
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return privateDir(lstatSync(dir), uid) ? dir : null;
  } catch {
    return null;
  }
}

export const socketPath = (dir: string): string => join(dir, 'holder.sock');
export const tokenPath = (dir: string): string => join(dir, 'holder.token');
export const pidPath = (dir: string): string => join(dir, 'holder.pid');

/** A socket or token file we may trust: ours, the right type, no access for group or others. */
export function privateFile(path: string, kind: 'socket' | 'file'): boolean {
  try {
    const st = lstatSync(path);
    const uid = process.getuid?.() ?? -1;
    return st.uid === uid && (st.mode & 0o077) === 0 && (kind === 'socket' ? st.isSocket() : st.isFile());
  } catch {
    return false;
  }
}
