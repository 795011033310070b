/** tsplay doc [MODULE]: the module list, or one module's arguments from its TypeBox schema. */
import { ModuleRegistry } from '../../contract/registry.js';
import { builtinModules } from '../../../modules/index.js';
import type { TSchema } from '@sinclair/typebox';

function typeOf(s: TSchema): string {
  if (s.enum) return (s.enum as unknown[]).join('|');
  if (s.const !== undefined) return JSON.stringify(s.const);
  const alts = (s.anyOf ?? s.oneOf) as TSchema[] | undefined;
  if (alts) return alts.map(typeOf).join(' | ');
  if (s.type === 'array') return `list of ${typeOf((s.items ?? {}) as TSchema)}`;
  return String(s.type ?? 'any');
}

export async function docCommand(argv: string[]): Promise<number> {
  const reg = new ModuleRegistry(builtinModules);
  const name = argv.find((a) => !a.startsWith('-'));
  if (!name) {
    for (const m of reg.modules()) process.stdout.write(`${m.name.padEnd(22)} ${m.description}\n`);
    return 0;
  }
  const m = reg.get(name);
  if (!m) {
    const near = reg.suggest(name);
    process.stderr.write(`tsplay doc: unknown module '${name}'${near ? ` (did you mean '${near}'?)` : ''}\n`);
    return 5;
  }
  if (argv.includes('--json')) {
    process.stdout.write(JSON.stringify(m.args, null, 2) + '\n');
    return 0;
  }
  const props = (m.args as { properties?: Record<string, TSchema>; required?: string[] }).properties ?? {};
  const required = new Set((m.args as { required?: string[] }).required ?? []);
  const out: string[] = [`${m.name} — ${m.description}`];
  if (m.aliases?.length) out.push(`aliases: ${m.aliases.join(', ')}`);
  out.push('', 'arguments:');
  for (const [k, s] of Object.entries(props)) {
    const aliases = Object.entries(m.argAliases ?? {}).filter(([, v]) => v === k).map(([a]) => a);
    const def = s.default !== undefined ? ` (default ${JSON.stringify(s.default)})` : '';
    out.push(`  ${k}${required.has(k) && s.default === undefined ? ' (required)' : ''}: ${typeOf(s)}${def}${aliases.length ? ` [aliases: ${aliases.join(', ')}]` : ''}`);
    if (s.description) out.push(`      ${s.description}`);
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
