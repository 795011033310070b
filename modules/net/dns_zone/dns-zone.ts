/**
 * dns_zone: one record (rrset) in a BIND zone file, for sites whose DNS is a file, run on the DNS server.
 *
 * The file is read and parsed (dns-zone-plan.ts); only the record's lines change (a changed value replaces
 * the old line in place; every other line and comment is kept) and the SOA serial is raised, only when the
 * record changed. The new file is staged next to the old one, checked with `named-checkzone <zone> <staged>`
 * (its message is the error when it fails, the old file untouched), renamed over the old one keeping owner and
 * mode (lib/files writer), and the zone reloaded with `rndc reload <zone>`.
 *
 * A zone that takes dynamic updates is not edited by file: with `<file>.jnl` present or `rndc zonestatus`
 * saying dynamic, the module refuses unless the zone is frozen (`rndc freeze <zone>`: zonestatus says so, or
 * `frozen: true`). Use nsupdate for such zones.
 */
import { ArgsError, ModuleError, Type, change, defineModule, ok, type ResultData } from '../../../src/contract/index.js';
import { OneLine, controlCharIn } from '../../../lib/args/one-line.js';
import { applyText, planText, readTextFile, type TextPlan } from '../../../lib/files/text-file.js';
import { shq } from '../../../lib/shell/quote.js';
import { absName, badValue, type RrType } from '../nsupdate/nsupdate-plan.js';
import { currentSerial, editZone, parseZone } from './dns-zone-plan.js';

const Args = Type.Object(
  {
    path: OneLine({ description: 'the zone file on the DNS server (e.g. /var/lib/bind/db.cluster.example.com or /var/named/cluster.example.com.zone)' }),
    zone: OneLine({ description: 'the zone\'s name (its origin, as in named.conf\'s `zone "NAME"`)' }),
    record: OneLine({ description: 'the record name: absolute (ending with a dot) or relative to zone; @ for the zone itself' }),
    type: Type.Union(
      ['A', 'AAAA', 'PTR', 'CNAME', 'TXT'].map((t) => Type.Literal(t)),
      { default: 'A', description: 'the record type' },
    ),
    value: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String())], {
        description: 'the value or values (the whole rrset with state present; with absent only these values are removed, all when omitted)',
      }),
    ),
    ttl: Type.Integer({ default: 3600, minimum: 0, maximum: 2147483647, description: 'the TTL written on the record lines, seconds' }),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: the rrset holds exactly value with ttl; absent: the values (or the rrset) removed',
    }),
    frozen: Type.Boolean({
      default: false,
      description: 'the zone takes dynamic updates but was frozen with `rndc freeze ZONE` (thaw it after): edit the file anyway',
    }),
    reload: Type.Boolean({ default: true, description: 'run `rndc reload ZONE` after a change (false: the file only, e.g. when named is not running)' }),
    backup: Type.Boolean({ default: false, description: 'keep a timestamped copy of the old file' }),
  },
  { additionalProperties: false },
);

interface Plan {
  text: TextPlan;
  zone: string;
}

const valuesOf = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const NAME_RE = /^[A-Za-z0-9_*@.-]+$/;

export const dnsZone = defineModule({
  name: 'dns_zone',
  description:
    'One record (A, AAAA, PTR, CNAME, TXT) in a BIND zone file: other lines kept, SOA serial raised on change, named-checkzone before the rename, rndc reload; dynamic zones refused unless frozen',
  examples: `- name: cloudnode001 in the forward zone file (on the DNS server)
  dns_zone:
    path: /var/lib/bind/db.cluster.example.com
    zone: cluster.example.com
    record: cloudnode001
    type: A
    value: 10.0.1.4
  delegate_to: dns1

- name: and its reverse record
  dns_zone:
    path: /var/lib/bind/db.1.0.10
    zone: 1.0.10.in-addr.arpa
    record: "4"
    type: PTR
    value: cloudnode001.cluster.example.com.
  delegate_to: dns1

- name: a dynamic zone, frozen by hand first (rndc freeze; rndc thaw afterwards)
  dns_zone:
    path: /var/lib/bind/db.privatelink.blob.core.windows.net
    zone: privatelink.blob.core.windows.net
    record: myexamplestorage
    value: 10.0.0.7
    frozen: true
`,
  returns: {
    path: 'the zone file',
    record: 'the record: zone, record (absolute), type, ttl, value (the list asked for)',
    previous: 'the rrset the file had before: ttl and values (absent when there was none)',
    serial: 'the SOA serial after the run (the new one when the record changed)',
    previous_serial: 'the SOA serial before, when it was raised',
    reloaded: 'whether rndc reload ran (and succeeded)',
    rndc: "rndc reload's output",
    backup_file: 'with backup: the copy of the old file',
  },
  args: Args,
  rules: { requiredIf: [{ arg: 'state', is: 'present', then: ['value'] }] },
  validate(a) {
    const type = a.type as RrType;
    for (const v of valuesOf(a.value)) {
      const ctl = controlCharIn(v);
      if (ctl) throw new ArgsError(`dns_zone: a value contains ${ctl}`, '/value');
      const bad = badValue(type, v);
      if (bad) throw new ArgsError(`dns_zone: ${bad}`, '/value');
    }
    if (a.state === 'present' && valuesOf(a.value).length === 0) throw new ArgsError('dns_zone: state present needs a value', '/value');
    if (!NAME_RE.test(a.record)) throw new ArgsError(`dns_zone: record '${a.record}' is not a DNS name`, '/record');
    if (!/^[A-Za-z0-9_.-]+$/.test(a.zone)) throw new ArgsError(`dns_zone: zone '${a.zone}' is not a DNS name`, '/zone');
    const zone = absName(a.zone);
    const rec = absName(a.record, zone);
    if (rec !== zone && !rec.endsWith(`.${zone}`)) throw new ArgsError(`dns_zone: record ${rec} is not in zone ${zone}`, '/record');
  },
  async check(ctx, a) {
    const type = a.type as RrType;
    const zone = absName(a.zone);
    const record = absName(a.record, zone);
    const f = await readTextFile(ctx, a.path);
    if (f.text === null) throw new ModuleError(`dns_zone: ${a.path} does not exist (dns_zone edits an existing zone file)`);
    // a dynamic zone: named owns the file (journal) unless frozen
    const z = shq(zone.replace(/\.$/, ''));
    const st = await ctx.probe(`if test -e ${shq(`${a.path}.jnl`)}; then echo 'journal: yes'; fi; rndc zonestatus ${z} 2>&1 || true`);
    const journal = /^journal: yes$/m.test(st.stdout);
    const dynamic = /^dynamic: yes$/m.test(st.stdout);
    const frozen = a.frozen || /^frozen: yes$/m.test(st.stdout);
    if ((journal || dynamic) && !frozen) {
      const why = journal ? `its journal ${a.path}.jnl exists` : 'rndc zonestatus says dynamic: yes';
      throw new ModuleError(
        `dns_zone: zone ${zone.replace(/\.$/, '')} takes dynamic updates (${why}): named would lose or overwrite a file edit. ` +
          `Freeze it first (rndc freeze ${zone.replace(/\.$/, '')}; rndc thaw afterwards) and set frozen: true, or use the nsupdate module`,
      );
    }
    let edit;
    try {
      if (parseZone(f.text, zone).includes)
        ctx.warn(`dns_zone: ${a.path} has $INCLUDE lines: records in the included files are not seen (a record there would be duplicated here)`);
      edit = editZone(f.text, { zone, record, type, values: valuesOf(a.value), ttl: a.ttl, state: a.state }, new Date());
    } catch (e) {
      throw new ModuleError(`dns_zone: cannot parse ${a.path}: ${(e as Error).message}`);
    }
    const result: ResultData = { path: a.path, record: { zone, record, type, ttl: a.ttl, value: valuesOf(a.value) }, reloaded: false };
    if (!edit) {
      const cur = currentSerial(f.text, zone);
      return ok({ ...result, ...(cur !== undefined ? { serial: cur } : {}) });
    }
    if (edit.before) result.previous = edit.before;
    if (edit.serialAfter !== undefined) Object.assign(result, { serial: edit.serialAfter, previous_serial: edit.serialBefore });
    const text = planText(f, edit.text, { validate: `named-checkzone ${z} %s 1>&2`, backup: a.backup });
    if (!text) return ok(result);
    const serial = edit.serialAfter !== undefined ? `, serial ${edit.serialBefore} -> ${edit.serialAfter}` : '';
    return change<Plan>(
      `${edit.what} ${record} ${type} in ${a.path}${serial}${a.reload ? ', rndc reload' : ''}`,
      { text, zone: z },
      { diff: text.diff, result },
    );
  },
  async apply(ctx, a, plan) {
    const out: ResultData = { ...(await applyText(ctx, plan.text.steps)) };
    if (!a.reload) return out;
    const r = await ctx.run(`rndc reload ${plan.zone}`, { timeoutMs: 60_000 });
    if (r.rc !== 0)
      throw new ModuleError(`dns_zone: ${a.path} written, but rndc reload ${plan.zone} failed (rc ${r.rc}): ${(r.stderr || r.stdout).trim()}`, {
        rc: r.rc,
        stdout: r.stdout,
        stderr: r.stderr,
      });
    return { ...out, reloaded: true, rndc: r.stdout.trim() };
  },
});
