/**
 * Worker side of http-harness.ts: starts the servers of http-servers.ts, posts every crash as it
 * happens, and answers `collect` messages (what the server saw of one request).
 */
'use strict';
const { parentPort } = require('node:worker_threads');
require('./register-ts.cjs');
const { startServers } = require('./http-servers.ts');

startServers((what) => parentPort.postMessage({ type: 'crash', what })).then(
  (servers) => {
    parentPort.on('message', (message) => {
      if (message.type === 'collect')
        parentPort.postMessage({
          type: 'collected',
          id: message.id,
          ...servers.collect(message.id),
        });
      if (message.type === 'generate')
        parentPort.postMessage({ type: 'generated', ...servers.setGenerated(message.text) });
      if (message.type === 'close')
        servers.close().then(() => parentPort.postMessage({ type: 'closed' }));
    });
    parentPort.postMessage({ type: 'ready', ports: servers.ports });
  },
  (err) => {
    parentPort.postMessage({ type: 'failed', error: String((err && err.stack) || err) });
  },
);
