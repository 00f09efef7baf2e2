/**
 * The argument and context checks of mod_mime's, core's file-serving and the no-effect modules'
 * directives (syntax/mime.ts), and core's Options checks: what Apache 2.4.71 refuses at load
 * (recorded in conformance case 194: a 500 for the .htaccess), what it accepts.
 */
import { compileText } from '../../../lib/compile/compile';
import { RewriteError } from '../../../lib/errors';

const problemOf = (text: string, context: 'server' | 'directory' = 'directory') => {
  try {
    compileText(text, { context, accessControl: true });
  } catch (err) {
    if (err instanceof RewriteError) return { code: err.code, message: err.message };
    throw err;
  }
  return undefined;
};

test.each([
  ['AddCharset utf-8 .css .js'],
  ['AddLanguage de-DE .de'],
  ['AddHandler application/x-httpd-php .php'],
  ['SetHandler None'],
  ['ForceType text/plain'],
  ['RemoveType .html .htm'],
  ['RemoveHandler .php'],
  ['RemoveCharset .css'],
  ['RemoveEncoding .gz'],
  ['RemoveLanguage .en'],
  ['DefaultLanguage fr'],
  ['FileETag None'],
  ['FileETag MTime Size'],
  ['FileETag -INode +Size'],
  ['FileETag Digest'],
  ['AcceptPathInfo Default'],
  ['LimitRequestBody 0'],
  ['LimitRequestBody 2147483647'],
  ['AddOutputFilterByType DEFLATE text/html text/css'],
  ['SetOutputFilter DEFLATE'],
  ['FilterDeclare COMPRESS'],
  ['LanguagePriority en fr'],
  ['ForceLanguagePriority Prefer Fallback'],
  ['DeflateInflateLimitRequestBody 1000'],
  ['Options -Indexes +FollowSymLinks -MultiViews'],
  // mod_negotiation's MultiViews (site/negotiation.ts; cases 480-483)
  ['Options +MultiViews'],
  ['Options FollowSymlinks MultiViews'],
  ['Options RunScripts'],
  ['Options None +FollowSymLinks'],
  ['Options All'],
  ['Options SymLinksIfOwnerMatch IncludesNOEXEC ExecCGI'],
  // core's flag, OR_OPTIONS (case 495)
  ['ContentDigest On'],
  ['ContentDigest off'],
])('accepted in an .htaccess: %s', (line) => {
  expect(problemOf(line)).toBeUndefined();
});

test.each([
  // RSRC_CONF in Apache: "not allowed here" in an .htaccess (recorded, case 194)
  ['DeflateCompressionLevel 9', 'ERR_CONTEXT', 'DeflateCompressionLevel not allowed here'],
  ['DeflateFilterNote ratio', 'ERR_CONTEXT', 'DeflateFilterNote not allowed here'],
  ['TypesConfig /etc/mime.types', 'ERR_CONTEXT', 'TypesConfig not allowed here'],
  ['Define FOO', 'ERR_CONTEXT', 'Define not allowed here'],
  ['UnDefine FOO', 'ERR_CONTEXT', 'UnDefine not allowed here'],
  ['ModMimeUsePathInfo On', 'ERR_CONTEXT', 'ModMimeUsePathInfo not allowed here'],
  // argument counts and values
  ['AddCharset utf-8', 'ERR_DIRECTIVE_ARGS', 'AddCharset takes at least 2 arguments'],
  ['ForceType', 'ERR_DIRECTIVE_ARGS', 'ForceType takes 1 argument'],
  ['SetHandler a b', 'ERR_DIRECTIVE_ARGS', 'SetHandler takes 1 argument'],
  [
    'AcceptPathInfo maybe',
    'ERR_DIRECTIVE_ARGS',
    'AcceptPathInfo must be set to on, off or default',
  ],
  ['LimitRequestBody -1', 'ERR_DIRECTIVE_ARGS', 'LimitRequestBody argument is not parsable'],
  ['ContentDigest yes', 'ERR_DIRECTIVE_ARGS', 'ContentDigest must be On or Off'],
  ['LimitRequestBody 10k', 'ERR_DIRECTIVE_ARGS', 'LimitRequestBody argument is not parsable'],
  ['FileETag Bogus', 'ERR_DIRECTIVE_ARGS', "Unknown keyword 'Bogus' for FileETag directive"],
  ['FileETag MTime +Size', 'ERR_DIRECTIVE_ARGS', 'either all keywords must start with + or -'],
  ['FileETag +None', 'ERR_DIRECTIVE_ARGS', 'All and None cannot be +/-'],
  // core's set_options, with its messages (recorded, case 194)
  ['Options Bogus', 'ERR_DIRECTIVE_ARGS', 'Illegal option Bogus'],
  ['Options +FollowSymLinks Indexes', 'ERR_DIRECTIVE_ARGS', 'Either all Options must start'],
  ['Options +None', 'ERR_DIRECTIVE_ARGS', "You may not use 'Options +None'"],
  ['Options FollowSymLinks All', 'ERR_DIRECTIVE_ARGS', "'Options All' must be the first"],
])('refused in an .htaccess: %s', (line, code, message) => {
  const problem = problemOf(line);
  expect(problem?.code).toBe(code);
  expect(problem?.message).toContain(message);
});

test.each([
  ['TypesConfig /etc/mime.types'],
  ['DeflateCompressionLevel 9'],
  ['Define FOO'],
  ['Define FOO bar'],
  ['UnDefine FOO'],
  ['CacheNegotiatedDocs'],
])('accepted in server context: %s', (line) => {
  expect(problemOf(line, 'server')).toBeUndefined();
});

test('TypesConfig naming a file that does not exist is a positioned ERR_FILE', () => {
  const problem = problemOf('TypesConfig no/such/mime.types', 'server');
  expect(problem?.code).toBe('ERR_FILE');
});

test('Define and UnDefine in server context change what the <IfDefine> after them see', () => {
  const text = [
    '<IfDefine FOO>',
    '  AddType text/x-before .b',
    '</IfDefine>',
    'Define FOO',
    '<IfDefine FOO>',
    '  AddType text/x-defined .d',
    '</IfDefine>',
    'UnDefine FOO',
    '<IfDefine FOO>',
    '  AddType text/x-after .a',
    '</IfDefine>',
  ].join('\n');
  const rs = compileText(text, { context: 'server', siteDirectives: true });
  expect([...(rs.addTypes ?? [])]).toEqual([['d', 'text/x-defined']]);
});

// core's MaxRanges, MaxRangeOverlaps, MaxRangeReversals: RSRC_CONF|ACCESS_CONF (cases 196, 436-439)
test.each([
  ['MaxRanges none'],
  ['MaxRanges DEFAULT'],
  ['MaxRanges Unlimited'],
  ['MaxRanges 1'],
  // atoi: the digits up to the first other character
  ['MaxRanges 3x'],
  ['MaxRanges  +7'],
  ['MaxRangeOverlaps none'],
  ['MaxRangeOverlaps 5'],
  ['MaxRangeReversals unlimited'],
  ['MaxRangeReversals 2'],
])('accepted in server context: %s', (line) => {
  expect(problemOf(line, 'server')).toBeUndefined();
});

test.each([
  ['MaxRanges 0', 'MaxRanges'],
  ['MaxRanges -1', 'MaxRanges'],
  ['MaxRanges x', 'MaxRanges'],
  ['MaxRanges nonee', 'MaxRanges'],
  // strtol clamps to 2^63-1, whose low 32 bits as an int are -1
  ['MaxRanges 99999999999999999999', 'MaxRanges'],
  ['MaxRangeOverlaps 0', 'MaxRangeOverlaps'],
  ['MaxRangeReversals -5', 'MaxRangeReversals'],
])('refused at load: %s', (line, name) => {
  expect(problemOf(line, 'server')).toEqual({
    code: 'ERR_DIRECTIVE_ARGS',
    message: expect.stringContaining(
      `${name} requires 'none', 'default', 'unlimited' or a positive integer`,
    ),
  });
});

test.each([['MaxRanges 1'], ['MaxRangeOverlaps 1'], ['MaxRangeReversals 1']])(
  'not allowed in an .htaccess: %s',
  (line) => {
    expect(problemOf(line)).toEqual({
      code: 'ERR_CONTEXT',
      message: expect.stringContaining('not allowed here'),
    });
  },
);
