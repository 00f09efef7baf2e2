/**
 * The packed package as a TypeScript user gets it (issue 9, item 11): `npm pack`, the tarball
 * unpacked into a temp consumer project that has only typescript, @types/node and @types/express
 * (linked from this repo's node_modules; no network) plus modrewrite's runtime dependencies, and
 * `tsc --strict` without skipLibCheck and without @types/debug on consumer files:
 * - an ES module (NodeNext) and a CommonJS (.cts) consumer compile, `req.rewrite` included;
 * - a default import, which the ES module build does not have, fails at compile time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const repo = join(__dirname, '../..');
const modules = join(repo, 'node_modules');
let tmp: string;
let consumer: string;

/** Links a package from this repo's node_modules into the consumer, with its dependencies (bounded by the set). */
function linkWithDependencies(name: string, linked: Set<string>): void {
  if (linked.has(name)) return;
  linked.add(name);
  const source = join(modules, name);
  const target = join(consumer, 'node_modules', name);
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(source, target, 'dir');
  const pkg = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    if (existsSync(join(modules, dep))) linkWithDependencies(dep, linked);
  }
}

beforeAll(() => {
  if (
    !existsSync(join(repo, 'dist/esm/index.d.ts')) ||
    !existsSync(join(repo, 'dist/types/index.d.ts'))
  ) {
    execFileSync(process.execPath, [join(repo, 'scripts/build.mjs')], {
      cwd: repo,
      stdio: 'ignore',
    });
  }
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-pack-'));
  consumer = join(tmp, 'consumer');
  mkdirSync(join(consumer, 'node_modules/modrewrite'), { recursive: true });
  // --ignore-scripts: dist/ is built above; a prepack rebuild would race the other suites reading dist/
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], {
      cwd: repo,
      encoding: 'utf8',
    }),
  ) as { filename: string }[];
  execFileSync('tar', [
    '-xzf',
    join(tmp, packed[0].filename),
    '-C',
    join(consumer, 'node_modules/modrewrite'),
    '--strip-components=1',
  ]);
  const linked = new Set<string>();
  for (const name of ['typescript', '@types/node', '@types/express'])
    linkWithDependencies(name, linked);
  const runtime = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  for (const name of Object.keys(runtime.dependencies)) linkWithDependencies(name, linked);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        noEmit: true,
        skipLibCheck: false,
      },
    }),
  );
}, 180000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tsc(files: Record<string, string>): { status: number | null; output: string } {
  const names = Object.keys(files);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(consumer, name), text);
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        noEmit: true,
        skipLibCheck: false,
      },
      files: names,
    }),
  );
  const r = spawnSync(
    process.execPath,
    [join(consumer, 'node_modules/typescript/bin/tsc'), '-p', consumer],
    { cwd: consumer, encoding: 'utf8', timeout: 120000 },
  );
  return { status: r.status, output: r.stdout + r.stderr };
}

const esmConsumer = `
import { compile, rewrite, site, RewriteError, type RewriteInfo, type SiteRewriteInfo } from 'modrewrite';
import type { Request, Response } from 'express';
const mw = rewrite('RewriteRule ^/a$ /b [L]', { trace: (line: string) => void line });
const ruleSet = compile('RewriteRule ^/a$ /b');
const engineOn: boolean | undefined = ruleSet.engine;
export function handler(req: Request, res: Response): void {
  // one shape for rewrite(), site() and htaccess(); SiteRewriteInfo is its deprecated alias
  const info: RewriteInfo | undefined = req.rewrite;
  const same: SiteRewriteInfo | undefined = info;
  if (same) res.send(\`\${same.outcome.type} \${same.internalRedirects} \${same.env.HOME ?? ''}\`);
  else res.send(String(engineOn));
}
export { mw, site, RewriteError };
`;

const cjsConsumer = `
import modrewrite = require('modrewrite');
const mw = modrewrite.rewrite('RewriteRule ^/a$ /b [L]');
export = { mw, code: modrewrite.ERROR_CODES.ERR_OPTIONS };
`;

test('package types: ESM and CommonJS consumers type-check under tsc --strict, no skipLibCheck, no @types/debug', () => {
  expect(existsSync(join(consumer, 'node_modules/@types/debug'))).toBe(false);
  const r = tsc({ 'esm.ts': esmConsumer, 'cjs.cts': cjsConsumer });
  expect(r.output).toBe('');
  expect(r.status).toBe(0);
});

test('package types: a default import from the ES module build fails at compile time', () => {
  const r = tsc({
    'wrong.ts':
      "import modrewrite from 'modrewrite';\nexport const mw = modrewrite.rewrite('RewriteRule ^/a$ /b');\n",
  });
  expect(r.status).not.toBe(0);
  expect(r.output).toMatch(
    /wrong\.ts\(1,8\): error TS1192: Module '"[^"]*modrewrite[^"]*"' has no default export/,
  );
});

describe('package scripts and lockfile (issue 9, item 11)', () => {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };

  test('packaging: no install-time script (npm warns about them); the build runs at prepack, before npm test and npm start', () => {
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare'])
      expect(pkg.scripts[hook]).toBeUndefined();
    expect(pkg.scripts.prepack).toBe(pkg.scripts.build);
    // what `prepare` did on `npm install` for a checkout: tests and the example use dist/
    expect(pkg.scripts.pretest).toBe(pkg.scripts.build);
    expect(pkg.scripts.prestart).toBe(pkg.scripts.build);
  });

  test('lockfile: npm ci accepts package.json + package-lock.json on a fresh machine (every optional platform build listed)', () => {
    const fresh = join(tmp, 'fresh');
    mkdirSync(fresh);
    for (const f of ['package.json', 'package-lock.json'])
      writeFileSync(join(fresh, f), readFileSync(join(repo, f)));
    const r = spawnSync(
      'npm',
      ['ci', '--ignore-scripts', '--dry-run', '--offline', '--no-audit', '--no-fund'],
      { cwd: fresh, encoding: 'utf8', timeout: 120000 },
    );
    expect(r.stderr).not.toMatch(/in sync|Missing:/);
    expect(r.status).toBe(0);
  }, 130000);
});
