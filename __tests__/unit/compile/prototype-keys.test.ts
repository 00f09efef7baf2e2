/**
 * Issue 9, item 3: rule text used as a key must never reach Object.prototype. Each lookup table
 * indexed by rule text is tried with the keys a plain object inherits.
 */
import { compileText } from '../../../lib/compile/compile';
import { evaluateServer } from '../../../lib/engine/evaluate';
import { RewriteError } from '../../../lib/errors';
import { type RequestView } from '../../../lib/engine/request';

const KEYS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'] as const;

const loadError = (text: string): RewriteError => {
  try {
    compileText(text);
  } catch (err) {
    return err as RewriteError;
  }
  throw new Error(`expected a RewriteError for ${text}`);
};

const view = (headers: Record<string, string>): RequestView => ({
  method: 'GET',
  target: '/v',
  protocol: 'HTTP/1.1',
  headers,
  remoteAddr: '127.0.0.1',
  remotePort: 1,
  connRemoteAddr: '127.0.0.1',
  localAddr: '127.0.0.1',
  localPort: 80,
  secure: false,
});

const rewrittenPath = (rules: string, headers: Record<string, string> = { host: 'h' }): unknown => {
  const r = evaluateServer(compileText(`RewriteEngine on\n${rules}`), {
    view: view(headers),
    server: { documentRoot: '/srv' },
    uri: '/v',
    args: null,
  });
  if (r instanceof Promise) throw new Error('unexpected async');
  return r.outcome;
};

describe.each(KEYS)('key %s', (key) => {
  test('is an unknown RewriteCond flag (positioned ERR_UNKNOWN_FLAG)', () => {
    expect(loadError(`RewriteCond %{HTTP_HOST} ^x [${key}]\nRewriteRule ^ /b`)).toMatchObject({
      code: 'ERR_UNKNOWN_FLAG',
      line: 1,
      column: 30,
    });
  });
  test('is an unknown RewriteRule flag (positioned ERR_UNKNOWN_FLAG)', () => {
    expect(loadError(`RewriteRule ^/a$ /b [L,${key}]`)).toMatchObject({
      code: 'ERR_UNKNOWN_FLAG',
      line: 1,
      column: 24,
    });
  });
  test('is not an int: map (positioned ERR_MAP)', () => {
    expect(loadError(`RewriteMap m int:${key}`)).toMatchObject({
      code: 'ERR_MAP',
      line: 1,
      column: 14,
      message: expect.stringContaining('internal map not found'),
    });
  });
  test('is not a RewriteOptions option (positioned ERR_OPTION)', () => {
    expect(loadError(`RewriteOptions Inherit ${key}`)).toMatchObject({
      code: 'ERR_OPTION',
      line: 1,
      column: 24,
    });
  });
  test('as a %{HTTP:name} header the request does not send, expands to ""', () => {
    expect(rewrittenPath(`RewriteRule ^/v$ /got/%{HTTP:${key}}`)).toMatchObject({
      type: 'rewrite',
      path: '/got/',
    });
  });
  test('as a %{ENV:name} variable nobody set, expands to ""', () => {
    expect(rewrittenPath(`RewriteRule ^/v$ /got/%{ENV:${key}}`)).toMatchObject({
      type: 'rewrite',
      path: '/got/',
    });
  });
  test('as a plain %{name} variable, expands to "" (unknown variable)', () => {
    expect(rewrittenPath(`RewriteRule ^/v$ /got/%{${key}}`)).toMatchObject({
      type: 'rewrite',
      path: '/got/',
    });
  });
});
