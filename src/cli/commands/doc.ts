/**
 * tsplay doc [MODULE] [--json] [--md [--write]]: the module list, one module's reference (arguments from its
 * TypeBox schema, nested objects, rules, returns, examples), or the Markdown of the README's module tables and
 * of docs/modules/. `--md --write` rewrites both in the source tree (a test fails when they drift).
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModuleRegistry } from '../../contract/registry.js';
import { builtinModules, moduleFamilies } from '../../../modules/index.js';
import { packageRoot } from '../../lab/paths.js';
import { familiesMarkdown, moduleMarkdown, moduleText, replaceReadmeBlock } from '../module-doc.js';

/** Every generated file: path relative to the package root → content. */
export function generatedDocs(readme: string): Map<string, string> {
  const out = new Map<string, string>();
  const block = replaceReadmeBlock(readme, familiesMarkdown(moduleFamilies));
  if (block === undefined) throw new Error('README.md has no module-table markers');
  out.set('README.md', block);
  for (const m of builtinModules) out.set(`docs/modules/${m.name}.md`, moduleMarkdown(m));
  return out;
}

function writeDocs(): number {
  const root = packageRoot();
  const docs = generatedDocs(readFileSync(join(root, 'README.md'), 'utf8'));
  const dir = join(root, 'docs/modules');
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith('.md') && !docs.has(`docs/modules/${f}`)) rmSync(join(dir, f));
  for (const [p, text] of docs) writeFileSync(join(root, p), text);
  process.stdout.write(`wrote README.md's module tables and ${docs.size - 1} pages under docs/modules/\n`);
  return 0;
}

export async function docCommand(argv: string[]): Promise<number> {
  const reg = new ModuleRegistry(builtinModules);
  const md = argv.includes('--md');
  const name = argv.find((a) => !a.startsWith('-'));
  if (md && argv.includes('--write')) return writeDocs();
  if (!name) {
    if (md) process.stdout.write(familiesMarkdown(moduleFamilies));
    else for (const m of reg.modules()) process.stdout.write(`${m.name.padEnd(22)} ${m.description}\n`);
    return 0;
  }
  const m = reg.get(name);
  if (!m) {
    const near = reg.suggest(name);
    process.stderr.write(`tsplay doc: unknown module '${name}'${near ? ` (did you mean '${near}'?)` : ''}\n`);
    return 5;
  }
  if (argv.includes('--json')) process.stdout.write(JSON.stringify(m.args, null, 2) + '\n');
  else process.stdout.write(md ? moduleMarkdown(m) : moduleText(m));
  return 0;
}
