/**
 * The one-line rule (lib/args/one-line.ts): every argument that a module writes as one line of a file is
 * refused at validation when it holds a newline or another control character (a newline in a
 * sysctl value or an authorized_key comment became a second, working line). Table-driven over the modules.
 */
import { describe, expect, it } from 'vitest';
import { ArgsError } from '../../src/errors.js';
import { validateArgs } from '../../src/contract/validate.js';
import { controlCharIn, ONE_LINE_PATTERN } from './one-line.js';
import { registry } from '../../test/harness/modules.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq3dLwJ5i7mO0fYxXvQm3YV3F0tqGJ1w0nXKXAuN7Ue ops@lab';

/** module, valid arguments, and the arguments (as a JSON pointer) that must stay one line */
const CASES: [string, Record<string, unknown>, string[]][] = [
  ['sysctl', { name: 'net.ipv4.ip_forward', value: '1' }, ['/name', '/value']],
  ['authorized_key', { user: 'ops', key: KEY }, ['/comment', '/key_options', '/user']],
  ['user', { name: 'alice' }, ['/name', '/comment', '/shell', '/home', '/group', '/password', '/groups', '/groups/0']],
  ['group', { name: 'hpc' }, ['/name']],
  ['mount', { path: '/mnt/x', src: 'nas:/export', fstype: 'nfs', state: 'present' }, ['/path', '/src', '/fstype', '/opts']],
  [
    'autofs_map',
    { name: 'azure', mount_point: '/azure', entries: [{ key: 'data', location: 'nas:/data' }] },
    ['/mount_point', '/map_file', '/master_options', '/entries/0/location', '/entries/0/key', '/entries/0/options'],
  ],
  ['sendmail_smarthost', { smart_host: '[10.1.2.3]' }, ['/smart_host']],
  [
    'libreswan_conn',
    { name: 'azure', left: '192.0.2.1', right: '198.51.100.1' },
    ['/leftid', '/rightsubnet', '/ike', '/authby', '/leftsubnets/0', '/extra/mtu', '/dpddelay'],
  ],
  ['libreswan_secret', { name: 'azure', psk: 'k3y-from-a-vault' }, ['/left', '/right']],
];

/** set the value at a JSON pointer (creating arrays for numeric parts) */
function withValue(args: Record<string, unknown>, pointer: string, v: string): Record<string, unknown> {
  const out = structuredClone(args);
  const parts = pointer.split('/').slice(1);
  let o: Record<string, unknown> = out;
  parts.forEach((k, i) => {
    if (i === parts.length - 1) o[k] = v;
    else o = (o[k] ??= /^\d+$/.test(parts[i + 1]!) ? [] : {}) as Record<string, unknown>;
  });
  return out;
}

function refusal(module: string, args: Record<string, unknown>): ArgsError | undefined {
  try {
    validateArgs(registry.get(module)!, args);
  } catch (e) {
    if (e instanceof ArgsError) return e;
    throw e;
  }
  return undefined;
}

describe('arguments written as one line refuse control characters', () => {
  for (const [module, valid, pointers] of CASES) {
    it(`${module}: ${pointers.join(', ')}`, () => {
      expect(refusal(module, valid), 'the valid arguments').toBeUndefined();
      for (const p of pointers) {
        const e = refusal(module, withValue(valid, p, 'x\ninjected = 1'));
        expect(e, `${module} ${p}`).toBeDefined();
        const name = p.slice(1).replace(/\//g, '.');
        expect(e!.message).toBe(
          `${module}: argument '${name}' must be one line, but contains a newline (\\n) at position 2: it is written as one line of a file, where a line break would start another line`,
        );
        expect(e!.path).toBe(p);
        for (const c of ['\r', '\0', '\v', '\f', '\x1b', '\x7f', '\u2028', '\x85'])
          expect(refusal(module, withValue(valid, p, `a${c}b`)), `${module} ${p} ${JSON.stringify(c)}`).toBeDefined();
      }
    });
  }

  it('the attacks: a second sysctl line, a second authorised key', () => {
    expect(refusal('sysctl', { name: 'kernel.domainname', value: 'example.org\nnet.ipv4.ip_forward = 1' })?.message).toMatch(
      /argument 'value' must be one line, but contains a newline/,
    );
    expect(refusal('authorized_key', { user: 'ops', key: KEY, comment: `ops\n${KEY.replace('ops@lab', 'mallory')}` })?.message).toMatch(
      /argument 'comment' must be one line/,
    );
  });

  it('what is legitimately multi-line or tabbed stays allowed', () => {
    expect(refusal('sysctl', { name: 'net.ipv4.tcp_rmem', value: '4096\t87380\t6291456' })).toBeUndefined(); // the kernel's own separator
    expect(refusal('authorized_key', { user: 'ops', key: `${KEY}\n${KEY.replace('ops@lab', 'second')}` })).toBeUndefined(); // key: one key per line
    expect(refusal('lineinfile', { path: '/etc/x', line: 'a\nb' })).toBeUndefined(); // Ansible writes it as given
    expect(refusal('user', { name: 'alice', comment: 'Alice Émilie Bär' })).toBeUndefined();
  });

  it('a PSK is refused by kind and position only, never echoed', () => {
    const e = refusal('libreswan_secret', { name: 'azure', psk: 'sup3r-s3cret\u000bkey' });
    expect(e?.message).toBe(
      'libreswan_secret: psk must not contain double quotes or line breaks, nor any other control character (ipsec.secrets cannot quote them); it contains a vertical tab (\\v) at position 13',
    );
    expect(e?.message).not.toContain('sup3r');
  });

  it('the rule is in the schema: the pattern, and the note tsplay doc prints', () => {
    const value = (registry.get('sysctl')!.args as { properties: Record<string, { pattern?: string; description?: string }> }).properties.value!;
    expect(value.pattern).toBe(ONE_LINE_PATTERN);
    expect(value.description).toBe('the value (yes/true become 1, no/false 0) (one line: no newline or other control character)');
    expect(controlCharIn('ok\tok')).toBeUndefined();
    expect(controlCharIn('a\u2028')).toBe('the control character U+2028 at position 2');
  });
});
