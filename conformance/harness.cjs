// Shared by the recorder (real Apache) and the replay test (modrewrite): fixtures on disk, a raw
// HTTP/1.1 client that sends the request-target byte-exact, an echo backend for [P], and the
// normalisation both sides go through before comparing.
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const http = require('node:http');
const path = require('node:path');

/** Headers Apache is asked to expose (mod_headers) and the replay computes the same way. */
const ENV_NAMES = [
  'FOO',
  'BAR',
  'BAZ',
  'REDIRECT_FOO',
  'REDIRECT_STATUS',
  'MAPTYPE',
  // the Authorization pass-through of WordPress's and Laravel's .htaccess ([E=HTTP_AUTHORIZATION:...])
  'HTTP_AUTHORIZATION',
  'REDIRECT_HTTP_AUTHORIZATION',
];

function substitute(text, vars) {
  return text.replace(/\{(DOCROOT|SERVERROOT|BACKEND|PORT|DEADPORT)\}/g, (m, k) =>
    vars[k] !== undefined ? String(vars[k]) : m,
  );
}

/** Writes a case's files: `htdocs/...` under the document root, `maps/...` beside it. */
function writeFixtures(serverRoot, kase, vars) {
  const docroot = path.join(serverRoot, 'htdocs');
  fs.mkdirSync(docroot, { recursive: true });
  fs.mkdirSync(path.join(serverRoot, 'maps'), { recursive: true });
  for (const [name, content] of Object.entries(kase.files || {})) {
    const target = name.startsWith('maps/')
      ? path.join(serverRoot, name)
      : path.join(docroot, name);
    if (name.endsWith('/')) {
      fs.mkdirSync(target, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, substitute(content, vars));
    if (name.startsWith('maps/') && name.endsWith('.sh')) fs.chmodSync(target, 0o755);
  }
  // symbolic links (name → target, relative to the document root) and file modes
  for (const [name, target] of Object.entries(kase.links || {}))
    fs.symlinkSync(target, path.join(docroot, name));
  for (const [name, mode] of Object.entries(kase.modes || {}))
    fs.chmodSync(path.join(docroot, name), parseInt(mode, 8));
  if (kase.distinctMtimes) spreadMtimes(docroot, Object.keys(kase.files || {}));
  return docroot;
}

/**
 * Gives the document root's files one mtime each, a second apart in the order `files` lists them.
 * Files written in one clock tick share an mtime, and mod_autoindex breaks such ties by name, so a
 * listing sorted by `C=M` would depend on how fast the files were written (case 170).
 */
function spreadMtimes(docroot, names) {
  const base = Math.floor(Date.now() / 1000) - 3600;
  names
    .filter((name) => !name.startsWith('maps/') && !name.endsWith('/'))
    .forEach((name, i) => fs.utimesSync(path.join(docroot, name), base + i, base + i));
}

/** Sends one request over a raw socket; resolves {status, headers (lower-case → [values]), body}. */
function rawRequest(port, req, host) {
  return new Promise((resolve, reject) => {
    const method = req.method || 'GET';
    // `host: null` sends no Host header (with `protocol: 'HTTP/1.0'`)
    const headers = Object.assign(host === null ? {} : { Host: host }, req.headers || {});
    if (req.body !== undefined) headers['Content-Length'] = Buffer.byteLength(req.body);
    let head = `${method} ${req.target} ${req.protocol || 'HTTP/1.1'}\r\n`;
    for (const [k, v] of Object.entries(headers)) if (v !== null) head += `${k}: ${v}\r\n`;
    head += 'Connection: close\r\n\r\n';
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('timeout ' + req.target));
    }, 10000);
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const sep = raw.indexOf('\r\n\r\n');
      const lines = raw.slice(0, sep).split('\r\n');
      const status = parseInt(lines[0].split(' ')[1], 10);
      const hs = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        const k = l.slice(0, i).toLowerCase();
        (hs[k] = hs[k] || []).push(l.slice(i + 1).trim());
      }
      let body = raw.slice(sep + 4);
      if ((hs['transfer-encoding'] || [])[0] === 'chunked') {
        let out = '';
        let rest = body;
        for (;;) {
          const nl = rest.indexOf('\r\n');
          const n = parseInt(rest.slice(0, nl), 16);
          if (!n) break;
          out += rest.slice(nl + 2, nl + 2 + n);
          rest = rest.slice(nl + 2 + n + 2);
        }
        body = out;
      }
      resolve({ status, headers: hs, body });
    });
    sock.write(Buffer.from(head, 'latin1'));
    if (req.body !== undefined) sock.write(req.body);
  });
}

/** A loopback backend that answers with what it received (for [P] cases). */
function startEcho() {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      // what the backend received: the request line, Host and the forwarding headers Apache's
      // ProxyAddHeaders defines (X-Forwarded-Proto is modrewrite's addition, not compared), the body size
      let len = 0;
      req.on('data', (c) => {
        len += c.length;
      });
      req.on('end', () => {
        if (req.url.startsWith('/status/')) {
          res.writeHead(Number(req.url.slice(8, 11)), {
            'X-Echo': '1',
            Location: `http://${req.headers.host}/moved`,
          });
          res.end();
          return;
        }
        const body = JSON.stringify({
          method: req.method,
          url: req.url,
          host: req.headers.host,
          xff: req.headers['x-forwarded-for'] || 'unset',
          xfh: req.headers['x-forwarded-host'] || '',
          xfs: req.headers['x-forwarded-server'] || '',
          len,
        });
        res.writeHead(200, { 'Content-Type': 'application/json', 'X-Echo': '1' });
        res.end(body);
      });
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/**
 * The ports `listen(0)` and outgoing connections are given (Linux: ip_local_port_range). A port
 * outside them is never handed to another test's server; a port that was bound and released
 * inside them could be (CI once saw a "dead" backend answer 404: a supertest server got its port).
 */
function ephemeralRange() {
  try {
    const [low, high] = fs
      .readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low > 0 && high >= low) return { low, high };
  } catch {
    /* not Linux: the IANA dynamic range */
  }
  return { low: 49152, high: 65535 };
}

/** Resolves true when a connection to 127.0.0.1:port is refused (nothing listens there). */
function refuses(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/**
 * A loopback port nothing listens on (a dead backend, or a port a test then listens on itself),
 * chosen outside the ephemeral range so no other server of the run can be given it meanwhile.
 */
async function deadPort() {
  const { low, high } = ephemeralRange();
  // above the range when there is room (unprivileged), else between 1024 and the range
  const [from, to] = high < 65535 ? [high + 1, 65535] : [1024, low - 1];
  for (let attempt = 0; attempt < 64; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (await refuses(port)) return port;
  }
  throw new Error(`no refused loopback port found between ${from} and ${to}`);
}

/** What is compared: the parts of a response that mod_rewrite decides. */
/** An HTTP date as `+N` seconds from `date` (the response's Date), or as written when unparsable. */
function relativeDate(value, date) {
  const t = Date.parse(value);
  const d = Date.parse(date || '');
  if (Number.isNaN(t) || Number.isNaN(d)) return value;
  const s = Math.round((t - d) / 1000);
  return s >= 0 ? `+${s}` : String(s);
}

/**
 * byterange_filter.c names its multipart/byteranges boundary at random (ap_multipart_boundary: a
 * random 64-bit number in hex, "%0lx", drawn at start-up, so usually 16 digits, sometimes fewer):
 * the boundary a response's Content-Type names is replaced by `{BOUNDARY}` in that field and in
 * the body, so the parts' layout is still compared byte for byte; Content-Length is counted as if
 * each boundary in the body had 16 digits. A HEAD has no body to count them in: its
 * Content-Length is compared as sent (modrewrite's boundaries have 16 digits; re-record a case
 * whose Apache drew a shorter one).
 */
function withoutBoundary(resp) {
  const type = (resp.headers['content-type'] || [])[0] || '';
  const m = /^multipart\/byteranges;\s*boundary=([^\s;]+)/i.exec(type);
  if (!m) return resp;
  const boundary = m[1];
  const name = (s) => s.split(boundary).join('{BOUNDARY}');
  const headers = { ...resp.headers, 'content-type': resp.headers['content-type'].map(name) };
  const count = resp.body.split(boundary).length - 1;
  if (headers['content-length'] && count > 0) {
    const length = Number(headers['content-length'][0]) + count * (16 - boundary.length);
    headers['content-length'] = [String(length)];
  }
  return { ...resp, headers, body: name(resp.body) };
}

function normalise(response, vars) {
  const resp = withoutBoundary(response);
  const h = (k) => resp.headers[k] || [];
  // the document root also appears [B]-escaped when a rule captures a filesystem path
  const docrootB = String(vars.DOCROOT).replace(
    /[^A-Za-z0-9_]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0'),
  );
  const roots = (s) => {
    const d = s.split(vars.DOCROOT).join('{DOCROOT}');
    return vars.SERVERROOT ? d.split(vars.SERVERROOT + '/').join('{SERVERROOT}/') : d;
  };
  const unvar = (s) =>
    roots(s)
      .split(docrootB)
      .join('{DOCROOT_B}')
      .split(`:${vars.PORT}`)
      .join(':{PORT}')
      .split(`:${vars.BACKEND}`)
      .join(':{BACKEND}');
  const out = { status: resp.status };
  if (h('location').length) out.location = unvar(h('location')[0]);
  const vary = h('vary')
    .join(',')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (vary.length) out.vary = vary.join(', ');
  if (h('set-cookie').length)
    out.setCookie = h('set-cookie').map((c) => c.replace(/expires=[^;]+/, 'expires=<date>'));
  // what the request was finally mapped to: only for responses the file handler produced
  const filename = unvar(h('x-filename')[0] || '');
  if ((resp.status === 200 || resp.status === 404) && filename.startsWith('{DOCROOT}')) {
    out.filename = filename;
    out.query = unvar(h('x-query')[0] || '');
    for (const n of ENV_NAMES) {
      const v = h('x-env-' + n.toLowerCase())[0];
      if (v) (out.env = out.env || {})[n] = v;
    }
  }
  if (resp.status === 200) {
    out.body = h('x-echo').length && resp.body ? JSON.parse(resp.body) : resp.body;
    if (out.body && out.body.url) out.body.host = unvar(out.body.host || '');
  }
  // site cases compare the pages of every status (Apache's error documents, mod_dir's 301)
  if (resp.wantBody && resp.status !== 200 && !out.body) out.body = unvar(resp.body);
  // mod_autoindex listings show each entry's modification time: it moves with every recording
  if (typeof out.body === 'string')
    out.body = out.body.replace(/\d{4}-\d\d-\d\d \d\d:\d\d/g, '<mtime>');
  // the methods a resource allows (OPTIONS, 405, 501), for the requests that ask for it; sorted:
  // Apache lists them in the order of a hash APR seeds at random on every start
  if (resp.wantAllow && h('allow').length) out.allow = h('allow')[0].split(',').sort().join(',');
  if (resp.wantType) {
    out.contentType = h('content-type')[0];
    // mod_mime's AddEncoding (no case records mod_deflate, so only what a rule file asks for)
    const encoding = h('content-encoding')[0];
    if (encoding) out.contentEncoding = encoding;
  }
  // the headers a case names (mod_headers, mod_expires): every value in order; Expires as its
  // distance from Date in seconds (the dates move with the clock)
  for (const name of resp.wantHeaders || []) {
    const values = h(name);
    if (!values.length) continue;
    const value =
      name === 'expires'
        ? values.map((v) => relativeDate(v, h('date')[0]))
        : values.map((v) => unvar(v));
    (out.headers = out.headers || {})[name] = value;
  }
  // response headers a request asks for by name (`recordHeaders`), e.g. Content-Language
  for (const name of resp.wantRecordHeaders || []) {
    const v = h(name.toLowerCase())[0];
    if (v !== undefined) (out.headers = out.headers || {})[name.toLowerCase()] = v;
  }
  return out;
}

/**
 * Starts `apache2 -f <root>/httpd.conf -X` (one process, no detaching) with `confText` as its
 * configuration and a private run/lock/log directory, and resolves once it answers on `port`.
 * Used by both recorders (record.mjs, record-real-world.mjs); `error` says why it did not start.
 */
async function launchApache(root, port, confText) {
  fs.chmodSync(root, 0o755);
  fs.writeFileSync(path.join(root, 'httpd.conf'), confText);
  const child = require('node:child_process').spawn(
    'apache2',
    ['-f', path.join(root, 'httpd.conf'), '-X'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, APACHE_RUN_DIR: root, APACHE_LOCK_DIR: root, APACHE_LOG_DIR: root },
    },
  );
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  child.stdout.on('data', (d) => {
    err += d;
  });
  // bounded: 100 probes 50 ms apart
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
    if (child.exitCode !== null)
      return { child, error: err || `apache exited with ${child.exitCode}` };
    try {
      await rawRequest(port, { target: '/' }, 'probe');
      return { child };
    } catch {
      /* not yet */
    }
  }
  return { child, error: 'apache did not start' };
}

/**
 * An answer with its query's `#` spelled `%23`: Apache's r->args may hold a `#` (a back-reference
 * of a decoded %23), which rewrite() writes as %23 in req.url so that Express does not cut the
 * query there (common/escape.ts queryForUrl; README, Differences from Apache). The replays compare
 * Apache's recorded answer and modrewrite's both through this, so only that spelling is aligned.
 */
function queryHashAsEscape(answer) {
  if (typeof answer.query !== 'string' || !answer.query.includes('#')) return answer;
  return { ...answer, query: answer.query.replaceAll('#', '%23') };
}

module.exports = {
  launchApache,
  queryHashAsEscape,
  ENV_NAMES,
  substitute,
  writeFixtures,
  rawRequest,
  startEcho,
  normalise,
  deadPort,
};
