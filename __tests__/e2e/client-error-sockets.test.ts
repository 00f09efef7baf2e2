/**
 * Issue 9, item 21: answerClientErrors ended sockets without destroying them; after a 408, slow
 * clients that never close kept their descriptors (2,000 clients past 120 s). And the 431 page
 * said "431 Unknown Reason"; Apache 2.4.71 sends "431 Request Header Fields Too Large" (recorded
 * with `RewriteRule ^/s431$ - [R=431]`).
 */
import http, { type Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { answerClientErrors } from '../../lib/site/client-error';

const CLIENTS = 50;

function listen(server: Server): Promise<number> {
  return new Promise((r) =>
    server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)),
  );
}

function connections(server: Server): Promise<number> {
  return new Promise((ok, fail) => server.getConnections((err, n) => (err ? fail(err) : ok(n))));
}

/** A client that sends half a request and never closes its side (allowHalfOpen); resolves with what it read. */
function slowClient(port: number, sockets: net.Socket[]): Promise<string> {
  return new Promise((ok) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () =>
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n'),
    );
    sockets.push(socket);
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      got += d;
    });
    socket.on('end', () => ok(got));
    socket.on('close', () => ok(got));
    socket.on('error', () => ok(got));
  });
}

test(`after a 408, ${CLIENTS} slow clients that never close leave no connection behind`, async () => {
  const server = answerClientErrors(
    http.createServer(
      { headersTimeout: 300, requestTimeout: 400, connectionsCheckingInterval: 50 },
      (_req, res) => res.end('never'),
    ),
  );
  const port = await listen(server);
  const sockets: net.Socket[] = [];
  try {
    const answers = await Promise.all(
      Array.from({ length: CLIENTS }, () => slowClient(port, sockets)),
    );
    for (const a of answers) expect(a).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    const deadline = Date.now() + 2000;
    let open = await connections(server);
    while (open > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      open = await connections(server);
    }
    expect(open).toBe(0);
  } finally {
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('oversized headers: "431 Request Header Fields Too Large", status line and page as Apache 2.4.71', async () => {
  const server = answerClientErrors(
    http.createServer({ maxHeaderSize: 1024 }, (_req, res) => res.end('never')),
  );
  const port = await listen(server);
  try {
    const got = await new Promise<string>((ok) => {
      const socket = net.connect(port, '127.0.0.1', () =>
        socket.write(`GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`),
      );
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => {
        text += d;
      });
      socket.on('close', () => ok(text));
      socket.on('error', () => ok(text));
    });
    expect(got).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(got).toContain(
      '<title>431 Request Header Fields Too Large</title>\n</head><body>\n<h1>Request Header Fields Too Large</h1>\n<p>The server refused this request because\nthe request header fields are too large.</p>\n</body></html>\n',
    );
  } finally {
    await new Promise((r) => server.close(r));
  }
});
