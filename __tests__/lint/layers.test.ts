/**
 * Issue 8 (layers enforced): `npm run lint` rejects an import that goes up the layers, crosses
 * between sibling folders, reaches into the rewrite() module, or closes a cycle. Each snippet is
 * linted as if it were the named file of lib/, with the project's eslint.config.mjs.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const LAYER = 'import-x/no-restricted-paths';
const CYCLE = 'import-x/no-cycle';

interface Snippet {
  readonly filePath: string;
  readonly code: string;
}

/** A module that only imports `from` and uses it (so nothing else is reported). */
const importing = (filePath: string, from: string, name: string): Snippet => ({
  filePath,
  code: `import { ${name} } from '${from}';\n\nexport const used = ${name};\n`,
});

const typeImporting = (filePath: string, from: string, name: string): Snippet => ({
  filePath,
  code: `import type { ${name} } from '${from}';\n\nexport type Used = ${name};\n`,
});

const rejected: [string, Snippet, string][] = [
  [
    'compile/ importing engine/',
    importing('lib/compile/new.ts', '../engine/context.js', 'nodeFs'),
    LAYER,
  ],
  [
    'compile/ importing a type of engine/',
    typeImporting('lib/compile/new.ts', '../engine/state.js', 'EvalContext'),
    LAYER,
  ],
  [
    'common/ importing syntax/',
    importing('lib/common/new.ts', '../syntax/parse.js', 'parse'),
    LAYER,
  ],
  [
    'syntax/ importing compile/',
    typeImporting('lib/syntax/new.ts', '../compile/ruleset.js', 'RuleSet'),
    LAYER,
  ],
  [
    'errors.ts importing compile/',
    importing('lib/errors.ts', './compile/flags.js', 'splitFlags'),
    LAYER,
  ],
  [
    'engine/ importing http/',
    typeImporting('lib/engine/new.ts', '../http/types.js', 'Next'),
    LAYER,
  ],
  ['http/ importing site/', importing('lib/http/new.ts', '../site/paths.js', 'dotSegment'), LAYER],
  [
    'http/ importing the public index',
    importing('lib/http/new.ts', '../index.js', 'rewrite'),
    LAYER,
  ],
  [
    'site/ importing proxy/ (siblings)',
    importing('lib/site/new.ts', '../proxy/lookup.js', 'loopbackOnlyLookup'),
    LAYER,
  ],
  [
    'proxy/ importing site/ (siblings)',
    importing('lib/proxy/new.ts', '../site/paths.js', 'dotSegment'),
    LAYER,
  ],
  [
    'site/ importing the rewrite() module',
    importing('lib/site/new.ts', '../http/rewrite.js', 'rewrite'),
    LAYER,
  ],
  ['site/ importing the CLI', importing('lib/site/new.ts', '../cli/args.js', 'mainHelp'), LAYER],
  [
    'lint/ importing engine/ (siblings)',
    importing('lib/lint/new.ts', '../engine/evaluate.js', 'evaluateServer'),
    LAYER,
  ],
  [
    'engine/ importing lint/ (siblings)',
    importing('lib/engine/new.ts', '../lint/rules.js', 'LINT_RULES'),
    LAYER,
  ],
  [
    'lint/ importing http/',
    importing('lib/lint/new.ts', '../http/respond.js', 'sendStatus'),
    LAYER,
  ],
  // evaluate.ts imports server.ts: server.ts importing it back closes a cycle
  [
    'engine/server.ts importing engine/evaluate.ts',
    importing('lib/engine/server.ts', './evaluate.js', 'evaluateServer'),
    CYCLE,
  ],
  // maps.ts imports escape.ts
  [
    'common/escape.ts importing common/maps.ts',
    importing('lib/common/escape.ts', './maps.js', 'parseMapFile'),
    CYCLE,
  ],
];

const allowed: [string, Snippet][] = [
  [
    'engine/ importing compile/ and common/',
    importing('lib/engine/new.ts', '../compile/flags.js', 'splitFlags'),
  ],
  [
    'compile/ importing common/',
    importing('lib/compile/new.ts', '../common/bytes.js', 'utf8ToBytes'),
  ],
  ['site/ importing an http/ helper', importing('lib/site/new.ts', '../http/adapter.js', 'debug')],
  [
    'proxy/ importing an http/ helper',
    importing('lib/proxy/new.ts', '../http/respond.js', 'sendStatus'),
  ],
  ['the CLI importing site/', importing('lib/cli/new.ts', '../site/site.js', 'site')],
  ['lint/ importing compile/', importing('lib/lint/new.ts', '../compile/pcre.js', 'translatePcre')],
  ['the CLI importing lint/', importing('lib/cli/new.ts', '../lint/lint.js', 'lintSync')],
];

/** Rule ids reported for each snippet, in order (one ESLint run for the whole table). */
function lint(snippets: readonly Snippet[]): string[][] {
  const run = spawnSync(process.execPath, [join(__dirname, 'lint-snippets.mjs')], {
    cwd: ROOT,
    input: JSON.stringify(snippets),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`lint-snippets failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as string[][];
}

let reported: string[][] = [];

beforeAll(() => {
  reported = lint([...rejected.map(([, s]) => s), ...allowed.map(([, s]) => s)]);
}, 120_000);

test.each(rejected.map((row, i) => [...row, i] as const))(
  'rejected: %s',
  (_name, _snippet, rule, i) => {
    expect(reported[i]).toContain(rule);
  },
);

test.each(allowed.map((row, i) => [...row, rejected.length + i] as const))(
  'allowed: %s',
  (_name, _snippet, i) => {
    expect(reported[i]).toEqual([]);
  },
);
