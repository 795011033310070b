/** tsplay schema playbook|inventory [-o FILE] | --dir DIR: JSON Schemas for editors (yaml-language-server). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { schemaText, type SchemaKind } from '../schema-build.js';

export const SCHEMA_USAGE = `usage: tsplay schema playbook|inventory [-o FILE]
       tsplay schema --dir DIR        both: DIR/playbook.schema.json, DIR/inventory.schema.json

Prints a JSON Schema (draft-07) of playbooks or of YAML inventories, made from the modules' argument schemas.
For yaml-language-server (VS Code's YAML extension, ...), make this the first line of a playbook:
  # yaml-language-server: $schema=PATH/TO/playbook.schema.json
The repository's copies are docs/schema/*.json: regenerate them with 'tsplay schema --dir docs/schema'.
`;

const KINDS: readonly SchemaKind[] = ['playbook', 'inventory'];

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export async function schemaCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { output: { type: 'string', short: 'o' }, dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    process.stdout.write(SCHEMA_USAGE);
    return 0;
  }
  if (positionals.length > 1) return usage(`one schema at a time (got ${positionals.join(', ')}); --dir DIR writes both`);
  const kind = positionals[0] as SchemaKind | undefined;
  if (kind !== undefined && !KINDS.includes(kind)) return usage(`unknown schema '${kind}' (playbook or inventory)`);
  if (o.dir !== undefined) {
    if (kind !== undefined || o.output !== undefined) return usage('--dir writes both schemas: give no SCHEMA and no -o');
    for (const k of KINDS) write(join(o.dir, `${k}.schema.json`), schemaText(k));
    return 0;
  }
  if (kind === undefined) {
    process.stderr.write(SCHEMA_USAGE);
    return 5;
  }
  if (o.output !== undefined && o.output !== '-') write(o.output, schemaText(kind));
  else process.stdout.write(schemaText(kind));
  return 0;
}

function usage(msg: string): number {
  process.stderr.write(`tsplay schema: ${msg}\n${SCHEMA_USAGE}`);
  return 5;
}
