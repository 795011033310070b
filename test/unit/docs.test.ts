/**
 * The module reference is generated from the module definitions: the README's module tables and the pages
 * under docs/modules/ must be what `tsplay doc --md --write` makes now, and `tsplay doc` must show what a
 * module's definition holds (nested fields, rules).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { generatedDocs } from '../../src/cli/commands/doc.js';
import { builtinModules } from '../../modules/index.js';
import { ROOT, tsplay } from '../harness/cli.js';

describe('generated module docs', () => {
  const docs = generatedDocs(readFileSync(join(ROOT, 'README.md'), 'utf8'));

  it.each([...docs.keys()])('%s is up to date (run `npm run docs` to regenerate)', (path) => {
    expect(readFileSync(join(ROOT, path), 'utf8')).toBe(docs.get(path));
  });

  it('docs/modules/ holds one page per module and nothing else', () => {
    const pages = readdirSync(join(ROOT, 'docs/modules')).sort();
    expect(pages).toEqual(builtinModules.map((m) => `${m.name}.md`).sort());
  });

  it('the README links every module to its page', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const m of builtinModules) expect(readme).toContain(`[\`${m.name}\`](docs/modules/${m.name}.md)`);
  });
});

describe('tsplay doc', () => {
  it('shows the fields of nested objects and the rules', async () => {
    const r = await tsplay(['doc', 'autofs_map']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}entries\.key: string, required$/m);
    expect(r.stdout).toMatch(/^ {2}entries\.state: "present" \| "absent", default "present"$/m);
    expect(r.stdout).toMatch(/^rules:\n {2}state=present requires mount_point$/m);
  });

  it('prints the rules a module declares, as validation enforces them', async () => {
    const r = await tsplay(['doc', 'ansible.builtin.copy']);
    expect(r.stdout).toContain('  mutually exclusive: src, content\n  one of these is required: src, content\n');
  });

  it('an unknown module: exit 5 and a suggestion', async () => {
    const r = await tsplay(['doc', 'lineinfle']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("unknown module 'lineinfle' (did you mean 'lineinfile'?)");
  });
});
