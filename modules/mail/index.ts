import type { AnyModule } from '../../src/contract/index.js';
import { sendmailSmarthost } from './sendmail_smarthost/sendmail-smarthost.js';

export const mailModules: AnyModule[] = [sendmailSmarthost];
