// The example site: both seed scenarios on one Express app.
//   A (seed 000): /python_app/ with an .htaccess that hides the .js extension of its scripts,
//      served by site() (the document root as Apache serves it), plus the scriptAlias alternative.
//   B (seed 004): requests for Host www.example.info go to an app server through [P], static files first.
'use strict';
const express = require('express');
const path = require('node:path');
const { rewrite, site, moduleHandler, scriptAlias, proxy, staticFirst, autostart } = require('..');

const siteDir = path.join(__dirname, 'site');

/**
 * @param {{ backendPort?: number, autostart?: boolean }} options autostart: start the backend
 *   (example-app/backend.js) when it is down, like the seed's autostart.cgi.
 */
function createApp({ backendPort = 8000, autostart: autostartOn = false } = {}) {
  const app = express();
  const backend = `http://127.0.0.1:${backendPort}`;
  const starter = autostartOn
    ? autostart({
        command: process.execPath,
        args: [path.join(__dirname, 'backend.js'), String(backendPort)],
      })
    : undefined;
  const toBackend = proxy({
    errorDocument: { 502: path.join(__dirname, '502.html') },
    onUnavailable: starter,
  });
  app.locals.proxy = toBackend;
  app.locals.autostart = starter;

  // Scenario B (seed 004), for Host www.example.info: static files first (they never reach the
  // app server), then everything else through [proxy] with X-Forwarded-For/Host/Server added.
  const isInfo = (req) => /^www\.example\.info(:\d+)?$/i.test(req.headers.host || '');
  const staticFiles = staticFirst({ root: path.join(siteDir, 'static') });
  app.use('/static', (req, res, next) => (isInfo(req) ? staticFiles(req, res, next) : next()));
  const front = rewrite(
    `
    RewriteEngine on
    RewriteMap escape int:escape
    # the seed's encoding note: \${escape:$1} escapes what is already escaped (%20 -> %2520)
    RewriteCond %{HTTP_HOST} ^www\\.example\\.info$ [NC]
    RewriteRule ^/escaped(/.*)$ ${backend}\${escape:$1} [proxy]
    RewriteCond %{HTTP_HOST} ^www\\.example\\.info$ [NC]
    RewriteRule ^(.*) ${backend}$1 [proxy]
  `,
    { proxy: toBackend },
  );
  app.use(front);
  app.locals.upgrade = front.upgrade;

  // The per-directory pitfall of the seed: in an .htaccess (here: a mount) the prefix is stripped,
  // so $1 has no leading slash and the target becomes http://127.0.0.1:8000page (a 500).
  app.use(
    '/pitfall',
    rewrite(`RewriteRule ^(.*) ${backend}$1 [proxy]`, {
      context: 'directory',
      root: siteDir,
      proxy: toBackend,
    }),
  );
  app.use(
    '/fixed',
    rewrite(`RewriteRule ^(.*) ${backend}/$1 [proxy]`, {
      context: 'directory',
      root: siteDir,
      proxy: toBackend,
    }),
  );

  // Scenario A, the WSGIScriptAliasMatch alternative: /wsgi/<name>/<rest> runs python_app/<name>.js
  // with req.scriptName = /wsgi/<name> and req.pathInfo = /<rest>; no .htaccess involved.
  app.use(scriptAlias(/^\/wsgi\/([^/]+)/, path.join(siteDir, 'python_app')));

  // Scenario A: the document root served like Apache with AllowOverride All. python_app/.htaccess
  // hides the .js extension (the seed's three lines); python_app_noslash/ adds DirectorySlash Off.
  // Any .js file under the root is a handler module ("any .py file is a web app").
  app.use(
    site({
      root: siteDir,
      addHandler: { '.js': 'node-module' },
      handlers: { 'node-module': moduleHandler({ dir: siteDir }) },
    }),
  );

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
<h2>B: app server behind [P] (send <code>Host: www.example.info</code>)</h2>
<p>e.g. <code>curl -H 'Host: www.example.info' http://127.0.0.1:3000/path/to%20my/page</code></p>
<ul>
<li><code>/path/to%20my/page</code>: proxied to the backend on port ${backendPort}; it shows the request-target it got (still <code>%20</code>) and X-Forwarded-For/Host/Server</li>
<li><code>/escaped/to%20my/page</code>: the seed's <code>\${escape:$1}</code> recipe, which in Apache 2.4 double-encodes (<code>%2520</code>)</li>
<li><code>/static/app.css</code>: served from disk before the proxy rule</li>
<li>other hosts: this page; the rules only match www.example.info</li>
</ul>
<h2>B, the per-directory pitfall</h2>
<ul>
${link('/pitfall/page', 'the .htaccess form with $1: http://127.0.0.1:' + backendPort + 'page, a 500')}
${link('/fixed/page', 'with /$1: proxied to /page')}
</ul>
<p>When the backend is down: the seed's 502 page, or with autostart (npm start) a page that reloads while the backend starts.</p>`;
}

module.exports = { createApp };
