/**
 * Host addresses with an optional port, as Ansible's parsing/utils/addresses.py reads them:
 * `host`, `host:2222`, `10.0.0.[1:9]:22`, `[::1]:22`, `node[01:10]` (ranges allowed when asked).
 */

const numericRange = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const hexRange = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const alnumRange = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
/** Slurm's `[001-004,010]` (see ranges.ts), so that `cloud[01-04]:2222` still splits off its port */
const slurmRange = String.raw`\[[0-9]+(?:-[0-9]+)?(?:,[0-9]+(?:-[0-9]+)?)*\]`;
const v6 = String.raw`(?:[0-9a-f]{1,4}|${hexRange})`;
const v4 = String.raw`(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${numericRange})`;
const word = String.raw`[\p{L}\p{N}_]`;
const label = String.raw`(?:${word}|${alnumRange}|${slurmRange})(?:${word}|-|${alnumRange}|${slurmRange})*(?<![_-])`;

const v4Addr = `(?:${v4}\\.){3}${v4}`;
const patterns = {
  bracketedHostport: /^\[(.+)\]:([0-9]+)$/,
  hostport: /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/,
  ipv4: new RegExp(`^${v4Addr}$`, 'iu'),
  ipv6: new RegExp(
    '^(?:' +
      [
        `(?:${v6}:){7}${v6}`,
        `(?:${v6}:){1,6}:`,
        `(?:${v6}:)(?::${v6}){1,6}`,
        `(?:${v6}:){2}(?::${v6}){1,5}`,
        `(?:${v6}:){3}(?::${v6}){1,4}`,
        `(?:${v6}:){4}(?::${v6}){1,3}`,
        `(?:${v6}:){5}(?::${v6}){1,2}`,
        `(?:${v6}:){6}(?::${v6})`,
        `:(?::${v6}){1,6}`,
        `${v6}?::`,
        `(?:0:){6}${v4Addr}`,
        `::(?:ffff:)?${v4Addr}`,
        `(?:0:){5}ffff:${v4Addr}`,
      ].join('|') +
      ')$',
    'iu',
  ),
  hostname: new RegExp(`^${label}(?:\\.${label})*$`, 'iu'),
};

/** True when the name is an IPv4 or IPv6 address (Ansible's inventory_hostname_short keeps those whole). */
export function isIpAddress(name: string): boolean {
  return patterns.ipv4.test(name) || patterns.ipv6.test(name);
}

/**
 * Split `host[:port]`. Throws (plain Error) when the remainder is not a host name or address,
 * or when it contains a range and ranges are not allowed (Ansible's parse_address).
 */
export function parseAddress(address: string, allowRanges = false): { host: string; port?: number } {
  let port: number | undefined;
  for (const re of [patterns.bracketedHostport, patterns.hostport]) {
    const m = re.exec(address);
    if (m) {
      address = m[1]!;
      port = Number.parseInt(m[2]!, 10);
    }
  }
  const ok = patterns.ipv4.test(address) || patterns.ipv6.test(address) || patterns.hostname.test(address);
  if (!ok) throw new Error(`Not a valid network hostname: ${address}`);
  if (!allowRanges && address.includes('[')) throw new Error('Detected range in host but was asked to ignore ranges');
  return port === undefined ? { host: address } : { host: address, port };
}
