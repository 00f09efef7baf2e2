/**
 * Worker side of http-harness.ts: starts the servers of http-servers.ts and answers `collect`
 * messages (what happened to one request, and every crash since the last collect).
 */
'use strict';
const { parentPort } = require('node:worker_threads');
require('./register-ts.cjs');
const { startServers } = require('./http-servers.ts');

startServers(() => undefined).then((servers) => {
  parentPort.on('message', (message) => {
    if (message.type === 'collect') parentPort.postMessage({ type: 'collected', id: message.id, ...servers.collect(message.id) });
    if (message.type === 'close') servers.close().then(() => parentPort.postMessage({ type: 'closed' }));
  });
  parentPort.postMessage({ type: 'ready', ports: servers.ports });
}, (err) => {
  parentPort.postMessage({ type: 'failed', error: String(err && err.stack || err) });
});
