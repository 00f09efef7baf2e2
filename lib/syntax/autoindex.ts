/**
 * mod_autoindex's directives as modrewrite reads them (argument checks of mod_autoindex.c's
 * command table): IndexIgnore (one or more patterns), IndexIgnoreReset (On|Off), IndexOptions
 * (one or more keywords, checked in compile/autoindex.ts), IndexOrderDefault
 * (Ascending|Descending Name|Date|Size|Description), HeaderName and ReadmeName (one name), the
 * AddIcon* and AddAlt* lists (an icon or alt text, then one or more names, types or encodings;
 * ITERATE2), AddDescription (a text, then one or more names; ITERATE2), DefaultIcon,
 * IndexStyleSheet and IndexHeadInsert (one argument).
 */
import type { SourcePosition } from '../errors.js';
import type {
  Arg,
  AutoindexDirective,
  AutoindexDirectiveName,
  TraceEnableDirective,
} from './ast.js';
import type { ConfigContext, ProblemSink } from './parse.js';

/** mod_autoindex's directives (modules.ts lists them as the module's). */
export const AUTOINDEX_DIRECTIVE_NAMES = [
  'IndexIgnore',
  'IndexIgnoreReset',
  'IndexOptions',
  'IndexOrderDefault',
  'HeaderName',
  'ReadmeName',
  'AddIcon',
  'AddIconByType',
  'AddIconByEncoding',
  'AddAlt',
  'AddAltByType',
  'AddAltByEncoding',
  'DefaultIcon',
  'IndexStyleSheet',
  'IndexHeadInsert',
  'AddDescription',
] as const;

/** Lower-case name → directive, for parse.ts's switch. */
export const AUTOINDEX_DIRECTIVES = new Map<string, AutoindexDirectiveName>(
  AUTOINDEX_DIRECTIVE_NAMES.map((n) => [n.toLowerCase(), n]),
);

const ORDER_KEYS = new Map([
  ['name', 'N'],
  ['date', 'M'],
  ['size', 'S'],
  ['description', 'D'],
]);

export function parseAutoindex(
  name: AutoindexDirectiveName,
  args: readonly Arg[],
  pos: SourcePosition,
  sink: ProblemSink,
): AutoindexDirective | undefined {
  const fail = (message: string, at?: SourcePosition): undefined => {
    sink.add('ERR_DIRECTIVE_ARGS', `${name}: ${message}`, at ?? args[0]?.pos ?? pos);
    return undefined;
  };
  switch (name) {
    case 'IndexIgnore':
    case 'IndexOptions':
      if (!args.length) return fail('requires at least one argument');
      break;
    case 'IndexIgnoreReset': {
      const v = args[0]?.text.toLowerCase();
      if (args.length !== 1 || (v !== 'on' && v !== 'off')) return fail('must be On or Off');
      break;
    }
    case 'HeaderName':
    case 'ReadmeName':
    case 'DefaultIcon':
    case 'IndexStyleSheet':
    case 'IndexHeadInsert':
      if (args.length !== 1) return fail('takes one argument');
      break;
    case 'AddIcon':
    case 'AddIconByType':
    case 'AddIconByEncoding':
    case 'AddAlt':
    case 'AddAltByType':
    case 'AddAltByEncoding':
    case 'AddDescription':
      if (args.length < 2) return fail('requires at least two arguments');
      // add_icon: an `(alt,url)` icon needs its closing parenthesis
      if (name.startsWith('AddIcon') && args[0]!.text[0] === '(' && !args[0]!.text.includes(')'))
        return fail('missing closing paren');
      break;
    case 'IndexOrderDefault': {
      const direction = args[0]?.text.toLowerCase();
      if (args.length !== 2) return fail('takes two arguments');
      if (direction !== 'ascending' && direction !== 'descending')
        return fail("First keyword must be 'Ascending' or 'Descending'");
      const key = ORDER_KEYS.get(args[1]!.text.toLowerCase());
      if (!key)
        return fail(
          "Second keyword must be 'Name', 'Date', 'Size', or 'Description'",
          args[1]!.pos,
        );
      // normalised: direction A|D, key N|M|S|D
      const norm = (text: string, a: Arg): Arg => ({ text, pos: a.pos });
      return {
        type: 'Autoindex',
        name,
        args: [norm(direction[0]!.toUpperCase(), args[0]!), norm(key, args[1]!)],
        pos,
      };
    }
  }
  return { type: 'Autoindex', name, args, pos };
}

/**
 * core's `TraceEnable On|Off` (what answers TRACE, site/methods.ts): server config only, an
 * `.htaccess` line is Apache's "not allowed here" (500, recorded in case 175). `extended` (echoing
 * a request body) is refused: modrewrite does not read TRACE bodies.
 */
export function parseTraceEnable(
  args: readonly Arg[],
  context: ConfigContext,
  pos: SourcePosition,
  sink: ProblemSink,
): TraceEnableDirective | undefined {
  if (context === 'directory') {
    sink.add('ERR_CONTEXT', 'TraceEnable not allowed here', pos);
    return undefined;
  }
  const value = args[0]?.text.toLowerCase();
  if (args.length !== 1 || (value !== 'on' && value !== 'off')) {
    const message =
      value === 'extended'
        ? 'TraceEnable extended is not supported by modrewrite (On or Off)'
        : 'TraceEnable must be On or Off';
    sink.add('ERR_DIRECTIVE_ARGS', message, args[0]?.pos ?? pos);
    return undefined;
  }
  return { type: 'TraceEnable', on: value === 'on', pos };
}
