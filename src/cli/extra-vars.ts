/** -e / --extra-vars: `k=v k2=v2`, `@file.yml|json`, or an inline YAML/JSON mapping. Later ones win. */
import { resolve } from 'node:path';
import { TsplayError } from '../errors.js';
import { loadYamlFile, parseYaml } from '../config/yaml.js';
import { parseKv } from '../config/kv.js';
import type { Vars } from '../config/playbook-types.js';

export function parseExtraVars(values: string[]): Vars {
  const out: Vars = {};
  for (const v of values) {
    const s = v.trim();
    if (s.startsWith('@')) {
      const data = loadYamlFile(resolve(s.slice(1)));
      if (data == null) continue;
      if (typeof data !== 'object' || Array.isArray(data)) throw new TsplayError('options', `-e ${s}: the file must hold a mapping`);
      Object.assign(out, data);
    } else if (s.startsWith('{') || s.startsWith('---')) {
      const data = parseYaml(s, '<extra vars>');
      if (data == null || typeof data !== 'object' || Array.isArray(data)) throw new TsplayError('options', `-e: expected a mapping, got ${s}`);
      Object.assign(out, data);
    } else if (s) {
      try {
        Object.assign(out, parseKv(s).args);
      } catch (e) {
        throw new TsplayError('options', `-e ${s}: ${(e as Error).message}`);
      }
    }
  }
  return out;
}
