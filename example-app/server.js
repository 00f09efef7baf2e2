// `npm start`: the app server on 127.0.0.1:8000 and the front on 127.0.0.1:3000 (loopback only).
'use strict';
const { createApp } = require('./app');
const { createBackend } = require('./backend');

const backendPort = Number(process.env.BACKEND_PORT || 8000);
const port = Number(process.env.PORT || 3000);

/** A port that cannot be had is one line and exit code 1, not a stack trace (issue 9, item 8). */
function failToListen(what, envName, portNumber, err, others) {
  const reason =
    err.code === 'EADDRINUSE'
      ? 'the port is already in use'
      : err.code === 'EACCES'
        ? 'permission denied'
        : err.message;
  console.error(
    `modrewrite examples: cannot listen on 127.0.0.1:${portNumber} for the ${what}: ${reason} (set ${envName} to another port)`,
  );
  for (const other of others) other.close();
  process.exitCode = 1;
}

if (require.main === module) {
  const backend = createBackend();
  backend.once('error', (err) => failToListen('backend', 'BACKEND_PORT', backendPort, err, []));
  backend.listen(backendPort, '127.0.0.1', () => {
    const app = createApp({ backendPort, autostart: true });
    // Express 5 hands a listen error to this callback (and listens for 'error' itself)
    const server = app.listen(port, '127.0.0.1', (err) => {
      if (err) {
        failToListen('front', 'PORT', port, err, [backend]);
        void app.locals.proxy.close();
        return;
      }
      console.log(
        `modrewrite examples on http://127.0.0.1:${port}/ (backend on 127.0.0.1:${backendPort})`,
      );
    });
    // WebSocket handshakes for www.example.info go through the same rules to the backend
    server.on('upgrade', (req, socket, head) => app.locals.upgrade(req, socket, head));
  });
}

module.exports = { createApp, createBackend };
