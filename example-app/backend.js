// Stands in for the article's CherryPy app server: answers with what it received, including the
// X-Forwarded-* headers the front adds.
'use strict';
const http = require('node:http');

function createBackend() {
  return http.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end([
      'backend app server',
      `request-target: ${req.url}`,
      `Host: ${req.headers.host}`,
      `X-Forwarded-For: ${req.headers['x-forwarded-for'] || ''}`,
      `X-Forwarded-Host: ${req.headers['x-forwarded-host'] || ''}`,
      '',
    ].join('\n'));
  });
}

module.exports = { createBackend };
