/**
 * The host's own Libreswan algorithm parser (`ipsec algparse`), run read-only in check(): whatever the static
 * checks (libreswan-proposals.ts) do not know about this particular build (FIPS mode, a newer or older
 * Libreswan, an unknown algorithm or key length) is refused here with pluto's own words, before the file
 * is written. Builds without algparse (or without its options) are skipped, not failed.
 */
import { defineFact } from '../../../src/contract/index.js';
import { shq } from '../../../lib/shell/quote.js';
import { keyValues, partHeader, splitParts } from '../../../lib/shell/parts.js';

export interface AlgQuery {
  ike?: string;
  esp?: string;
  ikev1: boolean;
  pfs?: boolean;
}

export interface AlgVerdict {
  /** false: algparse missing or did not understand its options */
  checked: boolean;
  errors: string[];
}

export function algparseCommand(q: AlgQuery): string {
  const props = [q.ike !== undefined ? `ike=${q.ike}` : '', q.esp !== undefined ? `esp=${q.esp}` : ''].filter(Boolean).map(shq);
  const pfs = q.pfs === undefined ? '' : ` -pfs=${q.pfs ? 'yes' : 'no'}`;
  return `command -v ipsec >/dev/null 2>&1 || { ${partHeader('missing')}; exit 0; }
ipsec algparse ${q.ikev1 ? '-v1' : '-v2'}${pfs} ${props.join(' ')} 2>&1; _r=$?; ${partHeader('result')}; echo "rc=$_r"`;
}

/** The output (part ''), then the part `result` (rc=N); the part `missing` when there is no ipsec. */
export function parseAlgparse(stdout: string): AlgVerdict {
  const parts = splitParts(stdout);
  if (parts.has('missing')) return { checked: false, errors: [] };
  const rc = Number(keyValues(parts.get('result')).get('rc') ?? '1');
  const text = parts.get('') ?? '';
  // an old algparse without these options, or no algparse subcommand at all
  if (rc !== 0 && /unknown option|unknown command|not found|Usage:/i.test(text) && !/ERROR:/.test(text)) return { checked: false, errors: [] };
  if (rc === 0) return { checked: true, errors: [] };
  const errors = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^ERROR:/.test(l))
    .map((l) => l.replace(/^ERROR:\s*/, ''));
  return { checked: true, errors: errors.length ? errors : [text.trim().split('\n').slice(-2).join(' / ') || `rc=${rc}`] };
}

export const algparseFact = defineFact<AlgQuery, AlgVerdict>({
  name: 'libreswan.algparse',
  command: algparseCommand,
  parse: (r) => parseAlgparse(r.stdout),
});
