/**
 * The fact cache across runs, as ansible-core 2.14's: the `memory` plugin (the default: facts live for the run)
 * or `jsonfile`, one JSON file per host in the cache directory, named prefix (default none) + host name, mode 0600, holding the host's
 * facts as the modules returned them (setup's ansible_* keys, set_fact cacheable's keys as given), written as
 * Ansible writes it (sorted keys, indent 4) so Ansible and tsplay can share a cache. A file older than the
 * timeout (seconds, 0: never) is expired. Settings, as ansible-core reads them: ANSIBLE_CACHE_PLUGIN,
 * ANSIBLE_CACHE_PLUGIN_CONNECTION, ANSIBLE_CACHE_PLUGIN_PREFIX, ANSIBLE_CACHE_PLUGIN_TIMEOUT, else ansible.cfg
 * [defaults] fact_caching, fact_caching_connection, fact_caching_prefix, fact_caching_timeout.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { findAnsibleCfg, iniSection } from '../config/ansible-cfg.js';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { TsplayError } from '../errors.js';
import type { Vars } from '../config/playbook-types.js';

export interface FactCacheSettings {
  plugin: string;
  connection?: string;
  prefix: string;
  timeout: number;
}

/** The cache settings: environment first, then ansible.cfg [defaults], then ansible-core's defaults. */
export function factCacheSettings(env: NodeJS.ProcessEnv = process.env, cfgFile = findAnsibleCfg(env)): FactCacheSettings {
  let cfg: Record<string, string> = {};
  if (cfgFile) {
    try {
      cfg = iniSection(readFileSync(cfgFile, 'utf8'), 'defaults');
    } catch {
      cfg = {};
    }
  }
  const pick = (envName: string, key: string): string | undefined => env[envName] || cfg[key] || undefined;
  const timeout = pick('ANSIBLE_CACHE_PLUGIN_TIMEOUT', 'fact_caching_timeout') ?? '86400';
  const t = Number(timeout);
  if (!Number.isInteger(t) || t < 0) throw new TsplayError('options', `fact_caching_timeout: '${timeout}' is not a whole number of seconds`);
  const connection = pick('ANSIBLE_CACHE_PLUGIN_CONNECTION', 'fact_caching_connection');
  return {
    plugin: pick('ANSIBLE_CACHE_PLUGIN', 'fact_caching') ?? 'memory',
    connection: connection?.replace(/^~(?=\/|$)/, homedir()),
    prefix: pick('ANSIBLE_CACHE_PLUGIN_PREFIX', 'fact_caching_prefix') ?? '',
    timeout: t,
  };
}

/** ansible-core's Python json.dumps(value, sort_keys=True, indent=4): keys sorted at every level. */
function sortedJson(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
      const o = x as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .map((k) => [k, sort(o[k])]),
      );
    }
    if (x && typeof x === 'object' && typeof (x as { toJSON?: unknown }).toJSON === 'function') return sort((x as { toJSON(): unknown }).toJSON());
    return x;
  };
  return JSON.stringify(sort(v), null, 4);
}

/** A host's cached facts, across runs. */
export class FactCacheStore {
  private readonly mem = new Map<string, Vars>();

  private constructor(private readonly s: FactCacheSettings & { dir?: string }) {}

  /** The store the settings name; an unknown plugin is ansible-core's error. */
  static open(s: FactCacheSettings): FactCacheStore {
    const name = s.plugin.replace(/^ansible\.(builtin|legacy)\./, '');
    if (name === 'memory') return new FactCacheStore(s);
    if (name !== 'jsonfile')
      throw new TsplayError('options', `Unable to load the facts cache plugin (${s.plugin}).`, { hint: 'tsplay has the memory and jsonfile cache plugins' });
    if (!s.connection)
      throw new TsplayError(
        'options',
        `error, 'jsonfile' cache plugin requires the 'fact_caching_connection' config option to be set (to a writeable directory path)`,
      );
    const dir = resolve(s.connection);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new TsplayError('options', `error in 'jsonfile' cache, configured path (${dir}) does not have necessary permissions (rwx), disabling plugin`, {
        cause: e,
      });
    }
    return new FactCacheStore({ ...s, dir });
  }

  /** Facts outlive the run (jsonfile). */
  get persistent(): boolean {
    return this.s.dir !== undefined;
  }

  /** The file of a host's facts (jsonfile), or undefined (memory). */
  fileOf(host: string): string | undefined {
    return this.s.dir ? join(this.s.dir, `${this.s.prefix}${host}`) : undefined;
  }

  /** The host's cached facts (a copy), or undefined when there are none or they expired. */
  get(host: string): Vars | undefined {
    const hit = this.mem.get(host);
    if (hit) return { ...hit };
    const f = this.fileOf(host);
    if (!f) return undefined;
    let st;
    try {
      st = statSync(f);
    } catch {
      return undefined;
    }
    if (this.s.timeout > 0 && Date.now() / 1000 - st.mtimeMs / 1000 > this.s.timeout) return undefined;
    try {
      const v = JSON.parse(readFileSync(f, 'utf8')) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
      this.mem.set(host, v as Vars);
      return { ...(v as Vars) };
    } catch {
      // as ansible-core's jsonfile: an unreadable file is no cache (it warns and goes on)
      return undefined;
    }
  }

  /** set_host_facts: the facts merged (one level) over the host's cached facts, and written. */
  update(host: string, facts: Vars): void {
    const merged = { ...(this.get(host) ?? {}), ...facts };
    this.mem.set(host, merged);
    const f = this.fileOf(host);
    if (!f) return;
    const tmp = `${f}.tsplay-${process.pid}`;
    writeFileSync(tmp, sortedJson(merged), { mode: 0o600 });
    renameSync(tmp, f);
  }

  /** --flush-cache: the host's cached facts removed. */
  flush(host: string): void {
    this.mem.delete(host);
    const f = this.fileOf(host);
    if (f) rmSync(f, { force: true });
  }
}
