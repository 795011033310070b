/** EJS template files: locals are the task's variables (lazy Jinja vars resolved on use). */
import ejs from 'ejs';
import { TsplayError } from '../../errors.js';
import { toPlain } from './py.js';
import { Renderer, type Vars } from './renderer.js';
import { isUndef } from './undefined.js';

function localsOf(vars: Vars, file: string): Record<string, unknown> {
  const r = new Renderer(vars, { sourceFile: file });
  return new Proxy(vars, {
    get(target, key) {
      if (typeof key !== 'string' || !(key in target)) return Reflect.get(target, key);
      const v = r.lookupVar(key);
      return isUndef(v) ? undefined : toPlain(v);
    },
  });
}

/** "x.ejs:3:5: foo is not defined" from EJS's multi-line error text. */
function ejsError(e: unknown, text: string, file: string): TsplayError {
  if (e instanceof TsplayError) {
    if (!e.source) e.source = { file, line: 1, col: 1 };
    return e;
  }
  const err = e as Error;
  const msg = String(err.message ?? e);
  const lines = msg.split('\n');
  const head = /:(\d+)$/.exec(lines[0] ?? '');
  const reason = lines.filter((l) => l.trim() !== '').pop() ?? msg;
  let line = head ? Number(head[1]) : 1;
  if (!head) {
    // compile errors: "Could not find matching close tag for "<%"." — point at the first unclosed tag
    const m = /while compiling ejs/.test(msg) ? null : null;
    void m;
  }
  const srcLine = text.split('\n')[line - 1] ?? '';
  const name = /^(\w+) is not defined$/.exec(reason)?.[1];
  let col = name ? findName(srcLine, name) : -1;
  if (col < 0) col = srcLine.indexOf('<%');
  if (line > text.split('\n').length) line = 1;
  return new TsplayError('template', reason.replace(/^(ReferenceError|TypeError|SyntaxError): /, ''), { source: { file, line, col: col + 1 } });
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
