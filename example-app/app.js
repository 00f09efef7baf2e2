// The example site: both seed scenarios on one Express app.
//   A (seed 000): /python_app/ with an .htaccess that hides the .js extension of its scripts,
//      served by site() (the document root as Apache serves it), plus the scriptAlias alternative.
//   B (seed 004): requests for Host www.example.info go to an app server through [P], static files first.
'use strict';
const express = require('express');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { rewrite, site, moduleHandler, scriptAlias } = require('..');

const siteDir = path.join(__dirname, 'site');

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

  // Scenario A, the WSGIScriptAliasMatch alternative: /wsgi/<name>/<rest> runs python_app/<name>.js
  // with req.scriptName = /wsgi/<name> and req.pathInfo = /<rest>; no .htaccess involved.
  app.use(scriptAlias(/^\/wsgi\/([^/]+)/, path.join(siteDir, 'python_app')));

  // Scenario A: the document root served like Apache with AllowOverride All. python_app/.htaccess
  // hides the .js extension (the seed's three lines); python_app_noslash/ adds DirectorySlash Off.
  // Any .js file under the root is a handler module ("any .py file is a web app").
  app.use(site({
    root: siteDir,
    addHandler: { '.js': 'node-module' },
    handlers: { 'node-module': moduleHandler({ dir: siteDir }) },
  }));

  app.get('/', (req, res) => {
    res.type('html').send(landing(backendPort));
  });
  return app;
}

function landing(backendPort) {
  const link = (u, what) => `<li><a href="${u}">${u}</a> ${what}</li>`;
  return `<!doctype html><title>modrewrite examples</title>
<h1>modrewrite examples</h1>
<h2>A: hidden script extension (python_app/.htaccess)</h2>
<ul>
${link('/python_app/test', 'runs test.js (the rule adds .js)')}
${link('/python_app/test?a=1', 'keeps the query')}
${link('/python_app/test/extra', 'PATH_INFO after a hidden script: the rule loops (500, as in Apache)')}
${link('/python_app/hello', 'is the hello/ directory: DirectorySlash redirects to hello/')}
${link('/python_app/hello/', 'the directory index, not hello.js (the !-d condition)')}
${link('/python_app/hello.js', 'the script itself')}
${link('/python_app/missing', '404')}
${link('/python_app/.htaccess', '403, never served')}
</ul>
<h2>A, DirectorySlash Off (python_app_noslash/.htaccess)</h2>
<ul>
${link('/python_app_noslash/test', 'runs test.js')}
${link('/python_app_noslash/hello', 'no redirect: the directory is not listed (404)')}
${link('/python_app_noslash/hello/', 'the directory index')}
</ul>
<h2>A, the script-alias alternative (scriptAlias)</h2>
<ul>
${link('/wsgi/test/some/path?a=1', 'runs test.js with scriptName /wsgi/test and pathInfo /some/path')}
${link('/wsgi/hello', 'runs hello.js: no directory can get in the way')}
</ul>
<h2>B: app server behind [P]</h2>
<p>Send <code>Host: www.example.info</code> (e.g. <code>curl -H 'Host: www.example.info' http://127.0.0.1:3000/path/to%20my/page</code>): the request goes to the backend on port ${backendPort}; <a href="/static/app.css">/static/</a> is served first.</p>`;
}

module.exports = { createApp };
