/**
 * lib/cli/args.ts: the CLI's flag tables. Parsing is strict (a mistake is a UsageError, exit 2),
 * defaults come from the table, and a mistyped flag or command gets the nearest known one.
 */
import {
  commandHelp,
  editDistance,
  findCommand,
  LINT,
  mainHelp,
  nearest,
  parseCommand,
  SERVE,
  UsageError,
} from '../../../lib/cli/args';

test.each([
  ['port', 'port', 0],
  ['prot', 'port', 1], // a transposition counts once
  ['rot', 'root', 1],
  ['', 'abc', 3],
  ['kitten', 'sitting', 3],
])('editDistance(%j, %j) → %i', (a, b, expected) => {
  expect(editDistance(a, b)).toBe(expected);
  expect(editDistance(b, a)).toBe(expected);
});

test.each<[string, string[], string | undefined]>([
  ['--prot', ['--port', '--root'], '--port'],
  ['--rot', ['--port', '--root'], '--root'], // distance 1 to --root, 2 to --port
  ['ser', ['serve', 'lint'], 'serve'], // a unique prefix
  ['s', ['serve', 'lint'], undefined], // one letter is no prefix
  ['--zzzzzz', ['--port', '--root'], undefined], // nothing within reach
  ['lnit', ['serve', 'lint'], 'lint'],
])('nearest(%j) → %j', (word, candidates, expected) => {
  expect(nearest(word, candidates)).toBe(expected);
});

describe('parseCommand', () => {
  test.each<[string, string[], Record<string, unknown>, string[]]>([
    [
      'serve',
      ['--root', 'www'],
      { root: 'www', port: '8080', host: '127.0.0.1', 'proxy-status': 'apache' },
      [],
    ],
    ['serve', ['--root=www', '--port', '0'], { root: 'www', port: '0' }, []],
    ['serve', ['--root', 'w', '-D', 'A', '--define', 'B'], { define: ['A', 'B'] }, []],
    [
      'serve',
      ['--root', 'w', '--index', 'a.html', '--index', 'b.php'],
      { index: ['a.html', 'b.php'] },
      [],
    ],
    ['serve', ['--root', 'w', '--no-dns', '--quiet'], { 'no-dns': true, quiet: true }, []],
    ['lint', ['a.htaccess', 'b.conf'], {}, ['a.htaccess', 'b.conf']],
    ['lint', ['--context', 'server', 'x.conf'], { context: 'server' }, ['x.conf']],
  ])('%s %j', (command, args, values, positionals) => {
    const parsed = parseCommand(command === 'serve' ? SERVE : LINT, args);
    expect(parsed.values).toMatchObject(values);
    expect(parsed.positionals).toEqual(positionals);
  });

  test.each<[string, string[], string]>([
    ['serve', ['--prot', '80'], "unknown flag '--prot' for serve; did you mean '--port'?"],
    ['serve', ['--rot=www'], "unknown flag '--rot' for serve; did you mean '--root'?"],
    ['serve', ['--zzzzzzzz'], "unknown flag '--zzzzzzzz' for serve"],
    ['serve', ['extra'], "serve takes no arguments besides flags: 'extra'"],
    ['serve', ['--root'], "serve: Option '--root <value>' argument missing"],
    ['serve', ['--quiet=yes'], 'serve: '],
  ])('%s %j is a UsageError: %s', (command, args, message) => {
    let error: unknown;
    try {
      parseCommand(command === 'serve' ? SERVE : LINT, args);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toContain(message);
    expect((error as UsageError).command).toBe(command);
  });
});

describe('findCommand', () => {
  test.each([
    ['serve', 'serve'],
    ['lint', 'lint'],
  ])('%s', (word, name) => {
    expect(findCommand(word).name).toBe(name);
  });
  test.each([
    ['srve', "unknown command 'srve'; did you mean 'serve'?"],
    ['build', "unknown command 'build'"],
  ])('%s → %s', (word, message) => {
    expect(() => findCommand(word)).toThrow(message);
  });
});

describe('help texts', () => {
  test('modrewrite --help names every command and the exit codes', () => {
    const text = mainHelp();
    for (const word of ['serve', 'lint', 'Exit codes:', '--version']) expect(text).toContain(word);
  });
  test.each([
    ['--port N', 'default: 8080'],
    ['--host', 'default: 127.0.0.1'],
    ['-D, --define', 'repeat'],
  ])('serve --help lists %s with %s', (flag, detail) => {
    const line = commandHelp(SERVE)
      .split('\n')
      .find((l) => l.includes(flag));
    expect(line).toBeDefined();
    expect(line).toContain(detail);
  });
});
