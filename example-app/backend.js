// Stands in for the article's CherryPy app server: answers with what it received, including the
// X-Forwarded-* headers the front adds. `node example-app/backend.js [port]` runs it alone (that
// is what the front's autostart does when the backend is down).
'use strict';
const http = require('node:http');

function createBackend() {
  return http.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(
      [
        'backend app server',
        `request-target: ${req.url}`,
        `Host: ${req.headers.host}`,
        `X-Forwarded-For: ${req.headers['x-forwarded-for'] || ''}`,
        `X-Forwarded-Host: ${req.headers['x-forwarded-host'] || ''}`,
        `X-Forwarded-Server: ${req.headers['x-forwarded-server'] || ''}`,
        `X-Forwarded-Proto: ${req.headers['x-forwarded-proto'] || ''}`,
        '',
      ].join('\n'),
    );
  });
}

if (require.main === module) {
  const port = Number(process.argv[2] || process.env.BACKEND_PORT || 8000);
  createBackend().listen(port, '127.0.0.1', () =>
    console.log(`backend on http://127.0.0.1:${port}/`),
  );
}

module.exports = { createBackend };
