/**
 * lib/cli/cluster.ts's pure parts: `--workers` and `--drain-timeout` values, and the command line a
 * worker is started with (rebuilt from the parsed flags, so the worker parses what the primary did).
 */
import os from 'node:os';
import { parseCommand, SERVE, UsageError } from '../../../lib/cli/args';
import { argsOf, drainTimeout, workerCount } from '../../../lib/cli/cluster';

test.each<[string | undefined, number]>([
  [undefined, 1],
  ['1', 1],
  ['2', 2],
  ['256', 256],
  ['auto', os.availableParallelism()],
])('--workers %j → %i', (given, expected) => {
  expect(workerCount(given)).toBe(expected);
});

test.each([['0'], ['-1'], ['1.5'], ['two'], ['257'], [''], ['2 ']])(
  '--workers %j is a usage error',
  (given) => {
    expect(() => workerCount(given)).toThrow(UsageError);
  },
);

test.each<[string, number]>([
  ['1', 1],
  ['10000', 10000],
])('--drain-timeout %j → %i ms', (given, expected) => {
  expect(drainTimeout(given)).toBe(expected);
});

test.each([['0'], ['-5'], ['1e3'], ['soon'], ['']])(
  '--drain-timeout %j is a usage error',
  (given) => {
    expect(() => drainTimeout(given)).toThrow(UsageError);
  },
);

test.each<[string, string[]]>([
  ['defaults only', ['--root', 'www']],
  [
    'strings, repeated flags and booleans',
    [
      ...['--root', 'www', '--config', 'a b.conf', '--index', 'index.php', '--index', 'x.html'],
      ...['-D', 'PROD', '--quiet', '--no-dns', '--workers', '3', '--drain-timeout', '500'],
    ],
  ],
  ['a value that looks like a flag', ['--root', 'www', '--server-name=--odd']],
])('a worker parses what the primary parsed: %s', (_name, argv) => {
  const parsed = parseCommand(SERVE, argv);
  const args = argsOf(SERVE, parsed);
  expect(args[0]).toBe('serve');
  expect(parseCommand(SERVE, args.slice(1)).values).toEqual(parsed.values);
});
