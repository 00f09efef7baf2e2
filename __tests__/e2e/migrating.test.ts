/**
 * The README's "Migrating from Apache" walk-throughs, run as written: the stock `.htaccess` of
 * WordPress, Laravel and Drupal (conformance/real-world/, copied verbatim from the projects) in
 * their documented layouts under Express, the PHP front controller replaced by a Node handler.
 * What Apache does with these files is recorded in the real-world corpus; here the point is that
 * the walk-throughs hold: files served, permalinks reaching the handler, protected files kept back.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import express from 'express';
import request from 'supertest';
import { htaccess, site, type RewriteInfo, type SiteRequest } from '../../lib/index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const realWorld = require('../../conformance/real-world.cjs');

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A project's files and its .htaccess in a fresh document root. */
function layout(name: string): string {
  const file = join(__dirname, `../../conformance/real-world/${name}.json`);
  const project = JSON.parse(readFileSync(file, 'utf8'));
  const root = mkdtempSync(join(tmpdir(), `modrewrite-migrate-${name}-`));
  roots.push(root);
  realWorld.writeProject(root, project);
  return root;
}

/** The Node replacement for the PHP front controller: says which script and URL it got. */
function frontController(root: string) {
  return (req: IncomingMessage & SiteRequest, res: ServerResponse): void => {
    const info = (req as { rewrite?: RewriteInfo }).rewrite;
    const env = info?.env ?? {};
    res.setHeader('Content-Type', 'text/plain');
    res.end(
      `${relative(root, req.filename ?? '')} ${(req as { originalUrl?: string }).originalUrl}` +
        (env.HTTP_AUTHORIZATION ? ` auth=${env.HTTP_AUTHORIZATION}` : '') +
        // req.rewrite has one shape for rewrite(), site() and htaccess()
        (info ? ` ${info.outcome.type}/${info.internalRedirects}` : ''),
    );
  };
}

/** The README's site() set-up for a PHP project. */
function phpSite(root: string) {
  const app = express();
  app.use(
    site({
      root,
      directoryIndex: ['index.php', 'index.html'],
      addHandler: { '.php': 'php' },
      handlers: { php: frontController(root) },
      fallthrough: false,
    }),
  );
  return app;
}

describe('WordPress: its .htaccess under site()', () => {
  const root = layout('wordpress');
  const app = phpSite(root);

  test.each([
    ['/hello-world/', 'index.php /hello-world/ file/1'],
    ['/category/news/page/2/', 'index.php /category/news/page/2/ file/1'],
    ['/wp-json/wp/v2/users/me', 'index.php /wp-json/wp/v2/users/me file/1'],
    ['/', 'index.php /'],
    ['/wp-login.php?action=lostpassword', 'wp-login.php /wp-login.php?action=lostpassword'],
  ])('%s reaches the front controller as %s', async (url, said) => {
    const res = await request(app).get(url);
    expect(res.status).toBe(200);
    expect(res.text).toBe(said);
  });

  test('theme files are served; /wp-admin gets its slash; .htaccess is 403', async () => {
    const css = await request(app).get('/wp-content/themes/twentytwentyfour/style.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.text).toBe('FILE wp-content/themes/twentytwentyfour/style.css\n');
    const admin = await request(app).get('/wp-admin');
    expect(admin.status).toBe(301);
    expect(admin.headers.location).toMatch(/\/wp-admin\/$/);
    expect((await request(app).get('/.htaccess')).status).toBe(403);
  });
});

describe('Laravel: public/.htaccess under site()', () => {
  // the corpus lays out the document root itself (public/ of a Laravel checkout)
  const root = layout('laravel');
  const app = phpSite(root);

  test('routes reach index.php; a trailing slash on a route is a 301 to the bare route', async () => {
    expect((await request(app).get('/users/42')).text).toBe('index.php /users/42 file/1');
    const slash = await request(app).get('/users/42/');
    expect(slash.status).toBe(301);
    expect(slash.headers.location).toMatch(/\/users\/42$/);
  });

  test('the Authorization header reaches the handler as HTTP_AUTHORIZATION, like PHP sees it', async () => {
    const res = await request(app).get('/api/user').set('Authorization', 'Bearer t0k3n');
    expect(res.text).toBe('index.php /api/user auth=Bearer t0k3n file/1');
  });

  test('built assets are served', async () => {
    const res = await request(app)
      .get('/build/manifest.json')
      .buffer(true)
      // the fixture is not JSON although its name says so: read the body as text
      .parse((r, done) => {
        let text = '';
        r.on('data', (chunk: Buffer) => (text += chunk.toString()));
        r.on('end', () => done(null, text));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toBe('FILE build/manifest.json\n');
  });
});

describe('Drupal: its .htaccess under site(), and under htaccess() + express.static', () => {
  const root = layout('drupal');
  const protectedFiles = [
    '/composer.json',
    '/sites/default/settings.php',
    '/core/core.services.yml',
    '/sites/default/files/backup.sql',
    '/autoload.php',
  ];

  test.each(protectedFiles)('site(): %s is 403', async (url) => {
    expect((await request(phpSite(root)).get(url)).status).toBe(403);
  });

  /** The README's htaccess() set-up: rules first, the front controller routed, then the files. */
  function staticApp() {
    const app = express();
    app.use(htaccess({ root }));
    app.all('/index.php', (req, res) => {
      res.type('text/plain').send(`front controller for ${req.originalUrl}`);
    });
    app.use(express.static(root, { dotfiles: 'allow', cacheControl: false }));
    return app;
  }

  test.each(protectedFiles)('htaccess() in front of express.static: %s is 403', async (url) => {
    expect((await request(staticApp()).get(url)).status).toBe(403);
  });

  test('htaccess() in front of express.static: clean URLs reach the routed front controller', async () => {
    const res = await request(staticApp()).get('/node/1?page=2');
    expect(res.status).toBe(200);
    expect(res.text).toBe('front controller for /node/1?page=2');
    const js = await request(staticApp()).get('/core/misc/drupal.js');
    expect(js.text).toBe('FILE core/misc/drupal.js\n');
    // the file's `ExpiresDefault A1209600`, alone: express.static's own Cache-Control is off
    expect(js.headers['cache-control']).toBe('max-age=1209600');
  });

  test('clean URLs reach index.php; assets are served', async () => {
    const app = phpSite(root);
    expect((await request(app).get('/node/1')).text).toBe('index.php /node/1 file/1');
    const js = await request(app).get('/core/misc/drupal.js');
    expect(js.status).toBe(200);
    expect(js.text).toBe('FILE core/misc/drupal.js\n');
  });
});
