// `npm start`: the app server on 127.0.0.1:8000 and the front on 127.0.0.1:3000 (loopback only).
'use strict';
const { createApp } = require('./app');
const { createBackend } = require('./backend');

const backendPort = Number(process.env.BACKEND_PORT || 8000);
const port = Number(process.env.PORT || 3000);

if (require.main === module) {
  createBackend().listen(backendPort, '127.0.0.1', () => {
    const app = createApp({ backendPort, autostart: true });
    const server = app.listen(port, '127.0.0.1', () => {
      console.log(`modrewrite examples on http://127.0.0.1:${port}/ (backend on 127.0.0.1:${backendPort})`);
    });
    // WebSocket handshakes for www.example.info go through the same rules to the backend
    server.on('upgrade', (req, socket, head) => app.locals.upgrade(req, socket, head));
  });
}

module.exports = { createApp, createBackend };
