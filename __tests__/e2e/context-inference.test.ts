/**
 * Issue 9, item 7: context and RewriteEngine are inferred the same way by every entry point
 * (compile/entry.ts states the rule): a file named `.htaccess` or `*.htaccess` is directory context
 * unless `context` is given; rules handed over run unless they say `RewriteEngine Off`; the trace
 * says what was inferred. Real HTTP, real files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import {
  compile,
  compileText,
  evaluateServer,
  rewrite,
  site,
  type RewriteOptions,
  type RulesInput,
} from '../../lib/index';
import { requestView } from '../../lib/http/request-view';

let tmp: string;
let docroot: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-ctx-'));
  docroot = join(tmp, 'www');
  mkdirSync(docroot);
  writeFileSync(join(docroot, 'b.txt'), 'B\n');
  // directory-context rules: the pattern sees `old`, not `/old`; no RewriteEngine line
  const dirRules = 'RewriteRule ^old$ /new [L]\n';
  writeFileSync(join(tmp, '.htaccess'), dirRules);
  writeFileSync(join(tmp, 'site.htaccess'), dirRules);
  writeFileSync(join(tmp, 'rules.conf'), 'RewriteRule ^/old$ /new [L]\n');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An Express app that answers with the URL the app finally sees. */
function appWith(rules: RulesInput, options: RewriteOptions = {}): express.Express {
  const app = express();
  app.use(rewrite(rules, options));
  app.use((req, res) => {
    res.send(req.url);
  });
  return app;
}

describe('rewrite({ file }): the context comes from the file name', () => {
  test.each([
    ['.htaccess', '/new'],
    ['site.htaccess', '/new'],
    ['rules.conf', '/new'],
  ])('context inferred from the file name: %s rewrites /old to %s', async (name, expected) => {
    const res = await request(appWith({ file: join(tmp, name) })).get('/old');
    expect(res.text).toBe(expected);
  });

  test('context inferred from the file name: an explicit context wins over the name', async () => {
    // in server context the pattern sees `/old`, so `^old$` never matches
    const res = await request(appWith({ file: join(tmp, '.htaccess') }, { context: 'server' })).get(
      '/old',
    );
    expect(res.text).toBe('/old');
  });

  test('context inferred from the file name: the trace says so', () => {
    const lines: string[] = [];
    rewrite({ file: join(tmp, 'site.htaccess') }, { trace: (l) => lines.push(l) });
    expect(lines[0]).toBe(
      `rewrite() rules (${join(tmp, 'site.htaccess')}): directory context (inferred from the file name), RewriteEngine on (implied: the rules do not say RewriteEngine)`,
    );
  });
});

describe('RewriteEngine implied the same way by rewrite(text), site({ config }) and compile()', () => {
  test('engine implied: rewrite(text) without RewriteEngine rewrites; RewriteEngine Off is honoured', async () => {
    expect((await request(appWith('RewriteRule ^/old$ /new')).get('/old')).text).toBe('/new');
    expect(
      (await request(appWith('RewriteEngine Off\nRewriteRule ^/old$ /new')).get('/old')).text,
    ).toBe('/old');
  });

  test('engine implied: site({ config }) without RewriteEngine rewrites, and says so in the trace', async () => {
    const lines: string[] = [];
    const handler = site({
      root: docroot,
      config: 'RewriteRule ^/a$ /b.txt [L]',
      trace: (l) => lines.push(l),
    });
    const server = http.createServer((req, res) => handler(req, res));
    const res = await request(server).get('/a');
    expect(res.status).toBe(200);
    expect(res.text).toBe('B\n');
    expect(lines[0]).toBe(
      'site() config: server context, RewriteEngine on (implied: the rules do not say RewriteEngine)',
    );
  });

  test('context inferred from the file name: not for site({ config }), which is the server context whatever its name', async () => {
    const conf = join(tmp, 'vhost.htaccess');
    writeFileSync(conf, 'RewriteRule ^/a$ /b.txt [L]\n');
    const handler = site({ root: docroot, config: { file: conf } });
    const server = http.createServer((req, res) => handler(req, res));
    expect((await request(server).get('/a')).text).toBe('B\n');
  });

  test('engine implied: site({ config: "RewriteEngine Off ..." }) does not rewrite', async () => {
    const handler = site({
      root: docroot,
      config: 'RewriteEngine Off\nRewriteRule ^/a$ /b.txt [L]',
    });
    const server = http.createServer((req, res) => handler(req, res));
    expect((await request(server).get('/a')).status).toBe(404);
  });

  test.each([
    ['RewriteRule ^/a$ /b', true],
    ['RewriteEngine on\nRewriteRule ^/a$ /b', true],
    ['RewriteEngine off\nRewriteRule ^/a$ /b', false],
  ])(
    'engine implied: compile(%j).engine is %s, and compileText() keeps it as written',
    (text, engine) => {
      expect(compile(text).engine).toBe(engine);
      expect(compileText(text).engine).toBe(/RewriteEngine/.test(text) ? engine : undefined);
    },
  );

  test('engine implied: evaluateServer(compile(text)) applies the rule to a real request', async () => {
    const ruleSet = compile('RewriteRule ^/a$ /b [L]');
    const server = http.createServer((req, res) => {
      const ev = evaluateServer(ruleSet, {
        view: requestView(req, () => false),
        server: { documentRoot: tmp },
        uri: req.url ?? '/',
        args: null,
      });
      res.end(ev instanceof Promise ? 'async' : ev.outcome.type);
    });
    expect((await request(server).get('/a')).text).toBe('rewrite');
  });

  test('context inferred from the file name: compile(text, { file: "x.htaccess" }) reads directory context', () => {
    // RewriteBase exists only in directory context (server context refuses it)
    expect(compile('RewriteBase /sub/\nRewriteRule ^a$ b', { file: 'x.htaccess' }).base).toBe(
      '/sub/',
    );
    expect(() => compile('RewriteBase /sub/', { file: 'x.conf' })).toThrow(/RewriteBase/);
  });
});
