/**
 * ansible.cfg, found and read as ansible-core finds it, for the few settings tsplay takes from it (fact
 * caching, jinja2_native); an environment variable wins over the file, as in ansible-core.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** ansible.cfg as ansible-core finds it: $ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg. */
export function findAnsibleCfg(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  const candidates = [env.ANSIBLE_CONFIG, join(cwd, 'ansible.cfg'), join(homedir(), '.ansible.cfg'), '/etc/ansible/ansible.cfg'];
  for (const c of candidates) {
    if (!c) continue;
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** One section of an INI file (ansible.cfg): keys lowercased, `;`/`#` comment lines skipped, `key = value` or `key: value`. */
export function iniSection(text: string, section: string): Record<string, string> {
  const out: Record<string, string> = {};
  let inside = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      inside = sec[1]!.trim() === section;
      continue;
    }
    if (!inside) continue;
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (m) out[m[1]!.toLowerCase()] = m[2]!.replace(/\s+[;#].*$/, '').trim();
  }
  return out;
}

/** A [defaults] setting: the environment variable, else ansible.cfg's key, else undefined. */
export function ansibleSetting(envName: string, key: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env[envName]) return env[envName];
  const f = findAnsibleCfg(env);
  if (!f) return undefined;
  try {
    return iniSection(readFileSync(f, 'utf8'), 'defaults')[key] || undefined;
  } catch {
    return undefined;
  }
}

/** ansible-core's boolean() of a setting (yes/no, true/false, on/off, 1/0, y/n, t/f). */
export function settingBool(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  const s = v.trim().toLowerCase();
  if (['1', 'yes', 'true', 'on', 'y', 't'].includes(s)) return true;
  if (['0', 'no', 'false', 'off', 'n', 'f', ''].includes(s)) return false;
  return dflt;
}
