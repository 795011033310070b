/**
 * A server that shows a key of a type not yet known for a host whose other key is known (what a man in the
 * middle without the host's key can do) is refused, in accept-new mode too, over real SSH against a lab host
 * (OpenSSH 9.2 says "REMOTE HOST IDENTIFICATION HAS CHANGED" there too).
 * And the other side of it: a host known by a non-default key type is offered that type first, so it connects.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection } from '../../src/connection/ssh.js';
import { UnreachableError } from '../../src/errors.js';
import { recap, tsplay } from '../harness/cli.js';
import { labTarget, startLab, stopLab, type Lab } from '../harness/lab.js';

const LAB = 'lkhostkey';
const HOST = 'node1';
let lab: Lab;
let tmp: string;
/** node1's ecdsa lines of the lab known_hosts (its ed25519 line left out) */
let ecdsaOnly: string;

async function sshdAnswers(ip: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((res) => {
      const s = tcpConnect({ host: ip, port: 22 });
      s.once('data', () => (s.destroy(), res(true)));
      s.once('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd on ${ip} does not answer`);
}

beforeAll(async () => {
  lab = await startLab(LAB, { hosts: 1 });
  tmp = mkdtempSync(join(tmpdir(), 'tsplay-hostkey-'));
  const ip = lab.host(HOST).ip;
  ecdsaOnly =
    readFileSync(lab.knownHosts, 'utf8')
      .split('\n')
      .filter((l) => l.includes(ip) && l.includes(' ecdsa-sha2-'))
      .join('\n') + '\n';
  expect(ecdsaOnly).toMatch(/ecdsa-sha2-nistp256/);
});

afterAll(async () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await stopLab(LAB);
});

describe('host key types', () => {
  it('a host known only by its ecdsa key is offered ecdsa first and connects (strict)', async () => {
    const kh = join(tmp, 'kh-ecdsa');
    writeFileSync(kh, ecdsaOnly);
    const c = new SshConnection(labTarget(lab, HOST, { ansible_ssh_common_args: `-o UserKnownHostsFile=${kh}` }));
    try {
      expect((await c.run('echo ok')).stdout).toBe('ok\n');
    } finally {
      await c.close();
    }
    expect(readFileSync(kh, 'utf8')).toBe(ecdsaOnly);
  });

  it('the server then shows only an ed25519 key: accept-new refuses it and learns nothing; an unknown host is still learnt', async () => {
    const ip = lab.host(HOST).ip;
    // sshd keeps both keys but will only use ed25519 (the first value of an sshd option wins)
    const r0 = await lab.exec(HOST, 'echo "HostKeyAlgorithms ssh-ed25519" > /etc/ssh/sshd_config.d/00-hostkey.conf && service ssh restart');
    expect(r0.rc, r0.stderr).toBe(0);
    await sshdAnswers(ip);

    const kh = join(tmp, 'kh-accept-new');
    writeFileSync(kh, ecdsaOnly);
    const inv = join(tmp, 'inv.yml');
    writeFileSync(
      inv,
      `all:\n  vars:\n    ansible_user: ops\n    ansible_ssh_private_key_file: ${lab.key}\n` +
        `    ansible_ssh_common_args: '-o UserKnownHostsFile=${kh} -o GlobalKnownHostsFile=/dev/null'\n` +
        `  hosts:\n    ${HOST}: {ansible_host: ${ip}}\n`,
    );
    const play = join(tmp, 'play.yml');
    writeFileSync(play, `- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n`);
    const r = await tsplay(['run', '-i', inv, '--host-key-checking', 'accept-new', play]);
    expect(r.code, r.all).toBe(4);
    expect(recap(r.all)[HOST], r.all).toMatchObject({ unreachable: 1 });
    expect(r.all).toContain(`fatal: [${HOST}]: UNREACHABLE!`);
    expect(r.all).toMatch(new RegExp(`REMOTE HOST IDENTIFICATION HAS CHANGED for ${ip.replace(/\./g, '\\.')}! The server sent ssh-ed25519 key SHA256:`));
    expect(r.all).toContain(`known by keys of another type (ecdsa-sha2-nistp256 in ${kh}:1)`);
    expect(r.all).not.toMatch(/at .*\.js:\d+/); // one clear message, no stack trace
    expect(readFileSync(kh, 'utf8')).toBe(ecdsaOnly);

    // the same through the connection API, strict mode: the same refusal
    const strict = new SshConnection(labTarget(lab, HOST, { ansible_ssh_common_args: `-o UserKnownHostsFile=${kh}` }));
    const e = await strict.connect().then(
      () => null,
      (err: unknown) => err,
    );
    await strict.close();
    expect(e).toBeInstanceOf(UnreachableError);
    expect((e as Error).message).toMatch(/^REMOTE HOST IDENTIFICATION HAS CHANGED/);

    // a host not known at all is learnt in accept-new mode
    const fresh = join(tmp, 'kh-fresh');
    writeFileSync(fresh, '');
    const c = new SshConnection({ ...labTarget(lab, HOST, { ansible_ssh_common_args: `-o UserKnownHostsFile=${fresh}` }), hostKeyChecking: 'accept-new' });
    try {
      expect((await c.run('echo ok')).stdout).toBe('ok\n');
    } finally {
      await c.close();
    }
    expect(readFileSync(fresh, 'utf8')).toMatch(new RegExp(`^${ip.replace(/\./g, '\\.')} ssh-ed25519 \\S+\\n$`));
  });
});
