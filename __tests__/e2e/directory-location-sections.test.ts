/**
 * `<Directory>`/`<Location>` sections in site()'s config where the conformance corpus cannot
 * reach (it replays Apache's own layout): files outside the document root (an allowed root behind
 * an Alias), `htaccess: false`, a document root given through a symbolic link. Access rules in a
 * section hold in every one of them (fail closed: never a 200 for a denied file).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { site } from '../../lib/index';

let tmp = '';
let root = '';
let other = '';

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-dirsec-'));
  root = join(tmp, 'www');
  other = join(tmp, 'other');
  write(join(root, 'a.txt'), 'A\n');
  write(join(root, 'priv/p.txt'), 'P\n');
  write(join(root, '.htaccess'), 'Header set X-Root yes\n');
  write(join(other, 'pub/o.txt'), 'O\n');
  write(join(other, 'pub/private.txt'), 'S\n');
  write(join(other, 'secret/s.txt'), 'S\n');
  symlinkSync(root, join(tmp, 'link'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function app(config: string, options: Partial<Parameters<typeof site>[0]> = {}) {
  const a = express();
  a.use(site({ root, config, log: () => {}, ...options }));
  return a;
}

describe('sections apply outside the document root too (an allowed root behind an Alias)', () => {
  const config = (): string =>
    [
      `Alias /o "${other}"`,
      `<Directory "${other}/secret">`,
      '  Require all denied',
      '</Directory>',
      '<Location "/o/pub/private.txt">',
      '  Require all denied',
      '</Location>',
      `<Directory "${other}">`,
      '  Header set X-Other yes',
      '</Directory>',
    ].join('\n');

  test.each([
    ['/o/pub/o.txt', 200],
    ['/o/pub/private.txt', 403],
    ['/o/secret/s.txt', 403],
    ['/a.txt', 200],
  ])('%s → %i', async (url, status) => {
    const res = await request(app(config(), { allowedRoots: [other] })).get(url);
    expect(res.status).toBe(status);
  });

  test('a <Directory> outside the root gives its headers to the files under it', async () => {
    const res = await request(app(config(), { allowedRoots: [other] })).get('/o/pub/o.txt');
    expect(res.headers['x-other']).toBe('yes');
  });
});

describe('htaccess: false', () => {
  test('the sections still apply; the .htaccess files stay unread', async () => {
    const config = `<Directory "${root}/priv">\n  Require all denied\n</Directory>`;
    const a = app(config, { htaccess: false });
    expect((await request(a).get('/priv/p.txt')).status).toBe(403);
    const res = await request(a).get('/a.txt');
    expect(res.status).toBe(200);
    expect(res.headers['x-root']).toBeUndefined();
  });
});

describe('a document root given through a symbolic link', () => {
  test('a <Directory> written with the link matches the real path site() serves from', async () => {
    const linked = join(tmp, 'link');
    const a = express();
    a.use(
      site({
        root: linked,
        config: `<Directory "${linked}/priv">\n  Require all denied\n</Directory>`,
        log: () => {},
      }),
    );
    expect((await request(a).get('/priv/p.txt')).status).toBe(403);
    expect((await request(a).get('/a.txt')).status).toBe(200);
  });
});

describe('directory listings', () => {
  test('an entry a <Location> denies is not listed (its sub-request is denied)', async () => {
    write(join(root, 'list/open.txt'), 'O\n');
    write(join(root, 'list/secret.txt'), 'S\n');
    const config = [
      `<Directory "${root}/list">`,
      '  Options +Indexes',
      '</Directory>',
      '<Location "/list/secret.txt">',
      '  Require all denied',
      '</Location>',
    ].join('\n');
    const res = await request(app(config)).get('/list/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('open.txt');
    expect(res.text).not.toContain('secret.txt');
  });
});

describe('a section that cannot be evaluated never lets a file through', () => {
  test('a regex that does not compile stops site() at load, positioned', () => {
    expect(() =>
      site({ root, config: `\n<DirectoryMatch "(">\n  Require all granted\n</DirectoryMatch>` }),
    ).toThrow(expect.objectContaining({ code: 'ERR_REGEX', line: 2 }));
  });
});
