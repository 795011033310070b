import type { AnyModule } from '../../src/contract/index.js';
import { resolvConf } from './resolv_conf/resolv-conf.js';
import { authorizedKey } from './authorized_key/authorized-key.js';
// gateway (site-to-site VPN)
import { libreswanConn } from './libreswan_conn/libreswan-conn.js';
import { libreswanSecret } from './libreswan_secret/libreswan-secret.js';
import { firewalld } from './firewalld/firewalld.js';
import { route } from './route/route.js';
// WireGuard site-to-site (the AWS variant)
import { wireguard } from './wireguard/wireguard.js';
import { nsupdate } from './nsupdate/nsupdate.js';
import { dnsZone } from './dns_zone/dns-zone.js';
import { wireguardKey } from './wireguard_key/wireguard-key.js';
import { ec2SourceDestCheck } from './ec2_source_dest_check/ec2-source-dest-check.js';

export const netModules: AnyModule[] = [
  resolvConf,
  authorizedKey,
  libreswanConn,
  libreswanSecret,
  firewalld,
  route,
  wireguardKey,
  wireguard,
  ec2SourceDestCheck,
  nsupdate,
  dnsZone,
];
