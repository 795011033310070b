import type { AnyModule } from '../../src/index.js';
import { assertModule } from './assert.js';
import { debug } from './debug.js';
import { fail } from './fail.js';
import { includeVars } from './include-vars.js';
import { ping } from './ping.js';
import { setFact } from './set-fact.js';

export const utilModules: AnyModule[] = [ping, debug, setFact, assertModule, fail, includeVars];
