/** EJS template files: locals are the task's variables (lazy Jinja vars resolved on use). */
import ejs from 'ejs';
import { TsplayError } from '../../errors.js';
import { toPlain } from './py.js';
import { TemplateRenderer, type Vars } from './renderer.js';
import { isUndef } from './undefined.js';

function localsOf(vars: Vars, file: string): Record<string, unknown> {
  const r = new TemplateRenderer(vars, { sourceFile: file });
  return new Proxy(vars, {
    get(target, key) {
      if (typeof key !== 'string' || !(key in target)) return Reflect.get(target, key);
      const v = r.lookupVar(key);
      if (isUndef(v)) v.fail();
      return toPlain(v);
    },
  });
}

/** "x.ejs:3:5: foo is not defined" from EJS's multi-line error text. */
function ejsError(e: unknown, text: string, file: string): TsplayError {
  const err = e as Error;
  const msg = String(err.message ?? e);
  const lines = msg.split('\n');
  const head = /:(\d+)$/.exec(lines[0] ?? '');
  const reason = lines.filter((l) => l.trim() !== '').pop() ?? msg;
  const name = /^(\w+) is not defined$/.exec(reason)?.[1] ?? /^'(\w+)' is undefined/.exec(reason)?.[1];
  const all = text.split('\n');
  // errors thrown while reading a local (a lazy var that fails) carry no line: find the first use
  let line = head ? Number(head[1]) : name ? all.findIndex((l) => findName(l, name) >= 0) + 1 || 1 : 1;
  const srcLine = all[line - 1] ?? '';
  let col = name ? findName(srcLine, name) : -1;
  if (col < 0) col = srcLine.indexOf('<%');
  if (line > all.length) line = 1;
  if (col < 0) col = 0;
  const code = e instanceof TsplayError ? e.code : 'template';
  return new TsplayError(code, reason.replace(/^(ReferenceError|TypeError|SyntaxError): /, ''), { source: { file, line, col: col + 1 } });
}

function findName(line: string, name: string): number {
  const re = new RegExp(`(?<![\\w.$])${name}(?![\\w$])`);
  let from = 0;
  for (;;) {
    const open = line.indexOf('<%', from);
    if (open < 0) return -1;
    const close = line.indexOf('%>', open);
    const m = re.exec(line.slice(open, close < 0 ? undefined : close));
    if (m) return open + m.index;
    if (close < 0) return -1;
    from = close;
  }
}

export function renderEjs(text: string, vars: Vars, file: string): string {
  try {
    return ejs.render(text, localsOf(vars, file), { filename: file, async: false }) as string;
  } catch (e) {
    throw ejsError(e, text, file);
  }
}
