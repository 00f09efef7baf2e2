/** The example app runs both seed scenarios; driven through real HTTP. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createApp, createBackend } = require('../../example-app/server.js');

let backend: Server;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  backend = createBackend();
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  app = createApp({ backendPort: (backend.address() as AddressInfo).port });
});
afterAll(async () => { await new Promise((r) => backend.close(r)); });

describe('seed 000: hidden script extension', () => {
  test('/python_app/test runs test.js, query kept, original URL visible', async () => {
    const res = await request(app).get('/python_app/test?a=1');
    expect(res.status).toBe(200);
    expect(res.text).toContain('test.js ran');
    expect(res.text).toContain('REQUEST_URI (original): /python_app/test?a=1');
    expect(res.text).toContain('SCRIPT_NAME (rewritten): /python_app/test.js');
  });
  test('the hello/ directory wins over hello.js (!-d)', async () => {
    const res = await request(app).get('/python_app/hello/');
    expect(res.text).toContain('directory');
  });
  test('a missing script is a 404, the .htaccess is never served', async () => {
    expect((await request(app).get('/python_app/missing')).status).toBe(404);
    expect((await request(app).get('/python_app/.htaccess')).status).toBe(404);
  });
});

describe('seed 004: app server behind [P]', () => {
  test('Host www.example.info is proxied, %20 arrives encoded, X-Forwarded-* set', async () => {
    const res = await request(app).get('/path/to%20my/page?x=1').set('Host', 'www.example.info');
    expect(res.status).toBe(200);
    expect(res.text).toContain('request-target: /path/to%20my/page?x=1');
    expect(res.text).toContain('X-Forwarded-Host: www.example.info');
    expect(res.text).toMatch(/X-Forwarded-For: \S+/);
  });
  test('static files are served before the proxy rule', async () => {
    const res = await request(app).get('/static/app.css').set('Host', 'www.example.info');
    expect(res.status).toBe(200);
    expect(res.text).toContain('font-family');
  });
  test('other hosts see the landing page', async () => {
    const res = await request(app).get('/');
    expect(res.text).toContain('modrewrite examples');
  });
  test('a dead backend gives the 502 error document', async () => {
    const dead = createApp({ backendPort: 9 });
    const res = await request(dead).get('/x').set('Host', 'www.example.info');
    expect(res.status).toBe(502);
    expect(res.text).toContain('application server is not running');
  });
});
