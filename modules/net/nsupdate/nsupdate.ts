/**
 * nsupdate (community.general.nsupdate): one DNS rrset on an authoritative server, by RFC 2136 dynamic update
 * signed with TSIG, run on the target with BIND's dig and nsupdate (bind9-dnsutils / bind-utils).
 *
 * check() asks the server (`dig @server +norecurse`) and plans only what differs (the value set or the TTL);
 * apply() sends one update: the rrset deleted and the new values added (a changed address replaces the old
 * one). The TSIG secret goes to nsupdate on stdin only (`key alg:name secret`), never in argv, and it is a
 * secret argument: masked in every output.
 */
import { ArgsError, ModuleError, Type, change, defineModule, ok, type ResultData } from '../../../src/contract/index.js';
import { OneLine, controlCharIn } from '../../../lib/args/one-line.js';
import { shq } from '../../../lib/shell/quote.js';
import { RCODES, absName, badValue, canonValue, parseDig, parseSoaZone, sameSet, updateScript, type RrType, type Rrset } from './nsupdate-plan.js';

const Args = Type.Object(
  {
    server: OneLine({ description: 'the authoritative DNS server (address or name) the update goes to' }),
    port: Type.Integer({ default: 53, minimum: 1, maximum: 65535, description: "the server's port" }),
    key_name: Type.Optional(OneLine({ description: 'the TSIG key name (as in the server\'s `key "NAME"` and allow-update); unsigned update when omitted' })),
    key_secret: Type.Optional(
      Type.String({ description: "the TSIG key secret, base64 (from a vault; `tsig-keygen` prints one); only ever on nsupdate's stdin" }),
    ),
    key_algorithm: Type.Union(
      ['hmac-md5', 'hmac-sha1', 'hmac-sha224', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'].map((a) => Type.Literal(a)),
      { default: 'hmac-sha256', description: 'the TSIG algorithm of the key' },
    ),
    zone: Type.Optional(OneLine({ description: 'the zone the record is in (found by an SOA query when omitted); a relative record is under it' })),
    record: OneLine({ description: 'the record name: absolute (ending with a dot) or relative to zone' }),
    type: Type.Union(
      ['A', 'AAAA', 'PTR', 'CNAME', 'TXT'].map((t) => Type.Literal(t)),
      { default: 'A', description: 'the record type' },
    ),
    value: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String())], {
        description: 'the value or values (the whole rrset with state present; with absent only these values are removed, all when omitted)',
      }),
    ),
    ttl: Type.Integer({ default: 3600, minimum: 0, maximum: 2147483647, description: 'the TTL of the rrset, seconds' }),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: the rrset holds exactly value with ttl; absent: the values (or the rrset) removed',
    }),
  },
  { additionalProperties: false },
);

interface Plan {
  script: string;
}

const valuesOf = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export const nsupdate = defineModule({
  name: 'nsupdate',
  aliases: ['community.general.nsupdate'],
  description: 'A DNS record on an authoritative server by TSIG-signed dynamic update (dig, nsupdate on the target; the secret on stdin only)',
  examples: `- name: the forward record
  nsupdate:
    server: 10.0.0.53
    key_name: tsplay-key
    key_secret: "{{ vault_tsig_secret }}"
    zone: cluster.example.com
    record: cloudnode001
    type: A
    value: 10.0.1.1
  no_log: true

- name: and its reverse record (the name from the address with the ipaddr filter)
  nsupdate:
    server: 10.0.0.53
    key_name: tsplay-key
    key_secret: "{{ vault_tsig_secret }}"
    record: "{{ '10.0.1.1' | ipaddr('revdns') }}"
    type: PTR
    value: cloudnode001.cluster.example.com.
    ttl: 600
  no_log: true

- name: a record gone
  community.general.nsupdate:
    server: 10.0.0.53
    key_name: tsplay-key
    key_secret: "{{ vault_tsig_secret }}"
    record: old.cluster.example.com.
    state: absent
  no_log: true
`,
  returns: {
    dns_rc: 'the DNS response code of the update (0: NOERROR; 0 when nothing was sent)',
    record: 'the record: zone, record (absolute), type, ttl, value (the list asked for)',
  },
  args: Args,
  secretArgs: ['key_secret'],
  rules: { requiredIf: [{ arg: 'state', is: 'present', then: ['value'] }], requiredTogether: [['key_name', 'key_secret']] },
  validate(a) {
    const type = a.type as RrType;
    for (const v of valuesOf(a.value)) {
      const ctl = controlCharIn(v);
      if (ctl) throw new ArgsError(`nsupdate: a value contains ${ctl}`, '/value');
      const bad = badValue(type, v);
      if (bad) throw new ArgsError(`nsupdate: ${bad}`, '/value');
    }
    if (a.state === 'present' && valuesOf(a.value).length === 0) throw new ArgsError('nsupdate: state present needs a value', '/value');
    if (!/^[A-Za-z0-9_*@.-]+$/.test(a.record)) throw new ArgsError(`nsupdate: record '${a.record}' is not a DNS name`, '/record');
    if (a.zone !== undefined && !/^[A-Za-z0-9_.-]+$/.test(a.zone)) throw new ArgsError(`nsupdate: zone '${a.zone}' is not a DNS name`, '/zone');
    if (!/^[A-Za-z0-9_.:-]+$/.test(a.server)) throw new ArgsError(`nsupdate: server '${a.server}' is not an address or host name`, '/server');
    if (a.key_name !== undefined && !/^[A-Za-z0-9_.-]+$/.test(a.key_name))
      throw new ArgsError(`nsupdate: key_name '${a.key_name}' is not a key name`, '/key_name');
    // never quote the secret
    if (a.key_secret !== undefined && !/^[A-Za-z0-9+/=]+$/.test(a.key_secret)) throw new ArgsError('nsupdate: key_secret is not base64', '/key_secret');
  },
  async check(ctx, a) {
    const type = a.type as RrType;
    const dig = async (name: string, qtype: string, sections: string) => {
      const cmd = `dig @${shq(a.server)} -p ${a.port} +norecurse +time=3 +tries=2 +noall +comments ${sections} ${shq(name)} ${qtype}`;
      const r = await ctx.probe(cmd, { become: false });
      if (r.rc !== 0) throw new ModuleError(`nsupdate: dig could not ask ${a.server}:${a.port} (rc ${r.rc})`, { rc: r.rc, stdout: r.stdout, stderr: r.stderr });
      return r.stdout;
    };
    let zone = a.zone === undefined ? undefined : absName(a.zone);
    const record = absName(a.record, zone);
    if (!zone) {
      const out = await dig(record, 'SOA', '+answer +authority');
      zone = parseSoaZone(out);
      if (!zone) throw new ModuleError(`nsupdate: ${a.server} has no zone for ${record} (no SOA in its answer)`, { stdout: out });
    }
    if (record !== zone && !record.endsWith(`.${zone}`)) throw new ArgsError(`nsupdate: record ${record} is not in zone ${zone}`, '/record');
    const out = await dig(record, type, '+answer');
    const { status, rrset } = parseDig(out, record, type);
    if (status !== 'NOERROR' && status !== 'NXDOMAIN')
      throw new ModuleError(`nsupdate: ${a.server} answered ${status} for ${record} ${type} (is it authoritative for ${zone}?)`, { stdout: out });
    const want = valuesOf(a.value).map((v) => canonValue(type, v));
    const result: ResultData = { dns_rc: 0, record: { zone, record, type, ttl: a.ttl, value: valuesOf(a.value) } };
    const u = { server: a.server, port: a.port, zone, record, type };
    const show = (s?: Rrset) => (s ? s.values.map((v) => `${record} ${s.ttl} IN ${type} ${v}`).join('\n') + '\n' : '');
    const diffOf = (after?: Rrset) => [{ before: show(rrset), after: show(after), beforeHeader: `${record} ${type}`, afterHeader: `${record} ${type}` }];
    if (a.state === 'present') {
      if (rrset && rrset.ttl === a.ttl && sameSet(rrset.values, want)) return ok(result);
      const after = { ttl: a.ttl, values: [...new Set(want)] };
      const what = !rrset ? 'add' : sameSet(rrset.values, want) ? `ttl ${rrset.ttl} -> ${a.ttl}` : 'replace';
      return change<Plan>(`${what} ${record} ${type}`, { script: updateScript(u, 'rrset', after) }, { diff: diffOf(after), result });
    }
    if (!rrset) return ok(result);
    const gone = want.length ? rrset.values.filter((v) => want.includes(v)) : rrset.values;
    if (!gone.length) return ok(result);
    const left = rrset.values.filter((v) => !gone.includes(v));
    const script = updateScript(u, want.length ? gone : 'rrset', { ttl: a.ttl, values: [] });
    return change<Plan>(
      `delete ${record} ${type}${want.length ? ` (${gone.length} of ${rrset.values.length})` : ''}`,
      { script },
      {
        diff: diffOf(left.length ? { ttl: rrset.ttl, values: left } : undefined),
        result,
      },
    );
  },
  async apply(ctx, a, plan) {
    const key = a.key_name && a.key_secret ? `key ${a.key_algorithm}:${a.key_name} ${a.key_secret}\n` : '';
    const r = await ctx.run('nsupdate', { stdin: key + plan.script, become: false, timeoutMs: 30_000 });
    if (r.rc !== 0) {
      const code = /update failed:\s*([A-Z]+)/.exec(r.stdout + r.stderr)?.[1];
      const rc = code === undefined ? '' : `: ${code} (dns_rc ${RCODES[code] ?? '?'})`;
      throw new ModuleError(`nsupdate: the update failed${rc} (nsupdate rc ${r.rc})`, { rc: r.rc, stdout: r.stdout, stderr: r.stderr });
    }
    return { dns_rc: 0 };
  },
});
