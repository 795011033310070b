/** yum_repository's arguments: ansible-core 2.14's argument_spec, and which of them become .repo keys. */
import { Type } from '../../../src/contract/index.js';
import { fileAttrArgs } from '../../../lib/files/args.js';

/** Ansible's `str` options: a YAML number is taken as its text. */
const Str = (description: string) => Type.Optional(Type.Unsafe<string | number>({ type: ['string', 'number'], description }));
const Bool = (description: string) => Type.Optional(Type.Boolean({ description }));
/** Ansible's `list` options: a list, or a string split at commas. */
const List = (description: string) =>
  Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: `${description} (a list, or one string split at commas)` }));
const Choice = (choices: string[], description: string) =>
  Type.Optional(Type.Unsafe<string | number>({ type: ['string', 'number'], description: `${description}: ${choices.join(', ')}` }));

export const CHOICES: Readonly<Record<string, readonly string[]>> = {
  failovermethod: ['roundrobin', 'priority'],
  http_caching: ['all', 'packages', 'none'],
  ip_resolve: ['4', '6', 'IPv4', 'IPv6', 'whatever'],
  keepcache: ['0', '1'],
  metadata_expire_filter: ['never', 'read-only:past', 'read-only:present', 'read-only:future'],
};

export const Args = Type.Object(
  {
    name: Type.String({ description: 'the repository id: the [section] of the .repo file (and the file name unless file is given)' }),
    description: Str('the human-readable name, written as `name =`; required with state=present'),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: the section written with exactly these keys; absent: the section removed (and the file when no section is left)',
    }),
    file: Str('the file name without .repo (default: name)'),
    reposdir: Type.String({ default: '/etc/yum.repos.d', description: 'the directory of the .repo file (must exist)' }),
    baseurl: List('URLs of the repository, written one per line'),
    metalink: Str('metalink URL (baseurl, metalink or mirrorlist is required with state=present)'),
    mirrorlist: Str('mirror list URL'),
    gpgkey: List('URLs of the GPG keys, written one per line'),
    gpgcakey: Str('URL of a GPG key for the CA'),
    enabled: Bool('enabled = 1/0'),
    gpgcheck: Bool("check the packages' signatures (gpgcheck = 1/0)"),
    repo_gpgcheck: Bool("check the repository metadata's signature"),
    async: Bool('download packages and metadata in parallel'),
    bandwidth: Str('maximum bandwidth (with throttle)'),
    cost: Str('relative cost of the repository'),
    deltarpm_metadata_percentage: Str('when to download delta metadata (percent)'),
    deltarpm_percentage: Str('when to use a delta RPM (percent)'),
    enablegroups: Bool("use the repository's package groups"),
    exclude: List('packages to exclude (globs), written space-separated'),
    includepkgs: List('the only packages to use from the repository, written space-separated'),
    failovermethod: Choice(CHOICES.failovermethod as string[], 'mirror failover'),
    http_caching: Choice(CHOICES.http_caching as string[], 'what proxies may cache'),
    include: Str('URL or file of more configuration'),
    ip_resolve: Choice(CHOICES.ip_resolve as string[], 'IP version'),
    keepalive: Bool('HTTP keepalive'),
    keepcache: Choice(CHOICES.keepcache as string[], 'keep the cache after installation'),
    metadata_expire: Str('metadata lifetime (seconds, or with d/h/m, or never)'),
    metadata_expire_filter: Choice(CHOICES.metadata_expire_filter as string[], 'which commands honour metadata_expire'),
    mirrorlist_expire: Str('mirror list lifetime'),
    module_hotfixes: Bool('packages of the repository bypass modular filtering'),
    password: Str('HTTP password (secret)'),
    priority: Str('priority (1-99, lower wins)'),
    protect: Bool('protect packages from updates of other repositories'),
    proxy: Str('proxy URL (_none_ for none)'),
    proxy_password: Str('proxy password (secret)'),
    proxy_username: Str('proxy user name'),
    retries: Str('download retries'),
    s3_enabled: Bool('the repository is an S3 bucket'),
    skip_if_unavailable: Bool('go on when the repository cannot be reached'),
    sslcacert: Str('CA certificates file'),
    ssl_check_cert_permissions: Bool('check the permissions of the SSL files'),
    sslclientcert: Str('client certificate file'),
    sslclientkey: Str('client key file'),
    sslverify: Bool("verify the server's certificate"),
    throttle: Str('download rate limit'),
    timeout: Str('connection timeout (seconds)'),
    ui_repoid_vars: Str('repository id variables shown'),
    username: Str('HTTP user name'),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'removed in Ansible 2.5: refused' })),
    ...fileAttrArgs,
  },
  { additionalProperties: false },
);

/** The arguments that become keys of the section (ansible-core's allowed_params; `name` carries description). */
export const REPO_KEYS: ReadonlySet<string> = new Set([
  'async',
  'bandwidth',
  'baseurl',
  'cost',
  'deltarpm_metadata_percentage',
  'deltarpm_percentage',
  'enabled',
  'enablegroups',
  'exclude',
  'failovermethod',
  'gpgcakey',
  'gpgcheck',
  'gpgkey',
  'module_hotfixes',
  'http_caching',
  'include',
  'includepkgs',
  'ip_resolve',
  'keepalive',
  'keepcache',
  'metadata_expire',
  'metadata_expire_filter',
  'metalink',
  'mirrorlist',
  'mirrorlist_expire',
  'name',
  'password',
  'priority',
  'protect',
  'proxy',
  'proxy_password',
  'proxy_username',
  'repo_gpgcheck',
  'retries',
  's3_enabled',
  'skip_if_unavailable',
  'sslcacert',
  'ssl_check_cert_permissions',
  'sslclientcert',
  'sslclientkey',
  'sslverify',
  'throttle',
  'timeout',
  'ui_repoid_vars',
  'username',
]);

/** baseurl/gpgkey: one per line (the file shows continuation lines); exclude/includepkgs: space-separated. */
export const NEWLINE_LISTS = new Set(['baseurl', 'gpgkey']);
export const SPACE_LISTS = new Set(['exclude', 'includepkgs']);
