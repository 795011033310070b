/**
 * Shared machinery of the gateway modules (libreswan_conn, libreswan_secret, firewalld, route):
 * IP prefixes, firewalld command planning, static-route planning and its persistent forms.
 */
export * from './gw-net.js';
export * from './gw-firewalld-plan.js';
export * from './gw-route-plan.js';
