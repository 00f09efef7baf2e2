import { AUTOINDEX_DIRECTIVE_NAMES } from './autoindex.js';
import { MIME_MODULE_DIRECTIVES } from './mime.js';

/** The MPMs' process tuning (one argument each): accepted at the process level, without effect. */
export const MPM_TUNING_DIRECTIVES: readonly string[] = [
  'StartServers',
  'MinSpareThreads',
  'MaxSpareThreads',
  'MinSpareServers',
  'MaxSpareServers',
  'ThreadLimit',
  'ThreadsPerChild',
  'ThreadStackSize',
  'ServerLimit',
  'MaxRequestWorkers',
  'MaxClients',
  'MaxConnectionsPerChild',
  'MaxRequestsPerChild',
  'AsyncRequestWorkerFactor',
  'GracefulShutdownTimeout',
  'ListenBacklog',
  'SendBufferSize',
  'ReceiveBufferSize',
  'MaxMemFree',
];

/**
 * The Apache modules modrewrite emulates, and the directives each one owns here. ONE table: what
 * `<IfModule>`, `<IfDirective>` and `<IfSection>` answer comes from it, so a module that gains an
 * emulation registers here (and its directives in parse.ts) and the sections follow.
 *
 * Apache (server/core.c `find_module`) finds a module by its source name (`mod_rewrite.c`, the
 * `name` field of its module struct) or by its symbol (`rewrite_module`, the name LoadModule
 * gives), both compared case-sensitively (`strcmp`); directive names are compared
 * case-insensitively (`ap_exists_directive` lower-cases them).
 */

export interface EmulatedModule {
  /** The module's symbol, as `LoadModule` names it: `rewrite_module`. */
  readonly symbol: string;
  /** The directives (and `<Section` openers) modrewrite understands for this module. */
  readonly directives: readonly string[];
  /**
   * The `AllowOverride` class an `.htaccess` needs for this module's directives (the
   * `req_override` of Apache's command table); `All`: any class. @default 'All'
   */
  readonly override?: OverrideClass;
  /** Directives (lower case) whose class differs from `override`. */
  readonly overrideOf?: ReadonlyMap<string, OverrideClass>;
}

/**
 * Apache's override classes (`OR_AUTHCFG`, `OR_FILEINFO`...); `All`: allowed under any of them
 * (`OR_ALL`).
 */
export type OverrideClass = 'AuthConfig' | 'FileInfo' | 'Indexes' | 'Limit' | 'Options' | 'All';

/** Source name (`mod_rewrite.c`) → module. Mutable on purpose: later modules register here. */
export const EMULATED_MODULES = new Map<string, EmulatedModule>([
  [
    'core.c',
    {
      symbol: 'core_module',
      directives: [
        'Options',
        'AddDefaultCharset',
        'ServerSignature',
        'ServerTokens',
        'TraceEnable',
        '<IfModule',
        '<IfDefine',
        '<IfFile',
        '<IfDirective',
        '<IfSection',
        '<Files',
        '<FilesMatch',
        // site(), htaccess() and serve (lib/site/env.ts); refused elsewhere
        'ErrorDocument',
        '<If',
        '<ElseIf',
        '<Else',
        ...MIME_MODULE_DIRECTIVES.core,
        '<Limit',
        '<LimitExcept',
        // server config of site() and serve (syntax/directory-sections.ts)
        '<Directory',
        '<DirectoryMatch',
        '<Location',
        '<LocationMatch',
        'AllowOverride',
        'AllowOverrideList',
        // site() and serve's server config (syntax/virtual-host.ts)
        '<VirtualHost',
        'ServerName',
        'ServerAlias',
        'DocumentRoot',
        'UseCanonicalName',
        'ErrorLog',
        'LogLevel',
        'ServerAdmin',
        // accepted without effect (syntax/virtual-host.ts NO_EFFECT)
        'Timeout',
        'KeepAlive',
        'MaxKeepAliveRequests',
        'KeepAliveTimeout',
        'HostnameLookups',
        'Protocols',
        'ProtocolsHonorOrder',
        // read at load time (syntax/include.ts) and the process level (syntax/virtual-host.ts
        // PROCESS_LEVEL): core's, mod_so's, mod_unixd's, the MPM's, mod_reqtimeout's
        'Include',
        'IncludeOptional',
        'AccessFileName',
        'PidFile',
        'Mutex',
        'User',
        'Group',
        'DefaultRuntimeDir',
        'Listen',
        'LoadModule',
        'ExtendedStatus',
        'RequestReadTimeout',
        ...MPM_TUNING_DIRECTIVES,
      ],
      overrideOf: new Map([
        ['options', 'Options'],
        ...[
          'adddefaultcharset',
          'errordocument',
          'sethandler',
          'forcetype',
          'fileetag',
          'acceptpathinfo',
          'setoutputfilter',
          'setinputfilter',
          'defaulttype',
          'enablesendfile',
          'enablemmap',
        ].map((d) => [d, 'FileInfo'] as const),
        ['cgipassauth', 'AuthConfig'],
        ['contentdigest', 'Options'],
      ]),
    },
  ],
  // mod_version's only directive is <IfVersion>, which modrewrite evaluates (as 2.4.71)
  ['mod_version.c', { symbol: 'version_module', directives: ['<IfVersion'] }],
  [
    'mod_rewrite.c',
    {
      symbol: 'rewrite_module',
      directives: [
        'RewriteEngine',
        'RewriteCond',
        'RewriteRule',
        'RewriteMap',
        'RewriteBase',
        'RewriteOptions',
      ],
      override: 'FileInfo',
    },
  ],
  // access control in .htaccess files (site(), htaccess(), serve): Require all|ip|local|host|env|
  // method|expr, `not`, the Require sections and AuthMerging (compile/authz.ts)
  [
    'mod_authz_core.c',
    {
      symbol: 'authz_core_module',
      directives: ['Require', 'AuthMerging', '<RequireAll', '<RequireAny', '<RequireNone'],
      override: 'AuthConfig',
    },
  ],
  [
    'mod_access_compat.c',
    {
      symbol: 'access_compat_module',
      directives: ['Order', 'Allow', 'Deny', 'Satisfy'],
      override: 'Limit',
      overrideOf: new Map([['satisfy', 'AuthConfig']]),
    },
  ],
  // mod_authz_host's providers (ip, local, host) are read by mod_authz_core's Require above
  ['mod_authz_host.c', { symbol: 'authz_host_module', directives: [] }],
  // Basic authentication (site/authn.ts): mod_authz_user's valid-user and user providers are read
  // by Require above; AuthType/AuthName, AuthUserFile and AuthBasicProvider (compile/access.ts)
  ['mod_authz_user.c', { symbol: 'authz_user_module', directives: [] }],
  [
    'mod_authn_core.c',
    { symbol: 'authn_core_module', directives: ['AuthType', 'AuthName'], override: 'AuthConfig' },
  ],
  [
    'mod_authn_file.c',
    { symbol: 'authn_file_module', directives: ['AuthUserFile'], override: 'AuthConfig' },
  ],
  [
    'mod_auth_basic.c',
    { symbol: 'auth_basic_module', directives: ['AuthBasicProvider'], override: 'AuthConfig' },
  ],
  [
    'mod_dir.c',
    {
      symbol: 'dir_module',
      directives: [
        'DirectorySlash',
        'DirectoryIndex',
        'FallbackResource',
        'DirectoryIndexRedirect',
      ],
      override: 'Indexes',
    },
  ],
  // Redirect* in .htaccess and server config, Alias* in server config (syntax/alias.ts)
  [
    'mod_alias.c',
    {
      symbol: 'alias_module',
      directives: [
        'Redirect',
        'RedirectMatch',
        'RedirectPermanent',
        'RedirectTemp',
        'Alias',
        'AliasMatch',
        'ScriptAlias',
        'ScriptAliasMatch',
      ],
      override: 'FileInfo',
    },
  ],
  // directory listings (site/autoindex.ts) with Debian's autoindex.conf as the base; ScanHTMLTitles
  // and AddAltClass are not emulated
  [
    'mod_autoindex.c',
    {
      symbol: 'autoindex_module',
      directives: [...AUTOINDEX_DIRECTIVE_NAMES],
      override: 'Indexes',
    },
  ],
  // site(), htaccess() and serve apply them (lib/site/env.ts); rewrite() refuses them
  [
    'mod_setenvif.c',
    {
      symbol: 'setenvif_module',
      directives: [
        'SetEnvIf',
        'SetEnvIfNoCase',
        'BrowserMatch',
        'BrowserMatchNoCase',
        'SetEnvIfExpr',
      ],
      override: 'FileInfo',
    },
  ],
  [
    'mod_env.c',
    { symbol: 'env_module', directives: ['SetEnv', 'UnsetEnv', 'PassEnv'], override: 'FileInfo' },
  ],
  // response headers in site(), htaccess() and serve (lib/site/headers.ts)
  [
    'mod_headers.c',
    { symbol: 'headers_module', directives: ['Header', 'RequestHeader'], override: 'FileInfo' },
  ],
  [
    'mod_expires.c',
    {
      symbol: 'expires_module',
      directives: ['ExpiresActive', 'ExpiresByType', 'ExpiresDefault'],
      override: 'Indexes',
    },
  ],
  [
    'mod_mime.c',
    {
      symbol: 'mime_module',
      directives: ['AddType', 'AddEncoding', ...MIME_MODULE_DIRECTIVES.mime],
      override: 'FileInfo',
    },
  ],
  // loaded in Debian's Apache; their directives are accepted without effect (WARN_NO_EFFECT):
  // no output compression, no content negotiation (syntax/mime.ts)
  ['mod_deflate.c', { symbol: 'deflate_module', directives: [...MIME_MODULE_DIRECTIVES.deflate] }],
  [
    'mod_filter.c',
    {
      symbol: 'filter_module',
      directives: [...MIME_MODULE_DIRECTIVES.filter],
      override: 'Options',
      overrideOf: new Map([['addoutputfilterbytype', 'FileInfo']]),
    },
  ],
  [
    'mod_negotiation.c',
    {
      symbol: 'negotiation_module',
      directives: [...MIME_MODULE_DIRECTIVES.negotiation],
      override: 'FileInfo',
    },
  ],
  // compiled into Debian's Apache; CustomLog & co. are accepted without effect (WARN_NO_EFFECT)
  [
    'mod_log_config.c',
    { symbol: 'log_config_module', directives: ['CustomLog', 'TransferLog', 'LogFormat'] },
  ],
  // loaded in Debian's Apache (mods-enabled/status.load): <IfModule mod_status.c> is true (case
  // 357, Pimcore's server-status exemption). No command table (mod_status.c; ExtendedStatus is
  // core's, server config only); its server-status handler is not emulated
  ['mod_status.c', { symbol: 'status_module', directives: [] }],
  // [P] is mod_proxy's proxy-server handler with mod_proxy_http's scheme; no Proxy* directive yet
  ['mod_proxy.c', { symbol: 'proxy_module', directives: ['ProxyStatus'] }],
  ['mod_proxy_http.c', { symbol: 'proxy_http_module', directives: [] }],
]);

/** `<IfModule name>`: a loaded module by source name or symbol, case-sensitive like Apache. */
export function isModuleEmulated(name: string): boolean {
  if (EMULATED_MODULES.has(name)) return true;
  for (const module of EMULATED_MODULES.values()) if (module.symbol === name) return true;
  return false;
}

/** `<IfDirective name>` (and `<IfSection>` with `<` prepended): case-insensitive, like Apache. */
export function isDirectiveKnown(name: string): boolean {
  const wanted = name.toLowerCase();
  for (const module of EMULATED_MODULES.values())
    if (module.directives.some((d) => d.toLowerCase() === wanted)) return true;
  return false;
}

/**
 * The `AllowOverride` class an `.htaccess` needs for `directive` (lower case) — core.c's
 * `<Directory>`/`AllowOverride` check; undefined: no emulated module has it (Invalid command).
 */
export function overrideClassOf(directive: string): OverrideClass | undefined {
  for (const module of EMULATED_MODULES.values()) {
    if (!module.directives.some((d) => d.toLowerCase() === directive)) continue;
    return module.overrideOf?.get(directive) ?? module.override ?? 'All';
  }
  return undefined;
}
