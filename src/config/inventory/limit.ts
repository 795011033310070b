/**
 * `--limit` values: host patterns, where `@file` stands for the patterns in a file, one per line
 * (Ansible's InventoryManager.subset; a .retry file works as is).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { TsplayError } from '../../errors.js';
import { splitHostPattern } from './patterns.js';
import { readSourceFile } from '../source-file.js';

export function parseLimit(limit: string | string[], cwd: string = process.cwd()): string[] {
  const out: string[] = [];
  for (const p of splitHostPattern(limit)) {
    if (p[0] !== '@') {
      out.push(p);
      continue;
    }
    const file = resolve(cwd, p.slice(1));
    let isFile: boolean;
    try {
      isFile = statSync(file).isFile();
    } catch {
      throw new TsplayError('options', `Unable to find limit file ${p.slice(1)}`);
    }
    if (!isFile) throw new TsplayError('options', `Limit starting with "@" must be a file, not a directory: ${p.slice(1)}`);
    for (const line of readSourceFile(file, { code: 'options' }).split('\n')) {
      const t = line.trim();
      if (t) out.push(t);
    }
  }
  return out;
}
