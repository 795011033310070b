/** ansible.builtin.pipe: each term is a shell command run on the controller (/bin/sh, in the playbook's directory). */
import { spawnSync } from 'node:child_process';
import type { EvalEnv } from './evaluate.js';
import { pyStr } from './py.js';

/** The controller's lookup plugins that run commands (beside globals.ts' list). */
export const COMMAND_LOOKUPS = ['pipe'];

/** Ansible's pipe lookup: stdout with trailing whitespace stripped; a non-zero rc is an error (stderr passes through). */
export function pipeLookup(env: EvalEnv, terms: unknown[]): string[] {
  const pd = env.lookupVar('playbook_dir');
  const cwd = typeof pd === 'string' && pd ? pd : env.baseDir;
  return terms.map((t) => {
    const term = pyStr(t);
    const r = spawnSync('/bin/sh', ['-c', term], { encoding: 'utf8', cwd, stdio: ['pipe', 'pipe', 'inherit'] });
    if (r.error) throw new Error(`lookup_plugin.pipe(${term}) could not run: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`lookup_plugin.pipe(${term}) returned ${r.status ?? 1}`);
    return r.stdout.replace(/\s+$/, '');
  });
}
