/** Wait until sshd answers with its banner (from the root netns, over the lab bridge). */
import { connect } from 'node:net';

function bannerOnce(ip: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: ip, port });
    let buf = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\n')) done(buf.startsWith('SSH-'));
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
  });
}

/** Resolves with the hosts (ips) whose sshd did not answer within the deadline (empty: all up). */
export async function waitForSsh(ips: readonly string[], deadlineMs = 60_000, port = 22): Promise<string[]> {
  const end = Date.now() + deadlineMs;
  const waitOne = async (ip: string): Promise<string | undefined> => {
    while (Date.now() < end) {
      if (await bannerOnce(ip, port, 2000)) return undefined;
      await new Promise((r) => setTimeout(r, 50));
    }
    return ip;
  };
  const res = await Promise.all(ips.map(waitOne));
  return res.filter((x): x is string => x !== undefined);
}
