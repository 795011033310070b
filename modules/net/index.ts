import type { AnyModule } from '../../src/contract/index.js';
import { resolvConf } from './resolv_conf/resolv-conf.js';
import { authorizedKey } from './authorized_key/authorized-key.js';
// gateway (site-to-site VPN)
import { libreswanConn } from './libreswan_conn/libreswan-conn.js';
import { libreswanSecret } from './libreswan_secret/libreswan-secret.js';
import { firewalld } from './firewalld/firewalld.js';
import { route } from './route/route.js';

export const netModules: AnyModule[] = [resolvConf, authorizedKey, libreswanConn, libreswanSecret, firewalld, route];
