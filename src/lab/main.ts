/**
 * Stand-alone entry of the lab CLI: `node dist/src/lab/main.js up 3` == `tsplay lab up 3`.
 * Used by test/harness/lab.ts and .ci/run, independent of the main CLI's wiring.
 */
import { labCommand } from '../cli/commands/lab.js';

process.exitCode = await labCommand(process.argv.slice(2));
