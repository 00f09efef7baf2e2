/** The example app runs both seed scenarios; driven through real HTTP. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { deadPort } from '../helpers/ports';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createApp, createBackend } = require('../../example-app/server.js');

let backend: Server;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  backend = createBackend();
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  app = createApp({ backendPort: (backend.address() as AddressInfo).port });
});
afterAll(async () => {
  await app.locals.proxy.close();
  await new Promise((r) => backend.close(r));
});

describe('seed 000: hidden script extension (site() + python_app/.htaccess)', () => {
  test('/python_app/test runs test.js through an internal redirect, query kept, original URL visible', async () => {
    const res = await request(app).get('/python_app/test?a=1');
    expect(res.status).toBe(200);
    expect(res.text).toContain('test.js ran');
    expect(res.text).toContain('REQUEST_URI (original): /python_app/test?a=1');
    expect(res.text).toContain('file: test.js');
    expect(res.text).toContain('REDIRECT_STATUS: 200');
  });
  test('the hello directory wins over hello.js (!-d): DirectorySlash redirect, then the index', async () => {
    const slash = await request(app).get('/python_app/hello').set('Host', 'example.test');
    expect(slash.status).toBe(301);
    expect(slash.headers.location).toBe('http://example.test/python_app/hello/');
    const res = await request(app).get('/python_app/hello/');
    expect(res.text).toContain('directory');
    expect((await request(app).get('/python_app/hello.js')).text).toBe('hello.js ran\n');
  });
  test('PATH_INFO after a hidden script loops like Apache (500)', async () => {
    expect((await request(app).get('/python_app/test/extra')).status).toBe(500);
  });
  test('DirectorySlash Off: no redirect, the directory is not listed', async () => {
    expect((await request(app).get('/python_app_noslash/hello')).status).toBe(404);
    expect((await request(app).get('/python_app_noslash/hello/')).text).toContain('directory');
    expect((await request(app).get('/python_app_noslash/test')).text).toContain('test.js ran');
  });
  test('the scriptAlias alternative: scriptName and pathInfo, no directory in the way', async () => {
    const res = await request(app).get('/wsgi/test/some/path?a=1');
    expect(res.text).toContain('scriptName: /wsgi/test');
    expect(res.text).toContain('pathInfo: /some/path');
    expect((await request(app).get('/wsgi/hello')).text).toBe('hello.js ran\n');
  });
  test('a missing script is a 404, the .htaccess is never served (403)', async () => {
    expect((await request(app).get('/python_app/missing')).status).toBe(404);
    expect((await request(app).get('/python_app/.htaccess')).status).toBe(403);
  });
  test('the landing page links every case', async () => {
    const res = await request(app).get('/');
    for (const u of [
      '/python_app/test',
      '/python_app/hello',
      '/python_app_noslash/hello',
      '/wsgi/test/some/path?a=1',
    ])
      expect(res.text).toContain(`href="${u}"`);
  });
});

describe('seed 004: app server behind [P] (proxy() on undici)', () => {
  test('Host www.example.info is proxied, %20 arrives encoded, X-Forwarded-* set', async () => {
    const res = await request(app).get('/path/to%20my/page?x=1').set('Host', 'www.example.info');
    expect(res.status).toBe(200);
    expect(res.text).toContain('request-target: /path/to%20my/page?x=1');
    expect(res.text).toContain('X-Forwarded-Host: www.example.info');
    expect(res.text).toMatch(/X-Forwarded-For: \S+/);
    expect(res.text).toMatch(/X-Forwarded-Server: \S+/);
  });
  test("the seed's escape-map recipe double-encodes, as in Apache 2.4", async () => {
    const res = await request(app).get('/escaped/to%20my/page').set('Host', 'www.example.info');
    expect(res.text).toContain('request-target: /to%2520my/page');
  });
  test('static files are served before the proxy rule; missing ones go to the app server', async () => {
    const res = await request(app).get('/static/app.css').set('Host', 'www.example.info');
    expect(res.status).toBe(200);
    expect(res.text).toContain('font-family');
    expect(
      (await request(app).get('/static/nope.css').set('Host', 'www.example.info')).text,
    ).toContain('request-target: /static/nope.css');
  });
  test('other hosts see the landing page', async () => {
    const res = await request(app).get('/');
    expect(res.text).toContain('modrewrite examples');
  });
  test('the per-directory pitfall: $1 without a slash makes http://127.0.0.1:PORTpage (500); /$1 works', async () => {
    expect((await request(app).get('/pitfall/page')).status).toBe(500);
    expect((await request(app).get('/fixed/page')).text).toContain('request-target: /page');
  });
  test('a dead backend gives the 502 error document', async () => {
    const dead = createApp({ backendPort: await deadPort() });
    const res = await request(dead).get('/x').set('Host', 'www.example.info');
    expect(res.status).toBe(502);
    expect(res.text).toContain('application server is not running');
    await dead.locals.proxy.close();
  });
  test('with autostart the backend is started once and then answers', async () => {
    const port = await deadPort();
    const auto = createApp({ backendPort: port, autostart: true });
    try {
      const first = await request(auto).get('/hello').set('Host', 'www.example.info');
      expect(first.status).toBe(502);
      expect(first.text).toContain('Restarting site');
      let text = '';
      for (let i = 0; i < 100 && !text.includes('backend app server'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        text = (await request(auto).get('/hello').set('Host', 'www.example.info')).text;
      }
      expect(text).toContain('request-target: /hello');
      expect(auto.locals.autostart.starts).toBe(1);
    } finally {
      auto.locals.autostart.stop();
      await auto.locals.proxy.close();
    }
  });
});
