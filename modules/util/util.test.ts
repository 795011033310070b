import { describe, expect, it } from 'vitest';
import { TsplayError } from '../../src/errors.js';
import { sysRegistry, res, runFake } from '../../test/harness/system.js';
import { factsFrom } from './set_fact/set-fact.js';

describe('ping', () => {
  it('one command, returns pong (or data)', async () => {
    const a = await runFake('ping', {}, () => res());
    expect(a.commands.map((c) => c.script)).toEqual(['true']);
    expect(a.result).toMatchObject({ changed: false, ping: 'pong' });
    const b = await runFake('ansible.builtin.ping', { data: 'hello' }, () => res());
    expect(b.result.ping).toBe('hello');
  });
  it('fails when the shell (or sudo) fails, and on data=crash', async () => {
    const a = await runFake('ping', {}, () => res('', 1, 'sudo: a password is required'));
    expect(a.result).toMatchObject({ failed: true });
    expect(String(a.result.msg)).toContain('sudo: a password is required');
    const b = await runFake('ping', { data: 'crash' }, () => res());
    expect(b.result).toMatchObject({ failed: true, changed: false, rc: 1, module_stdout: '', msg: 'MODULE FAILURE\nSee stdout/stderr for the exact error' });
    expect(String(b.result.module_stderr)).toContain('Exception: boom');
    expect(b.commands).toHaveLength(0);
  });
});

describe('controller modules never touch the host', () => {
  it.each(['debug', 'set_fact', 'assert', 'fail'])('%s runsOn controller', (name) => {
    expect(sysRegistry.get(name)?.runsOn).toBe('controller');
    expect(sysRegistry.get(`ansible.builtin.${name}`)).toBe(sysRegistry.get(name));
  });
});

describe('debug', () => {
  const none = () => res();
  it('msg (any value), default Hello world!', async () => {
    expect((await runFake('debug', {}, none)).result.msg).toBe('Hello world!');
    expect((await runFake('debug', { msg: ['a', 1] }, none)).result.msg).toEqual(['a', 1]);
  });
  it('var: evaluates the expression; undefined → VARIABLE IS NOT DEFINED!', async () => {
    const a = await runFake('debug', { var: 'x.y' }, none, { evaluate: (e) => (e === 'x.y' ? 42 : undefined) });
    expect(a.result).toMatchObject({ changed: false, 'x.y': 42 });
    const b = await runFake('debug', { var: 'nope' }, none, {
      evaluate: () => {
        throw new TsplayError('undefined-var', "'nope' is undefined");
      },
    });
    expect(b.result.nope).toBe('VARIABLE IS NOT DEFINED!');
    expect(a.commands).toHaveLength(0);
  });
  it('verbosity above the run level skips', async () => {
    const a = await runFake('debug', { msg: 'x', verbosity: 2 }, none, { vars: { ansible_verbosity: 1 } });
    expect(a.result).toMatchObject({ skipped: true });
    const b = await runFake('debug', { msg: 'x', verbosity: '2' }, none, { vars: { ansible_verbosity: 2 } });
    expect(b.result.msg).toBe('x');
  });
  it('msg and var are exclusive', async () => {
    await expect(runFake('debug', { msg: 'a', var: 'b' }, none)).rejects.toThrow(/mutually exclusive/);
  });
});

describe('set_fact', () => {
  it('arbitrary keys become ansible_facts; yes/no strings become booleans; cacheable is not a fact', async () => {
    const a = await runFake('set_fact', { a: 1, b: 'yes', c: 'False', d: { x: [1] }, e: 'text', cacheable: true }, () => res());
    // cacheable: the engine keeps the values as facts too (the fact cache); the marker never reaches a result
    expect(a.result).toEqual({ changed: false, ansible_facts: { a: 1, b: true, c: false, d: { x: [1] }, e: 'text' }, _tsplay_facts_cacheable: true });
    const b = await runFake('set_fact', { a: 'no' }, () => res());
    expect(b.result).toEqual({ changed: false, ansible_facts: { a: false } });
  });
  it('with jinja2_native on, strings stay strings (as ansible-core)', () => {
    expect(factsFrom({ a: 'yes', b: true }, true)).toEqual({ a: 'yes', b: true });
    expect(factsFrom({ a: 'yes' }, false)).toEqual({ a: true });
  });
  it.each([
    [{}, /no variables/],
    [{ 'bad-name': 1 }, /not valid/],
    [{ '1x': 1 }, /not valid/],
  ])('%j rejected', async (args, err) => {
    await expect(runFake('set_fact', args, () => res())).rejects.toThrow(err);
  });
});

describe('assert', () => {
  const cond = (truths: Record<string, boolean>) => (c: unknown) => truths[String(c)] ?? false;
  it('all hold → ok with success_msg', async () => {
    const a = await runFake('assert', { that: ['a', 'b'], success_msg: 'fine' }, () => res(), { condition: cond({ a: true, b: true }) });
    expect(a.result).toMatchObject({ changed: false, msg: 'fine' });
    expect(a.result.failed).toBeUndefined();
  });
  it('first false one fails, named in the result; msg is an alias of fail_msg', async () => {
    const a = await runFake('assert', { that: ['a', 'b', 'c'], msg: 'nope' }, () => res(), { condition: cond({ a: true, b: false }) });
    expect(a.result).toMatchObject({ failed: true, msg: 'nope', assertion: 'b', evaluated_to: false });
    const b = await runFake('assert', { that: 'x' }, () => res(), { condition: cond({}) });
    expect(b.result).toMatchObject({ failed: true, msg: 'Assertion failed', assertion: 'x' });
  });
  it('that is required', async () => {
    await expect(runFake('assert', { fail_msg: 'x' }, () => res())).rejects.toThrow(/missing required argument 'that'/);
  });
});

describe('fail', () => {
  it('fails with msg or the default', async () => {
    expect((await runFake('fail', { msg: 'stop here' }, () => res())).result).toMatchObject({ failed: true, msg: 'stop here', changed: false });
    expect((await runFake('fail', {}, () => res())).result.msg).toBe('Failed as requested from task');
  });
});
