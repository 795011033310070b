import type { AnyModule } from '../../src/contract/index.js';
import { copyModule } from './copy/copy.js';
import { templateModule } from './template/template.js';
import { fileModule } from './file/file.js';
import { lineinfileModule } from './lineinfile/lineinfile.js';
import { blockinfileModule } from './blockinfile/blockinfile.js';
import { statModule } from './stat/stat.js';
import { slurp } from './slurp/slurp.js';
import { replaceModule } from './replace/replace.js';
import { tempfile } from './tempfile/tempfile.js';
import { find } from './find/find.js';
import { iniFile } from './ini_file/ini_file.js';
import { fetch } from './fetch/fetch.js';

export const filesModules: AnyModule[] = [
  copyModule,
  templateModule,
  fileModule,
  lineinfileModule,
  blockinfileModule,
  statModule,
  slurp,
  replaceModule,
  tempfile,
  find,
  iniFile,
  fetch,
];
