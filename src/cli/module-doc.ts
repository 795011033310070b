/**
 * Module reference from the module definitions themselves: arguments from the TypeBox schema (which is also
 * what validates them), nested objects included, the declarative rules, examples and returned values.
 * Plain text for `tsplay doc MODULE`, Markdown for the README's tables and docs/modules/ (`tsplay doc --md`).
 */
import type { TSchema } from '@sinclair/typebox';
import type { AnyModule, ArgRules } from '../contract/define.js';
import type { ModuleFamily } from '../../modules/index.js';

type ObjectSchema = TSchema & { properties?: Record<string, TSchema>; required?: string[] };

/** A schema's type in a few words: `string`, `list of object`, `"present" | "absent"`. */
export function typeOf(s: TSchema): string {
  if (s.enum) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  const alts = (s.anyOf ?? s.oneOf) as TSchema[] | undefined;
  if (alts) return [...new Set(alts.map(typeOf))].join(' | ');
  if (s.type === 'array') return `list of ${typeOf((s.items ?? {}) as TSchema)}`;
  if (Array.isArray(s.type)) return (s.type as string[]).join(' | ');
  return String(s.type ?? 'any');
}

/** The object schema an argument holds, directly or as the items of a list (or one branch of a union). */
function nestedObject(s: TSchema): ObjectSchema | undefined {
  const o = (s.type === 'array' ? s.items : s) as TSchema | undefined;
  if (!o) return undefined;
  if (o.type === 'object' && o.properties) return o as ObjectSchema;
  const alts = (o.anyOf ?? o.oneOf) as TSchema[] | undefined;
  return alts?.map(nestedObject).find((x) => x !== undefined);
}

/** One argument (and its fields, if it holds objects), as the text and Markdown renderers both need it. */
export interface ArgDoc {
  name: string;
  type: string;
  required: boolean;
  default?: unknown;
  aliases: string[];
  description?: string;
  fields: ArgDoc[];
}

export function argDocs(schema: TSchema, argAliases: Readonly<Record<string, string>> = {}): ArgDoc[] {
  const o = schema as ObjectSchema;
  const required = new Set(o.required ?? []);
  return Object.entries(o.properties ?? {}).map(([name, s]) => {
    const nested = nestedObject(s);
    return {
      name,
      type: typeOf(s),
      required: required.has(name) && s.default === undefined,
      ...(s.default !== undefined ? { default: s.default } : {}),
      aliases: Object.entries(argAliases)
        .filter(([, v]) => v === name)
        .map(([a]) => a),
      ...(typeof s.description === 'string' ? { description: s.description } : {}),
      fields: nested ? argDocs(nested) : [],
    };
  });
}

/** The rules in words, one line each. */
export function ruleLines(r: ArgRules | undefined): string[] {
  if (!r) return [];
  return [
    ...(r.mutuallyExclusive ?? []).map((g) => `mutually exclusive: ${g.join(', ')}`),
    ...(r.requiredOneOf ?? []).map((g) => `one of these is required: ${g.join(', ')}`),
    ...(r.requiredTogether ?? []).map((g) => `all or none of: ${g.join(', ')}`),
    ...(r.requiredIf ?? []).map((x) => `${x.arg}=${String(x.is)} requires ${x.anyOf ? 'one of: ' : ''}${x.then.join(', ')}`),
    ...Object.entries(r.requiredBy ?? {}).map(([k, v]) => `${k} requires ${(v ?? []).join(', ')}`),
  ];
}

function argHead(a: ArgDoc): string {
  const parts = [a.type];
  if (a.required) parts.push('required');
  if (a.default !== undefined) parts.push(`default ${JSON.stringify(a.default)}`);
  if (a.aliases.length) parts.push(`aliases: ${a.aliases.join(', ')}`);
  return parts.join(', ');
}

/** Fields of nested objects as `entries.key` (of each item, for a list), under their argument. */
function textArgs(args: ArgDoc[], prefix = ''): string[] {
  return args.flatMap((a) => [
    `  ${prefix}${a.name}: ${argHead(a)}`,
    ...(a.description ? [`      ${a.description}`] : []),
    ...textArgs(a.fields, `${prefix}${a.name}.`),
  ]);
}

/** `tsplay doc MODULE`. */
export function moduleText(m: AnyModule): string {
  const out = [`${m.name} — ${m.description}`];
  if (m.aliases?.length) out.push(`aliases: ${m.aliases.join(', ')}`);
  out.push('', 'arguments:', ...textArgs(argDocs(m.args, m.argAliases)));
  const rules = ruleLines(m.rules);
  if (rules.length) out.push('', 'rules:', ...rules.map((r) => `  ${r}`));
  const ignored = Object.entries(m.acceptedArgs ?? {});
  if (ignored.length) out.push('', 'accepted for Ansible compatibility, without effect (a warning says so):', ...ignored.map(([k, v]) => `  ${k}: ${v}`));
  if (m.returns && Object.keys(m.returns).length) out.push('', 'returns:', ...Object.entries(m.returns).map(([k, v]) => `  ${k}: ${v}`));
  if (m.examples)
    out.push(
      '',
      'examples:',
      ...m.examples
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  return out.join('\n') + '\n';
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function mdArgs(args: ArgDoc[], prefix = ''): string[] {
  return args.flatMap((a) => [
    `| \`${prefix}${a.name}\` | ${cell(a.type)} | ${a.required ? 'yes' : ''} | ${a.default !== undefined ? `\`${cell(JSON.stringify(a.default))}\`` : ''} | ${cell([a.description ?? '', a.aliases.length ? `(aliases: ${a.aliases.join(', ')})` : ''].filter(Boolean).join(' '))} |`,
    ...mdArgs(a.fields, `${prefix}${a.name}.`),
  ]);
}

/** docs/modules/NAME.md. */
export function moduleMarkdown(m: AnyModule): string {
  const out = [`# ${m.name}`, '', m.description + '.', ''];
  if (m.aliases?.length) out.push(`Also: ${m.aliases.map((a) => `\`${a}\``).join(', ')}.`, '');
  out.push(
    '## Arguments',
    '',
    '| argument | type | required | default | description |',
    '| --- | --- | --- | --- | --- |',
    ...mdArgs(argDocs(m.args, m.argAliases)),
    '',
  );
  const rules = ruleLines(m.rules);
  if (rules.length) out.push('## Rules', '', ...rules.map((r) => `- ${r}`), '');
  const ignored = Object.entries(m.acceptedArgs ?? {});
  if (ignored.length)
    out.push(
      '## Accepted without effect',
      '',
      "Ansible's module takes these; tsplay accepts them so the task runs, and warns that they have no effect.",
      '',
      ...ignored.map(([k, v]) => `- \`${k}\`: ${v}`),
      '',
    );
  if (m.returns && Object.keys(m.returns).length)
    out.push('## Returns', '', '| key | meaning |', '| --- | --- |', ...Object.entries(m.returns).map(([k, v]) => `| \`${k}\` | ${cell(v)} |`), '');
  if (m.examples) out.push('## Examples', '', '```yaml', m.examples.trimEnd(), '```', '');
  out.push(`Generated by \`tsplay doc --md --write\` from modules/; do not edit by hand.`, '');
  return out.join('\n');
}

export const README_BEGIN = '<!-- modules: generated by `tsplay doc --md --write`; do not edit by hand -->';
export const README_END = '<!-- /modules -->';

/** The README's module tables, one per family, each name linking to its page under docs/modules/. */
export function familiesMarkdown(families: readonly ModuleFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`**${f.title}** (modules/${f.family}/)`, '', '| module | what it does |', '| --- | --- |');
    for (const m of f.modules) out.push(`| [\`${m.name}\`](docs/modules/${m.name}.md) | ${cell(m.description)} |`);
    out.push('');
  }
  return out.join('\n').trimEnd() + '\n';
}

/** README text with the block between the markers replaced by `block`; undefined when the markers are missing. */
export function replaceReadmeBlock(readme: string, block: string): string | undefined {
  const a = readme.indexOf(README_BEGIN);
  const b = readme.indexOf(README_END);
  if (a < 0 || b < a) return undefined;
  return `${readme.slice(0, a + README_BEGIN.length)}\n\n${block}\n${readme.slice(b)}`;
}
