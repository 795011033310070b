import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSmartHost, currentSmartHost, dsOf, editMc, smartHostLine } from './sendmail-mc.js';
import { sendmailSmarthost, cfStateFact } from './sendmail-smarthost.js';
import { validateArgs } from '../../../src/contract/validate.js';
import { FakeHost } from '../../../test/harness/fake-host.js';
import { checkOn, runs, writes } from '../../../test/harness/files.js';
import { moduleContext } from '../../../test/harness/modules.js';

const fx = (f: string) => readFileSync(join(import.meta.dirname, '../../../test/fixtures/cloudnode', f), 'utf8');
const DEBIAN = fx('sendmail.debian12.mc');
const EL = fx('sendmail.el8-excerpt.mc');
const LINE = "define(`SMART_HOST', `mail.cluster.example.com')dnl";

describe('smart_host values', () => {
  it.each(['mail.cluster.example.com', '[10.1.2.3]', '[mail.cluster.example.com]', 'relay:[10.1.2.3]', 'esmtp:mail.example.org', '[IPv6:2001:db8::25]'])(
    'accepts %s',
    (v) => {
      expect(() => checkSmartHost(v)).not.toThrow();
    },
  );
  it.each([
    ['10.1.2.3', /bare address: write it as \[10\.1\.2\.3\]/],
    ["mail'x.example", /quotes/],
    ['mail example', /quotes or blanks/],
    ['bogus:mail.example', /unknown mailer 'bogus:'/],
    ['[300.1.1.1]', /not \[address\]/],
    ['-mail', /not a host name/],
  ])('rejects %s', (v, msg) => {
    expect(() => checkSmartHost(v)).toThrow(msg);
  });
  it('is required with state=present, optional with absent', () => {
    expect(() => validateArgs(sendmailSmarthost, {})).toThrow(/state is present but all of the following are missing: smart_host/);
    expect(() => validateArgs(sendmailSmarthost, { state: 'absent' })).not.toThrow();
  });
});

describe('sendmail.mc edits', () => {
  it('Debian: inserts the define right before MAILER_DEFINITIONS', () => {
    const e = editMc(DEBIAN, 'mail.cluster.example.com');
    expect(e.edit).toBe('inserted');
    const lines = e.content.split('\n');
    const i = lines.indexOf(LINE);
    expect(lines[i + 1]).toBe('MAILER_DEFINITIONS');
    expect(e.content.replace(LINE + '\n', '')).toBe(DEBIAN);
    expect(currentSmartHost(e.content)).toBe('mail.cluster.example.com');
  });
  it('Red Hat: uncomments the example line in place', () => {
    const e = editMc(EL, '[10.1.2.3]');
    expect(e.edit).toBe('uncommented');
    expect(e.content).toBe(EL.replace("dnl define(`SMART_HOST', `smtp.your.provider')dnl", "define(`SMART_HOST', `[10.1.2.3]')dnl"));
  });
  it('replaces an existing define and drops later ones (the last define wins in m4)', () => {
    const mc = `a\ndefine(\`SMART_HOST', \`old.example')dnl\nb\n define(\`SMART_HOST',\`older.example')\nMAILER(smtp)dnl\n`;
    const e = editMc(mc, 'mail.cluster.example.com');
    expect(e).toEqual({ edit: 'replaced', content: `a\n${LINE}\nb\nMAILER(smtp)dnl\n` });
    expect(currentSmartHost(mc)).toBe('older.example');
  });
  it('is unchanged when the exact line is there once', () => {
    const mc = editMc(DEBIAN, 'mail.cluster.example.com').content;
    expect(editMc(mc, 'mail.cluster.example.com')).toEqual({ edit: 'unchanged', content: mc });
  });
  it('appends when there is no MAILER line; removes with null', () => {
    expect(editMc('divert(0)dnl\n', 'x.example')).toEqual({ edit: 'appended', content: "divert(0)dnl\ndefine(`SMART_HOST', `x.example')dnl\n" });
    const withIt = editMc(DEBIAN, 'x.example').content;
    expect(editMc(withIt, null)).toEqual({ edit: 'removed', content: DEBIAN });
    expect(editMc(DEBIAN, null).edit).toBe('unchanged');
  });
  it('reads the DS line of a built sendmail.cf', () => {
    expect(dsOf('V10/Berkeley\n# "Smart" relay host (may be null)\nDS\n')).toBe('');
    expect(dsOf('DS[10.1.2.3]\n')).toBe('[10.1.2.3]');
    expect(dsOf('no such line\n')).toBeNull();
    expect(smartHostLine('relay:[a.b]')).toBe("define(`SMART_HOST', `relay:[a.b]')dnl");
  });
  it('parses the cf fact output', () => {
    const r = (stdout: string) => cfStateFact.parse({ rc: 0, stdout, stderr: '', stdoutBuf: Buffer.from(stdout) }, '/etc/mail/sendmail.cf');
    expect(r('mode=644\nds=DSmail.x\n')).toEqual({ exists: true, mode: 0o644, ds: 'mail.x' });
    expect(r('mode=640\n')).toEqual({ exists: true, mode: 0o640, ds: null });
    expect(r('')).toEqual({ exists: false, mode: 0o644, ds: null });
  });
});

describe('sendmail_smarthost check() on canned hosts', () => {
  const host = (mc: string, ds: string | null) =>
    new FakeHost({ files: { '/etc/mail/sendmail.mc': { type: 'file', content: mc } }, facts: { 'sendmail.cf_ds': () => ({ exists: true, mode: 0o644, ds }) } });

  it('edits the .mc and rebuilds when both are old', async () => {
    const c = await checkOn(host(DEBIAN, ''), sendmailSmarthost, { smart_host: 'mail.cluster.example.com' });
    if (!c.changed) throw new Error('expected a change');
    expect(c.summary).toBe('inserted SMART_HOST in /etc/mail/sendmail.mc, rebuild /etc/mail/sendmail.cf');
    const p = c.plan as unknown as { mcSteps: never[]; ds: string };
    expect(writes(p.mcSteps)).toEqual({ '/etc/mail/sendmail.mc': editMc(DEBIAN, 'mail.cluster.example.com').content });
    expect(p.ds).toBe('mail.cluster.example.com');
    expect(c.diff?.[1]).toMatchObject({ before: 'DS\n', after: 'DSmail.cluster.example.com\n' });
  });

  it('detects an .mc edited but never rebuilt: only the rebuild is planned', async () => {
    const mc = editMc(DEBIAN, 'mail.cluster.example.com').content;
    const c = await checkOn(host(mc, ''), sendmailSmarthost, { smart_host: 'mail.cluster.example.com' });
    if (!c.changed) throw new Error('expected a change');
    expect((c.plan as unknown as { mcSteps: unknown[] }).mcSteps).toEqual([]);
    expect(c.summary).toMatch(/^rebuild \/etc\/mail\/sendmail\.cf \(DS is '', .* says 'mail\.cluster\.example\.com'\)/);
  });

  it('is ok when the .mc has the define and the built cf the DS line', async () => {
    const mc = editMc(DEBIAN, 'mail.cluster.example.com').content;
    const c = await checkOn(host(mc, 'mail.cluster.example.com'), sendmailSmarthost, { smart_host: 'mail.cluster.example.com' });
    expect(c.changed).toBe(false);
    expect(c.result).toMatchObject({ previous: 'mail.cluster.example.com', ds_before: 'mail.cluster.example.com' });
  });

  it('state=absent removes the define and expects an empty DS', async () => {
    const mc = editMc(DEBIAN, '[10.1.2.3]').content;
    const c = await checkOn(host(mc, '[10.1.2.3]'), sendmailSmarthost, { state: 'absent' });
    if (!c.changed) throw new Error('expected a change');
    expect((c.plan as unknown as { ds: string }).ds).toBe('');
    expect(await checkOn(host(DEBIAN, ''), sendmailSmarthost, { state: 'absent' })).toMatchObject({ changed: false });
  });

  it('a missing sendmail.mc says what to install', async () => {
    const h = new FakeHost({
      files: { '/etc/mail/x': { type: 'file', content: '' } },
      facts: { 'sendmail.cf_ds': () => ({ exists: false, mode: 0o644, ds: null }) },
    });
    await expect(checkOn(h, sendmailSmarthost, { smart_host: 'a.example' })).rejects.toThrow(/sendmail\.mc not found: install sendmail and sendmail-cf/);
  });

  it('apply (m4): m4 into a temp file, then an atomic write validated on the DS line, temp removed', async () => {
    const h = host(DEBIAN, '');
    const { ctx } = moduleContext(h, { become: true, diff: true });
    const args = validateArgs<Record<string, unknown>>(sendmailSmarthost, { smart_host: '[10.1.2.3]' });
    const c = await sendmailSmarthost.check(ctx, args as never);
    if (!c.changed) throw new Error('expected a change');
    await sendmailSmarthost.apply!(ctx, args as never, c.plan);
    expect(h.scripts[1]).toBe('cd /etc/mail && m4 /etc/mail/sendmail.mc >/etc/mail/.sendmail.cf.tsplay-m4');
    expect(h.scripts[2]).toContain('cat -- /etc/mail/.sendmail.cf.tsplay-m4 >&7');
    expect(h.scripts[2]).toContain('grep -qxF -- \'DS[10.1.2.3]\' "$_t"');
    expect(h.scripts[2]).toContain('mv -fT -- "$_t" /etc/mail/sendmail.cf');
    expect(h.scripts[3]).toBe('rm -f -- /etc/mail/.sendmail.cf.tsplay-m4');
    expect(runs([])).toEqual([]);
  });
});
