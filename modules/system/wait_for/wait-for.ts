/** wait_for: wait on the host for a port, a file (or a string in it), or just some time. */
import { ArgsError, ModuleError, Type, defineModule, ok } from '../../../src/contract/index.js';
import { WAIT_TIMEOUT, WAIT_UNSUPPORTED, timeoutMessage, waitScript, type WaitArgs } from './wait-for-script.js';

const Args = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'host to connect to (seen from the target)' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'a TCP port on host: to accept connections, close, or drain (see state)' })),
    path: Type.Optional(Type.String({ description: 'a file on the host' })),
    state: Type.Union([Type.Literal('started'), Type.Literal('stopped'), Type.Literal('present'), Type.Literal('absent'), Type.Literal('drained')], {
      default: 'started',
      description: 'started/present: the port answers or the path exists; stopped/absent: closed or gone; drained: no active connections on the port',
    }),
    search_regex: Type.Optional(Type.String({ description: "an extended regex the file (or the port's banner) must contain" })),
    timeout: Type.Number({ default: 300, minimum: 0, description: 'seconds to wait at most' }),
    delay: Type.Number({ default: 0, minimum: 0, description: 'seconds to wait before the first check' }),
    sleep: Type.Number({ default: 1, minimum: 0, description: 'seconds between checks' }),
    connect_timeout: Type.Number({ default: 5, minimum: 0, description: 'seconds for one connection attempt to a remote port (or a banner read)' }),
    msg: Type.Optional(Type.String({ description: 'message on timeout' })),
    exclude_hosts: Type.Optional(
      Type.Array(Type.String(), { description: 'state=drained: IPv4 peers whose connections do not count (IPv6 entries are ignored)' }),
    ),
    active_connection_states: Type.Array(Type.String(), {
      default: ['ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'SYN_RECV', 'SYN_SENT', 'TIME_WAIT'],
      description: 'state=drained: the TCP states that count as active (as /proc/net/tcp names them)',
    }),
  },
  { additionalProperties: false },
);

export const waitFor = defineModule({
  name: 'wait_for',
  waits: true,
  aliases: ['ansible.builtin.wait_for', 'ansible.legacy.wait_for'],
  description: 'Wait on the host for a port to open/close/drain, a file to appear/vanish or contain a string',
  examples: `- name: slurmctld answers over the tunnel before slurmd starts
  ansible.builtin.wait_for:
    host: 10.2.0.10
    port: 6817
    timeout: 120
- name: no connections left on slurmd's port before the node is deallocated
  ansible.builtin.wait_for:
    port: 6818
    state: drained
    exclude_hosts: [10.2.0.10]
    timeout: 600
`,
  returns: {
    elapsed: 'seconds waited',
    state: 'the state waited for',
    port: 'the port (when given)',
    path: 'the path (when given)',
    search_regex: 'the regex (when given)',
  },
  args: Args,
  rules: { mutuallyExclusive: [['port', 'path']], requiredIf: [{ arg: 'state', is: 'drained', then: ['port'] }] },
  validate(a) {
    if (a.exclude_hosts !== undefined && a.state !== 'drained')
      throw new ArgsError('wait_for: exclude_hosts should only be given with state=drained', '/exclude_hosts');
    if (a.search_regex !== undefined && (a.state === 'absent' || a.state === 'stopped'))
      throw new ArgsError(`wait_for: search_regex cannot be used with state=${a.state}`, '/search_regex');
    if (a.path !== undefined && a.state === 'drained') throw new ArgsError('wait_for: state=drained only works with a port', '/state');
  },
  async check(ctx, a) {
    const t0 = Date.now();
    const r = await ctx.probe(waitScript(a as WaitArgs));
    const elapsed = Math.round((Date.now() - t0) / 1000);
    const result = {
      elapsed,
      state: a.state,
      ...(a.port !== undefined ? { port: a.port } : {}),
      ...(a.path !== undefined ? { path: a.path } : {}),
      ...(a.search_regex !== undefined ? { search_regex: a.search_regex } : {}),
    };
    if (r.rc === 0) return ok(result);
    if (r.rc === WAIT_TIMEOUT) return ok({ ...result, failed: true, msg: a.msg ?? timeoutMessage(a as WaitArgs) });
    if (r.rc === WAIT_UNSUPPORTED) throw new ModuleError(r.stderr.trim());
    throw new ModuleError(`wait_for failed (rc=${r.rc}): ${r.stderr.trim()}`, { rc: r.rc, stderr: r.stderr });
  },
});
