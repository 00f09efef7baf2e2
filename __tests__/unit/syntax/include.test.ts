/**
 * core's Include and IncludeOptional (core.c include_config, util.c ap_dir_fnmatch and
 * ap_dir_nofnmatch, config.c ap_build_config), read by syntax/include.ts: what loads, and where a
 * load error is reported (the file, line and column Apache would name). Recorded: cases 410-413.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compileText } from '../../../lib/compile/compile';
import type { RuleSet } from '../../../lib/compile/ruleset';
import { RewriteSyntaxError, type RewriteProblem } from '../../../lib/errors';

let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'modrewrite-include-'));
  const files: Record<string, string> = {
    'conf/b.conf': 'RewriteRule ^/b$ /b.txt\n',
    'conf/a.conf': 'RewriteRule ^/a$ /a.txt\n',
    'conf/.dot.conf': 'RewriteRule ^/dot$ /dot.txt\n',
    'dir/z.conf': 'RewriteRule ^/z$ /z.txt\n',
    'dir/sub/y.conf': 'RewriteRule ^/y$ /y.txt\n',
    'sets/one/r.conf': 'RewriteRule ^/one$ /one.txt\n',
    'sets/two/r.conf': 'RewriteRule ^/two$ /two.txt\n',
    'sets/r.conf': 'RewriteRule ^/file$ /file.txt\n',
    'open.conf': '# opens a section\n<Directory "/srv">\n  Header set X-A a\n',
    'stray.conf': 'RewriteRule ^/s$ /s.txt\n</Directory>\n',
    'self.conf': 'Include self.conf\n',
    'bad.conf': '\n  RewriteRule ^/x\n',
    'headers.inc': 'Header set X-Dir yes\n',
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A server config as site() and serve read it, with `root` as its ServerRoot. */
const load = (text: string, context: 'server' | 'directory' = 'server'): RuleSet =>
  compileText(text, {
    context,
    mapRoot: root,
    file: join(root, 'main.conf'),
    siteDirectives: true,
    accessControl: true,
  });

/** The first load problem. */
function problem(text: string, context: 'server' | 'directory' = 'server'): RewriteProblem {
  try {
    load(text, context);
  } catch (err) {
    if (err instanceof RewriteSyntaxError) return err.problems[0]!;
    throw err;
  }
  throw new Error('loaded');
}

describe('Include and IncludeOptional: what is read', () => {
  test.each([
    // strcmp order, no leading-dot names for `*`
    ['Include conf/*.conf', ['^/a$', '^/b$']],
    ['Include conf/.*.conf', ['^/dot$']],
    // a directory: every entry, recursively, each level sorted ("sub" < "z.conf")
    ['Include dir', ['^/y$', '^/z$']],
    // a wildcard inside the path matches directories only
    ['Include sets/*/r.conf', ['^/one$', '^/two$']],
    ['Include conf/a.conf', ['^/a$']],
    [`Include "${'ROOT'}/conf/b.conf"`, ['^/b$']],
    ['IncludeOptional conf/missing.conf', []],
    ['IncludeOptional conf/*.none', []],
    ['IncludeOptional nowhere/*.conf', []],
    ['<IfModule mod_nope.c>\nInclude conf/missing.conf\n</IfModule>', []],
  ])('%s', (line, patterns) => {
    const rs = load(line.replace('ROOT', root) + '\n');
    expect(rs.rules.map((r) => r.pattern)).toEqual(patterns);
  });

  test('inside <Directory>: read as that section body', () => {
    const rs = load(`<Directory "${root}">\n  Include headers.inc\n</Directory>\n`);
    expect(rs.sections).toHaveLength(1);
  });

  test('inside <VirtualHost>: read as that vhost body', () => {
    const rs = load('<VirtualHost *>\n  Include conf/a.conf\n</VirtualHost>\n');
    expect(rs.rules).toEqual([]);
    expect(rs.virtualHosts![0]!.ruleSet.rules.map((r) => r.pattern)).toEqual(['^/a$']);
  });
});

describe('Include: load errors with the file, line and column', () => {
  test.each([
    // case 411
    [
      'RewriteEngine On\nInclude conf/missing.conf\n',
      'ERR_FILE',
      /^Could not open configuration file .*conf\/missing\.conf: No such file or directory$/,
      'main.conf',
      2,
    ],
    // case 412
    [
      'Include conf/*.none\n',
      'ERR_FILE',
      /^Include\/IncludeOptional: No matches for the wildcard '\*\.none' in '.*conf', failing$/,
      'main.conf',
      1,
    ],
    // case 413: each file is built on its own
    [
      'Include open.conf\n</Directory>\n',
      'ERR_SYNTAX_ARGS',
      /open\.conf:2: <Directory> was not closed\.$/,
      'open.conf',
      2,
    ],
    [
      'Include stray.conf\n',
      'ERR_SYNTAX_ARGS',
      /^<\/Directory> without matching <Directory section$/,
      'stray.conf',
      2,
    ],
    [
      'Include self.conf\n',
      'ERR_LIMIT',
      /^Exceeded maximum include depth of 128, There appears to be a recursion\.$/,
      'self.conf',
      1,
    ],
    ['Include\n', 'ERR_DIRECTIVE_ARGS', /^Include takes one argument$/, 'main.conf', 1],
    // a problem in an included file is reported there, with its own line as the code frame
    ['Include bad.conf\n', 'ERR_SYNTAX_ARGS', /RewriteRule/, 'bad.conf', 2],
  ])('%j', (text, code, message, file, line) => {
    const p = problem(text);
    expect(p.code).toBe(code);
    expect(p.message).toMatch(message);
    expect(p.file).toBe(join(root, file));
    expect(p.line).toBe(line);
  });

  test('the code frame of a problem in an included file is its line', () => {
    const p = problem('Include bad.conf\n');
    expect(p.column).toBe(3);
    expect(p.frame).toContain('RewriteRule ^/x');
  });

  // core.c: RSRC_CONF|ACCESS_CONF, never in an .htaccess
  test('an .htaccess may not Include', () => {
    const p = problem('Include conf/a.conf\n', 'directory');
    expect(p.code).toBe('ERR_CONTEXT');
    expect(p.message).toBe('Include not allowed here');
  });
});
