import type { AnyModule } from '../../src/index.js';
import { sendmailSmarthost } from './sendmail-smarthost.js';

export const mailModules: AnyModule[] = [sendmailSmarthost];
