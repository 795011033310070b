import type { AnyModule } from '../../src/contract/index.js';
import { addHost } from './add_host/add-host.js';
import { assertModule } from './assert/assert.js';
import { debug } from './debug/debug.js';
import { fail } from './fail/fail.js';
import { groupBy } from './group_by/group-by.js';
import { includeVars } from './include_vars/include-vars.js';
import { pause } from './pause/pause.js';
import { ping } from './ping/ping.js';
import { setFact } from './set_fact/set-fact.js';
import { setup } from './setup/setup.js';
import { validateArgumentSpec } from './validate_argument_spec/validate-argument-spec.js';

export const utilModules: AnyModule[] = [ping, setup, debug, setFact, assertModule, fail, includeVars, pause, groupBy, addHost, validateArgumentSpec];
