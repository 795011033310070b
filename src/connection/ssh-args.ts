/**
 * The parts of ansible_ssh_common_args / ansible_ssh_extra_args that tsplay honours, so one inventory works
 * for Ansible and tsplay: -o UserKnownHostsFile / GlobalKnownHostsFile / StrictHostKeyChecking /
 * ConnectTimeout / ServerAliveInterval / ServerAliveCountMax / Port / User / IdentityFile, and -p / -l / -i.
 * Everything else is ignored.
 */
import type { ConnectionTarget } from './types.js';

export interface SshArgOverrides {
  knownHostsFiles?: string[];
  globalKnownHostsFiles?: string[];
  hostKeyChecking?: ConnectionTarget['hostKeyChecking'];
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  port?: number;
  user?: string;
  privateKeyFile?: string;
}

/** Split like a POSIX shell (quotes and backslashes), no expansion. */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const j = s.indexOf("'", i + 1);
      const end = j < 0 ? s.length : j;
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1]!)) i++;
        cur += s[i++];
      }
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

function strictValue(v: string): ConnectionTarget['hostKeyChecking'] | undefined {
  switch (v.toLowerCase()) {
    case 'yes':
    case 'ask':
    case 'true':
      return 'strict';
    case 'accept-new':
      return 'accept-new';
    case 'no':
    case 'off':
    case 'false':
      return 'no';
  }
  return undefined;
}

/** First value wins, as in OpenSSH. */
function applyOption(o: SshArgOverrides, key: string, value: string, home: string): void {
  const one: SshArgOverrides = {};
  setOption(one, key, value, home);
  for (const [k, v] of Object.entries(one)) {
    if (o[k as keyof SshArgOverrides] === undefined) (o as Record<string, unknown>)[k] = v;
  }
}

function setOption(o: SshArgOverrides, key: string, value: string, home: string): void {
  const files = (): string[] => splitWords(value).map((f) => (f.startsWith('~/') ? home + f.slice(1) : f));
  switch (key.toLowerCase()) {
    case 'userknownhostsfile':
      o.knownHostsFiles = value.toLowerCase() === 'none' ? [] : files();
      break;
    case 'globalknownhostsfile':
      o.globalKnownHostsFiles = value.toLowerCase() === 'none' ? [] : files();
      break;
    case 'stricthostkeychecking': {
      const v = strictValue(value);
      if (v) o.hostKeyChecking = v;
      break;
    }
    case 'connecttimeout':
      if (/^\d+$/.test(value)) o.connectTimeoutMs = Number(value) * 1000;
      break;
    case 'serveraliveinterval':
      if (/^\d+$/.test(value)) o.keepaliveIntervalMs = Number(value) * 1000;
      break;
    case 'serveralivecountmax':
      if (/^\d+$/.test(value)) o.keepaliveCountMax = Number(value);
      break;
    case 'port':
      if (/^\d+$/.test(value)) o.port = Number(value);
      break;
    case 'user':
      o.user = value;
      break;
    case 'identityfile':
      o.privateKeyFile = files()[0];
      break;
  }
}

/** Parse ssh command-line arguments (the first value of an option wins, as in OpenSSH). */
export function parseSshArgs(args: string, home: string): SshArgOverrides {
  const o: SshArgOverrides = {};
  const w = splitWords(args);
  for (let i = 0; i < w.length; i++) {
    const a = w[i]!;
    let opt: string | undefined;
    if (a === '-o') opt = w[++i];
    else if (a.startsWith('-o')) opt = a.slice(2);
    if (opt !== undefined) {
      const m = /^([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/.exec(opt.trim());
      if (m) applyOption(o, m[1]!, m[2]!.trim(), home);
      else if (/^[A-Za-z]+$/.test(opt) && w[i + 1] !== undefined) applyOption(o, opt, w[++i]!, home);
      continue;
    }
    const flag = /^-([pli])(.*)$/.exec(a);
    if (flag) {
      const v = flag[2] || w[++i];
      if (v === undefined) continue;
      if (flag[1] === 'p') applyOption(o, 'port', v, home);
      if (flag[1] === 'l') applyOption(o, 'user', v, home);
      if (flag[1] === 'i') applyOption(o, 'identityfile', v, home);
    }
  }
  return o;
}
