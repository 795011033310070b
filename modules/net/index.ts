import type { AnyModule } from '../../src/index.js';
import { resolvConf } from './resolv-conf.js';
import { authorizedKey } from './authorized-key.js';
// gateway (site-to-site VPN)
import { libreswanConn } from './libreswan-conn.js';
import { libreswanSecret } from './libreswan-secret.js';
import { firewalld } from './firewalld.js';
import { route } from './route.js';

export const netModules: AnyModule[] = [resolvConf, authorizedKey, libreswanConn, libreswanSecret, firewalld, route];
