#!/usr/bin/env node
// Records the expected response of every request of the real-world corpus (conformance/real-world/
// *.json: stock .htaccess files of well-known projects, copied verbatim) from real Apache 2.4.
// Runs the way conformance/record.mjs does: Debian's apache2 with its own ServerRoot, `-X`, a
// loopback port, inside a private network namespace with only `lo` up. The module set is what a
// fresh Debian apache2 install enables (mods-enabled/, with each module's .conf as a2enmod links
// it) plus rewrite, headers and expires; no PHP, so .php files are plain files to Apache.
// Usage: node conformance/record-real-world.mjs [name-filter]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { inPrivateNetwork } = require('./netns.cjs');
const { launchApache, rawRequest } = require('./harness.cjs');
const {
  writeProject,
  normaliseRealWorld,
  isProtecting,
  debianApacheConf,
} = require('./real-world.cjs');

function startApache(root, port) {
  return launchApache(root, port, debianApacheConf(root, port));
}

async function main() {
  const version = execFileSync('apache2', ['-v']).toString().split('\n')[0];
  const only = process.argv[2];
  const dir = join(here, 'real-world');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'floor.json' && (!only || f.includes(only)))
    .sort();
  let port = 20000 + Math.floor(Math.random() * 2000);
  let total = 0;
  for (const f of files) {
    const file = join(dir, f);
    const project = JSON.parse(readFileSync(file, 'utf8'));
    const root = mkdtempSync(join(tmpdir(), 'modrewrite-apache-rw-'));
    port++;
    writeProject(join(root, 'htdocs'), project);
    const { child, error } = await startApache(root, port);
    try {
      if (error) throw new Error(`${f}: Apache did not start: ${error}`);
      for (const r of project.requests) {
        delete r.protects;
        const resp = await rawRequest(port, r, r.host === undefined ? 'www.example.com' : r.host);
        r.expect = normaliseRealWorld(resp, project);
        if (isProtecting(project, r)) r.protects = true;
        total++;
      }
      project.recordedFrom = version;
      console.log(`${f}: ${project.requests.length} requests recorded`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      if (process.env.KEEP_APACHE_ROOT) console.log('kept', root);
      else rmSync(root, { recursive: true, force: true });
    }
    writeFileSync(file, JSON.stringify(project, null, 2) + '\n');
  }
  console.log(`recorded ${total} requests from ${version}`);
}

// rules can name hosts: Apache runs in a private network namespace with only loopback up
await inPrivateNetwork(fileURLToPath(import.meta.url), main);
