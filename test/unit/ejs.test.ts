/** EJS template files: locals are the variables (lazy Jinja vars resolved), errors as file:line:col. */
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { renderTemplateFile } from '../../src/engine/templating/index.js';
import { TsplayError } from '../../src/errors.js';
import { fixturesDir } from '../fixtures/templates/conformance.js';

describe('EJS templates', () => {
  test('renders with the variables as locals; lazy {{ }} vars are resolved', async () => {
    const out = await renderTemplateFile(join(fixturesDir, 'hosts.ejs'), {
      hosts: [
        { ip: '10.0.0.1', name: 'a' },
        { ip: '10.0.0.2', name: 'b' },
      ],
      who: 'world',
      greeting: 'hello {{ who }}',
    });
    expect(out).toBe('# managed by tsplay\n10.0.0.1\ta\n10.0.0.2\tb\ngreeting=hello world\n');
  });

  test('an undefined local is file:line:col: name is not defined (no stack)', async () => {
    const file = join(fixturesDir, 'bad.ejs');
    const e = await renderTemplateFile(file, {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TsplayError);
    expect((e as TsplayError).format()).toBe(`${file}:3:11: foo is not defined`);
    expect((e as TsplayError).format()).not.toMatch(/\n\s+at /);
  });

  test('a missing template file is a clear error', async () => {
    const e = await renderTemplateFile(join(fixturesDir, 'nope.ejs'), {}).catch((x: unknown) => x);
    expect((e as TsplayError).message).toMatch(/^cannot read template .*nope\.ejs: ENOENT/);
  });

  test('a lazy var that fails names the variable and the file', async () => {
    const file = join(fixturesDir, 'hosts.ejs');
    const e = await renderTemplateFile(file, { hosts: [], greeting: '{{ nope | lower }}' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TsplayError);
    expect((e as TsplayError).format()).toBe(`${file}:5:14: 'greeting' is undefined ('nope' is undefined)`);
  });
});
