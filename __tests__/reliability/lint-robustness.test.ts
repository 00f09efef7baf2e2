/**
 * `lintSync()` never throws and always positions its findings: over every rules text of the
 * recorded conformance corpus (which holds deliberate mistakes) and over seeded mutations of them
 * (lines dropped, swapped, cut, characters inserted), in both contexts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintSync } from '../../lib/lint/lint';

const SEED = 20261130;
const MUTATIONS = 400;

/** Deterministic PRNG (mulberry32) so a failure names a reproducible seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dir = join(__dirname, '../../conformance/cases');
const texts: string[] = readdirSync(dir).flatMap((f) => {
  const c = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
    rules?: string;
    files?: Record<string, string>;
  };
  const htaccess = Object.entries(c.files ?? {})
    .filter(([path]) => path.endsWith('.htaccess'))
    .map(([, text]) => text);
  return [...(c.rules ? [c.rules] : []), ...htaccess];
});

function mutate(text: string, rnd: () => number): string {
  const lines = text.split('\n');
  const pick = (): number => Math.floor(rnd() * lines.length);
  const kind = Math.floor(rnd() * 4);
  const i = pick();
  if (kind === 0) lines.splice(i, 1);
  else if (kind === 1) [lines[i], lines[pick()]] = [lines[pick()]!, lines[i]!];
  else if (kind === 2) lines[i] = lines[i]!.slice(0, Math.floor(rnd() * lines[i]!.length));
  else {
    const line = lines[i]!;
    const at = Math.floor(rnd() * (line.length + 1));
    const chars = '()[]{}%$!^*+?|\\ "\t,=';
    lines[i] = line.slice(0, at) + chars[Math.floor(rnd() * chars.length)] + line.slice(at);
  }
  return lines.join('\n');
}

function expectPositioned(text: string): void {
  for (const context of ['server', 'directory'] as const) {
    const { diagnostics } = lintSync(text, { context });
    for (const d of diagnostics) {
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.column).toBeGreaterThanOrEqual(1);
      expect(d.message.length).toBeGreaterThan(0);
      expect(d.hint.length).toBeGreaterThan(0);
    }
  }
}

test(`every rules text of the conformance corpus (${texts.length}) lints without throwing`, () => {
  expect(texts.length).toBeGreaterThan(100);
  for (const text of texts) expectPositioned(text);
});

test(`${MUTATIONS} seeded mutations (seed ${SEED}) lint without throwing`, () => {
  const rnd = prng(SEED);
  for (let k = 0; k < MUTATIONS; k++) {
    const base = texts[Math.floor(rnd() * texts.length)]!;
    expectPositioned(mutate(base, rnd));
  }
}, 120000);
