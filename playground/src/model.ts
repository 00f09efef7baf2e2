/**
 * What the page shows, independent of the engine API behind it: engine.ts turns the engine's
 * answer into a `PlaygroundResult`, the page (main.ts) only renders it.
 */

/** Everything the page holds; it is also what the URL's hash encodes (state.ts). */
export interface PlaygroundState {
  readonly rules: string;
  /** `server`: the rules are server-context (`<VirtualHost>`); `directory`: an `.htaccess`. */
  readonly context: 'server' | 'directory';
  /** URL-path of the `.htaccess`'s directory (directory context), e.g. `/` or `/blog`. */
  readonly directory: string;
  readonly method: string;
  /** The request-target: URL-path and query, e.g. `/old?a=1`. */
  readonly url: string;
  /** Request headers, one `Name: value` per line (Host among them). */
  readonly headers: string;
  /** Paths under the DocumentRoot that exist: `a/b.txt` a file, `dir/` a directory. */
  readonly files: readonly string[];
}

/** One line of the step-by-step trace. */
export interface TraceStep {
  /** What kind of step: `rule`, `cond`, `subst`, `env`, `redirect`, `stop`, `note`… */
  readonly kind: string;
  /** 1-based line of the rules text the step belongs to, when it belongs to one. */
  readonly line?: number;
  readonly text: string;
  /** For a rule or condition: whether it matched. */
  readonly ok?: boolean;
}

export interface Problem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export interface PlaygroundResult {
  /** The rules did not load: every problem, positioned. */
  readonly problems: readonly Problem[];
  readonly warnings: readonly Problem[];
  /** The outcome: `kind` is pass, rewrite, redirect, status, proxy, file or error. */
  readonly outcome: {
    readonly kind: string;
    /** One line, e.g. `302 redirect to http://www.example.com/new`. */
    readonly summary: string;
    /** Label → value rows (Location, filename, query, env…). */
    readonly details: readonly (readonly [string, string])[];
  };
  readonly steps: readonly TraceStep[];
  /** Rule lines whose pattern matched and whose conditions held. */
  readonly matchedLines: readonly number[];
  /** Rule and condition lines that were tried without success. */
  readonly failedLines: readonly number[];
}

/** The DocumentRoot the virtual file tree lives under (Debian's default). */
export const DOCUMENT_ROOT = '/var/www/html';

export const DEFAULT_STATE: PlaygroundState = {
  rules: [
    'RewriteEngine On',
    'RewriteRule ^old/(.*)$ /new/$1 [R=301,L]',
    'RewriteCond %{REQUEST_FILENAME} !-f',
    'RewriteCond %{REQUEST_FILENAME} !-d',
    'RewriteRule ^ index.php [L]',
    '',
  ].join('\n'),
  context: 'directory',
  directory: '/',
  method: 'GET',
  url: '/blog/hello-world?ref=home',
  headers: 'Host: www.example.com\nUser-Agent: Mozilla/5.0',
  files: ['index.php', 'css/', 'css/site.css'],
};
