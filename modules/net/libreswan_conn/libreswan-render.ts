/**
 * One Libreswan connection (ipsec.conf(5) `conn` section) from typed arguments: the cross-argument rules that
 * make a site-to-site tunnel impossible (bad addresses or prefixes, overlapping subnets, a source IP outside
 * its subnet, proposals this Libreswan refuses) and the file text, one `key=value` per indented line.
 * Pure: no host involved, so every refusal happens before anything is touched.
 */
import { ArgsError, Type, type Static } from '../../../src/contract/index.js';
import { OneLine } from '../../../lib/args/one-line.js';
import {
  containsAddress,
  isDefaultPrefix,
  isHostname,
  looksLikeAddress,
  overlaps,
  parseAddress,
  parsePrefix,
  prefixText,
  type Prefix,
} from '../../../lib/net/prefix.js';
import { checkProposal } from './libreswan-proposals.js';

export type Scalar = string | number | boolean;

const Str = (description: string) => Type.Optional(OneLine({ description }));
const Dur = (description: string) => Type.Optional(Type.Union([OneLine(), Type.Integer({ minimum: 0 })], { description }));
const Subnets = (description: string) => Type.Optional(Type.Array(OneLine(), { description }));

/**
 * The conn keywords that are arguments of their own, in the order they are written: the one definition that
 * the module's schema, ConnSpec and CONN_KEYS derive from.
 */
export const connKeywordArgs = {
  left: Str("this gateway's public address (or %defaultroute, a host name); required with state=present"),
  leftid: Str('local ID (default: left); e.g. @onprem-gw or the public address behind NAT'),
  leftsubnet: Str('local private subnet (CIDR), e.g. the on-prem cluster network 10.2.0.0/16'),
  leftsubnets: Subnets('several local subnets (instead of leftsubnet)'),
  leftsourceip: Str("this gateway's own address inside leftsubnet (source of its traffic into the tunnel)"),
  right: Str("the peer's public address (e.g. the Azure VPN gateway); required with state=present"),
  rightid: Str('remote ID (default: right)'),
  rightsubnet: Str('remote private subnet (CIDR), e.g. the cloud VNet 10.0.0.0/16'),
  rightsubnets: Subnets('several remote subnets (instead of rightsubnet)'),
  authby: OneLine({ default: 'secret', description: 'secret (PSK, see libreswan_secret), rsasig, ecdsa, ...' }),
  auto: Type.Union(
    [Type.Literal('add'), Type.Literal('start'), Type.Literal('ondemand'), Type.Literal('route'), Type.Literal('ignore'), Type.Literal('keep')],
    {
      default: 'start',
      description: 'what pluto does at start: start (initiate), add (wait for the peer), ondemand, ignore',
    },
  ),
  ikev2: Type.Optional(
    Type.Union(
      [Type.Boolean(), Type.Literal('insist'), Type.Literal('yes'), Type.Literal('no'), Type.Literal('never'), Type.Literal('permit'), Type.Literal('propose')],
      {
        description: 'true → ikev2=insist (IKEv2 only; what RHEL 8 Libreswan 4.4 expects), false → no (IKEv1); Azure basic SKU has no IKEv2',
      },
    ),
  ),
  ike: Str("IKE proposals, e.g. 'aes256-sha2;modp2048' (not modp1024: Libreswan 4.x refuses DH group 2)"),
  esp: Str("ESP (child SA) proposals, e.g. 'aes128-sha2'"),
  pfs: Type.Optional(Type.Boolean({ description: 'perfect forward secrecy for the child SA' })),
  dpddelay: Dur('dead peer detection interval (seconds, or e.g. 30s)'),
  dpdtimeout: Dur('dead peer detection timeout'),
  dpdaction: Type.Optional(
    Type.Union([Type.Literal('hold'), Type.Literal('clear'), Type.Literal('restart')], {
      description: 'when the peer is found dead: restart (renegotiate: the usual for a site-to-site tunnel), clear or hold',
    }),
  ),
  ikelifetime: Dur('IKE SA lifetime, e.g. 3600s or 1h'),
  salifetime: Dur('child SA lifetime'),
};

/** Any other conn keyword, written after the typed ones. */
export const extraArg = Type.Optional(
  Type.Record(Type.String(), Type.Union([OneLine(), Type.Number(), Type.Boolean()]), {
    description: 'any other ipsec.conf(5) conn keyword: value (written after the typed ones)',
  }),
);

/** The typed keys, in the order they are written. */
export const CONN_KEYS = Object.keys(connKeywordArgs) as (keyof typeof connKeywordArgs)[];

// a schema held only for its static type (ConnSpec below)
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const ConnFields = Type.Object({ name: Type.String(), ...connKeywordArgs, extra: extraArg });

/** What renderConn and checkConn take: the conn's arguments with both ends given; authby and auto may be left to Libreswan. */
export type ConnSpec = Partial<Static<typeof ConnFields>> & { name: string; left: string; right: string };

/** Endpoint keywords ipsec.conf(5) accepts for left= / right=. */
const END_KEYWORDS = new Set(['%defaultroute', '%any', '%opportunistic', '%opportunisticgroup', '%group']);

const fail = (msg: string, arg: string): never => {
  throw new ArgsError(`libreswan_conn: ${msg}`, `/${arg}`);
};

function checkEndpoint(arg: 'left' | 'right', v: string): void {
  const t = v.trim();
  if (t === '') fail(`${arg} is empty: give the ${arg === 'left' ? 'local' : 'remote'} gateway's public address`, arg);
  if (t.startsWith('%')) {
    // %eth0 (an interface's address) is valid too
    if (!END_KEYWORDS.has(t) && !/^%[A-Za-z0-9_.:-]+$/.test(t)) fail(`${arg}='${t}' is not an address, a host name or a %keyword`, arg);
    return;
  }
  if (looksLikeAddress(t)) {
    if (!parseAddress(t)) fail(`${arg}='${t}' is not a valid IP address`, arg);
    return;
  }
  if (!isHostname(t)) fail(`${arg}='${t}' is not an address, a host name or a %keyword`, arg);
}

function checkId(arg: 'leftid' | 'rightid', v: string): void {
  const t = v.trim();
  if (t === '') fail(`${arg} is empty`, arg);
  if (/[\n\r"]/.test(t)) fail(`${arg} must not contain quotes or line breaks`, arg);
  if (!t.startsWith('@') && !t.startsWith('%') && !t.includes('=') && looksLikeAddress(t) && !parseAddress(t))
    fail(`${arg}='${t}' is not a valid IP address`, arg);
}

/** The subnets of one side as prefixes (validated), or [] when the side has none. */
export function sideSubnets(spec: ConnSpec, side: 'left' | 'right'): Prefix[] {
  const one = spec[`${side}subnet`];
  const many = spec[`${side}subnets`];
  if (one !== undefined && many !== undefined) fail(`give ${side}subnet or ${side}subnets, not both`, `${side}subnets`);
  const list = one !== undefined ? [{ arg: `${side}subnet`, text: one }] : (many ?? []).map((text, i) => ({ arg: `${side}subnets/${i}`, text }));
  if (many !== undefined && many.length === 0) fail(`${side}subnets is empty`, `${side}subnets`);
  return list.map(({ arg, text }) => {
    const p = parsePrefix(text);
    if (!p) return fail(`${arg.replace(/\/\d+$/, '')} '${text}' is not a valid subnet (CIDR such as 10.2.0.0/16)`, arg);
    if (p.hostBits)
      fail(
        `${arg.replace(/\/\d+$/, '')} '${text}' has host bits set: the network is ${prefixText(p)} (the gateway's own address in it belongs in ${side}sourceip)`,
        arg,
      );
    return p;
  });
}

export function checkConn(spec: ConnSpec): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(spec.name)) fail(`name '${spec.name}' must be letters, digits, '.', '_' or '-' (it is also the file name)`, 'name');
  checkEndpoint('left', spec.left);
  checkEndpoint('right', spec.right);
  if (spec.left.trim() === spec.right.trim() && !spec.left.startsWith('%'))
    fail(`left and right are both ${spec.left}: they are the two ends of the tunnel`, 'right');
  if (spec.leftid !== undefined) checkId('leftid', spec.leftid);
  if (spec.rightid !== undefined) checkId('rightid', spec.rightid);

  const lefts = sideSubnets(spec, 'left');
  const rights = sideSubnets(spec, 'right');
  const fams = new Set([...lefts, ...rights].map((p) => p.family));
  if (fams.size > 1)
    fail(`left and right subnets mix IPv4 and IPv6 (${[...lefts, ...rights].map((p) => p.text).join(', ')}): one tunnel carries one family`, 'rightsubnet');
  for (const l of lefts) {
    for (const r of rights) {
      if (overlaps(l, r) && !isDefaultPrefix(l) && !isDefaultPrefix(r)) {
        fail(
          `leftsubnet ${prefixText(l)} and rightsubnet ${prefixText(r)} overlap: an address in both cannot be both local and behind the tunnel (the cloud network must use other addresses than on-prem)`,
          spec.rightsubnet !== undefined ? 'rightsubnet' : 'rightsubnets',
        );
      }
    }
  }

  if (spec.leftsourceip !== undefined) {
    const src = parseAddress(spec.leftsourceip);
    if (!src) fail(`leftsourceip '${spec.leftsourceip}' is not a valid IP address`, 'leftsourceip');
    if (lefts.length) {
      if (!lefts.some((p) => containsAddress(p, src!))) {
        fail(
          `leftsourceip ${spec.leftsourceip} is outside leftsubnet ${lefts.map(prefixText).join(', ')}: it must be the gateway's own address in the local subnet`,
          'leftsourceip',
        );
      }
    } else {
      const left = parseAddress(spec.left);
      if (!left || left.value !== src!.value || left.family !== src!.family) {
        fail(`leftsourceip ${spec.leftsourceip} needs a leftsubnet that contains it`, 'leftsourceip');
      }
    }
  }

  if (spec.ike !== undefined) checkProposal('ike', spec.ike);
  if (spec.esp !== undefined) checkProposal('esp', spec.esp);

  for (const [k, v] of Object.entries(spec.extra ?? {})) {
    if (!/^[a-z][a-z0-9_-]*$/i.test(k)) fail(`extra key '${k}' is not an ipsec.conf keyword`, `extra/${k}`);
    if ((CONN_KEYS as readonly string[]).includes(k)) fail(`extra.${k}: ${k} is an argument of its own; set it there`, `extra/${k}`);
    if (typeof v === 'string' && /[\n\r"]/.test(v)) fail(`extra.${k} must not contain quotes or line breaks`, `extra/${k}`);
  }
  for (const k of CONN_KEYS) {
    const v = spec[k];
    if (typeof v === 'string' && /[\n\r"]/.test(v)) fail(`${k} must not contain quotes or line breaks`, k);
  }
}

/** ipsec.conf value text: booleans as yes/no, blanks or '#' quoted. */
export function confValue(key: string, v: Scalar | string[]): string {
  if (Array.isArray(v)) return `{${v.map((s) => s.trim()).join(' ')}}`;
  if (typeof v === 'boolean') {
    // RHEL 8's Libreswan 4.4 wants ikev2=insist|no; 4.10 reads insist as yes
    if (key === 'ikev2') return v ? 'insist' : 'no';
    return v ? 'yes' : 'no';
  }
  const s = String(v).trim();
  return /[\s#]/.test(s) || s === '' ? `"${s}"` : s;
}

export const CONN_HEADER = '# Managed by tsplay (libreswan_conn): edit the playbook or inventory, not this file.\n';

export function renderConn(spec: ConnSpec): string {
  const lines = [`conn ${spec.name}`];
  for (const k of CONN_KEYS) {
    const v = spec[k];
    if (v === undefined) continue;
    lines.push(`\t${k}=${confValue(k, v)}`);
  }
  for (const [k, v] of Object.entries(spec.extra ?? {})) lines.push(`\t${k}=${confValue(k, v)}`);
  return CONN_HEADER + lines.join('\n') + '\n';
}
