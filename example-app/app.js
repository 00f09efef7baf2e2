// The example site: both seed scenarios on one Express app.
//   A (seed 000): /python_app/ with an .htaccess that hides the .js extension of its scripts.
//   B (seed 004): requests for Host www.example.info go to an app server through [P], static files first.
'use strict';
const express = require('express');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { rewrite } = require('..');

const site = path.join(__dirname, 'site');

/** A minimal [P] hand-off for the example (the production proxy is a separate issue). */
function simpleProxy(req, res, next, { target }) {
  const url = new URL(target);
  const upstream = http.request({
    host: url.hostname, port: url.port, method: req.method, path: url.pathname + url.search,
    headers: { ...req.headers, host: url.host, 'x-forwarded-for': req.socket.remoteAddress, 'x-forwarded-host': req.headers.host || '', connection: 'close' },
  }, (up) => {
    res.writeHead(up.statusCode || 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', () => {
    // the seed's ErrorDocument 502
    res.status(502).type('text/html').send(fs.readFileSync(path.join(__dirname, '502.html')));
  });
  req.pipe(upstream);
}

function createApp({ backendPort = 8000 } = {}) {
  const app = express();

  // Scenario B, server context: static files first, then everything for www.example.info to the app server.
  app.use(rewrite(`
    RewriteEngine on
    RewriteRule ^/static/ - [L]
    RewriteCond %{HTTP_HOST} ^www\\.example\\.info$ [NC]
    RewriteRule ^(.*) http://127.0.0.1:${backendPort}$1 [proxy]
  `, { proxy: simpleProxy }));
  app.use('/static', express.static(path.join(site, 'static')));

  // Scenario A, per-directory context: the .htaccess of python_app/, as Apache would read it.
  app.use('/python_app', rewrite({ file: path.join(site, 'python_app/.htaccess') }, { context: 'directory', root: site }));
  app.get(/^\/python_app\/([\w-]+)\.js$/, (req, res, next) => {
    const file = path.join(site, 'python_app', `${req.params[0]}.js`);
    if (!fs.existsSync(file)) return next();
    return require(file)(req, res, next);
  });
  app.use('/python_app', express.static(path.join(site, 'python_app'), { dotfiles: 'ignore', redirect: true }));

  app.get('/', (req, res) => {
    res.type('html').send(`<!doctype html><title>modrewrite examples</title>
<h1>modrewrite examples</h1>
<h2>A: hidden script extension (.htaccess in python_app/)</h2>
<ul>
<li><a href="/python_app/test">/python_app/test</a> runs test.js</li>
<li><a href="/python_app/test?a=1">/python_app/test?a=1</a> keeps the query</li>
<li><a href="/python_app/hello/">/python_app/hello/</a> is the directory, not hello.js</li>
<li><a href="/python_app/hello.js">/python_app/hello.js</a> the script itself</li>
</ul>
<h2>B: app server behind [P]</h2>
<p>Send <code>Host: www.example.info</code> (e.g. <code>curl -H 'Host: www.example.info' http://127.0.0.1:3000/path/to%20my/page</code>): the request goes to the backend on port ${backendPort}; <a href="/static/app.css">/static/</a> is served first.</p>`);
  });
  return app;
}

module.exports = { createApp };
