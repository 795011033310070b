/** getent: the parser as Ansible's, and the module on this machine (read-only) through the local connection. */
import { describe, expect, it } from 'vitest';
import { localConnection } from '../../../test/harness/files.js';
import { runModule } from '../../../test/harness/modules.js';
import { parseGetent } from './getent.js';

describe('getent', () => {
  it('parses records; a repeated key becomes a list of records', () => {
    expect(parseGetent('root:x:0:0:root:/root:/bin/bash\n', ':')).toEqual({ root: ['x', '0', '0', 'root', '/root', '/bin/bash'] });
    expect(parseGetent('127.0.0.1  localhost\n127.0.0.1 lo2\n::1 localhost ip6\n', undefined)).toEqual({
      '127.0.0.1': [['localhost'], ['lo2']],
      '::1': ['localhost', 'ip6'],
    });
  });
  it('sets ansible_facts.getent_<db>; a missing key fails with Ansible message unless fail_key=false', async () => {
    const conn = localConnection();
    const r = await runModule(conn, 'ansible.builtin.getent', { database: 'passwd', key: 'root' }, { become: false });
    expect(r.result).toMatchObject({ changed: false, ansible_facts: { getent_passwd: { root: expect.arrayContaining(['0']) } } });
    const miss = await runModule(conn, 'getent', { database: 'passwd', key: 'no-such-user-xyz' }, { become: false });
    expect(miss.result).toMatchObject({ failed: true, msg: 'One or more supplied key could not be found in the database.' });
    const soft = await runModule(conn, 'getent', { database: 'passwd', key: 'no-such-user-xyz', fail_key: false }, { become: false });
    expect(soft.result).toMatchObject({ ansible_facts: { getent_passwd: { 'no-such-user-xyz': null } } });
    expect(soft.result.failed).toBeFalsy();
    const db = await runModule(conn, 'getent', { database: 'nosuchdb' }, { become: false });
    expect(db.result).toMatchObject({ failed: true, msg: 'Missing arguments, or database unknown.' });
    await conn.close();
  });
});
