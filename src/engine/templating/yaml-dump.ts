/** yaml.dump as PyYAML writes it (what to_yaml / to_nice_yaml give in Ansible): sorted keys, indentless sequences. */
import { Document } from 'yaml';
import { isMapping, PyFloat, pyStr, toPlain } from './py.js';

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number' || v instanceof PyFloat) return pyStr(v);
  const s = String(v);
  const out = new Document(s, { version: '1.1' }).toString({ lineWidth: 0 }).replace(/\n$/, '');
  return out;
}

const isLeaf = (v: unknown) => (Array.isArray(v) ? v : isMapping(v) ? Object.values(v) : []).every((x) => !Array.isArray(x) && !isMapping(x));

function flow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (isMapping(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${scalar(k)}: ${flow(v[k])}`)
      .join(', ')}}`;
  return scalar(v);
}

function block(v: unknown, ind: number, indent: number, flowLeaves: boolean, lines: string[], prefix: string): void {
  const pad = ' '.repeat(ind);
  const empty = (Array.isArray(v) && v.length === 0) || (isMapping(v) && Object.keys(v).length === 0);
  if ((!Array.isArray(v) && !isMapping(v)) || empty || (flowLeaves && isLeaf(v))) {
    lines.push(prefix + flow(v));
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      const first = i === 0 ? prefix : pad;
      const dash = '-' + ' '.repeat(Math.max(1, indent - 1));
      if (Array.isArray(x) || isMapping(x)) block(x, ind + indent, indent, flowLeaves, lines, first + dash);
      else lines.push(first + '- ' + scalar(x));
    });
    return;
  }
  Object.keys(v)
    .sort()
    .forEach((k, i) => {
      const x = v[k];
      const head = (i === 0 ? prefix : pad) + scalar(k) + ':';
      if (
        (Array.isArray(x) || isMapping(x)) &&
        !(flowLeaves && isLeaf(x)) &&
        !((Array.isArray(x) && x.length === 0) || (isMapping(x) && Object.keys(x).length === 0))
      ) {
        lines.push(head);
        // sequences under a mapping are not indented (PyYAML's indentless sequences)
        block(x, Array.isArray(x) ? ind : ind + indent, indent, flowLeaves, lines, ' '.repeat(Array.isArray(x) ? ind : ind + indent));
      } else lines.push(head + ' ' + flow(x));
    });
}

export function pyYamlDump(value: unknown, opts: { indent?: number; nice?: boolean } = {}): string {
  const indent = opts.indent ?? (opts.nice ? 4 : 2);
  const lines: string[] = [];
  const v = toPlain(value);
  block(v, 0, indent, !opts.nice, lines, '');
  let out = lines.join('\n') + '\n';
  if (!Array.isArray(v) && !isMapping(v)) out += '...\n';
  return out;
}
