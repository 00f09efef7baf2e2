// The summary table of `npm run bench` (bench/all.mjs), built from the JSON lines the benches
// append to BENCH_JSON (bench/lib.mjs appendSummary). One row per issue-11 target: the ratio's
// median and range over the rounds (ratios are taken within a round, so drift of a shared machine
// cancels), the target, met or not, and both contenders' req/s and CPU µs per request (medians);
// then the contenders no target row shows. Markdown, ready for the README.

/** The median (the mean of the middle two for an even count: rewrite-cpu has 16 windows). */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The rows. `how`: `rps` (a's req/s ÷ b's, same round), `cpu` (b's CPU µs per request ÷ a's: > 1
 * when a is cheaper) or `pair` (both loaded at once, as the bench measured it). A ratio the bench
 * computed itself (`ratios["a/b:how"]`, e.g. rewrite-cpu's against the mean of its two bare
 * servers) is used as it is.
 */
const BARE = 'bare Express, by CPU per request, all loaded at once';
const ROWS = [
  row('serve-static serve/apache rps', 1.0, '`serve` static file ÷ Apache, req/s'),
  row('serve-static serve/apache cpu', 1.0, '`serve` static file ÷ Apache, by CPU per request'),
  row('serve-static serve/nginx rps', null, '`serve` static file ÷ nginx (no rules)'),
  row('rewrite-cpu:none rewrite/bare cpu', 0.97, `\`rewrite()\`, nothing matches ÷ ${BARE}`),
  row('rewrite-cpu:rule50 rewrite/bare cpu', 0.97, `\`rewrite()\`, rule 50 rewrites ÷ ${BARE}`),
  row('proxy rewrite/hpm rps', 1.7, 'Express `rewrite()`+`proxy()` `[P]` ÷ http-proxy-middleware'),
  row('proxy rewrite/hpm pair', 1.7, 'same, both loaded at once'),
  row('proxy xfloor/hpm pair', null, 'the floor through Express ÷ http-proxy-middleware, at once'),
  row('proxy serve/floor rps', 1.0, '`serve` `[P]` ÷ the undici floor'),
  row('proxy serve/floor pair', 1.0, 'same, both loaded at once'),
  row('proxy serve/apache rps', 1.4, '`serve` `[P]` ÷ Apache `[P]`'),
  row('proxy serve/apache pair', 1.4, 'same, both loaded at once'),
  row('proxy serve/nginx rps', null, '`serve` `[P]` ÷ nginx `proxy_pass`'),
  row('workers shared-2w/shared-1w rps', null, '`serve --workers 2` ÷ 1, both cores shared'),
  row('workers pinned-2w/pinned-1w rps', null, '`serve --workers 2` ÷ 1, all on CPU 1'),
];

/** A row from `"bench a/b how"`, its target (null: none, only reported) and what it measures. */
function row(spec, target, measure) {
  const [bench, pair, how] = spec.split(' ');
  const [a, b] = pair.split('/');
  return { bench, a, b, how, target, measure };
}

/** What each contender is, for the table. */
const NAMES = {
  'serve-static': {
    serve: 'serve',
    apache: 'Apache',
    nginx: 'nginx',
    'serve-nocache': 'serve --no-file-cache',
  },
  'rewrite-cpu': {
    bare: 'bare Express',
    bare2: 'bare Express (A/A)',
    rewrite: 'rewrite()',
    noop: 'empty app.use()',
    baseline: 'baseline rewrite()',
  },
  proxy: {
    rewrite: 'Express rewrite()+proxy()',
    hpm: 'http-proxy-middleware',
    express: 'Express alone',
    xfloor: 'Express + undici relay',
    xend: 'Express res.end',
    serve: 'serve',
    proxy: 'proxy() alone',
    floor: 'undici floor',
    apache: 'Apache [P]',
    nginx: 'nginx proxy_pass',
  },
  workers: {},
};
const nameOf = (bench, name) => NAMES[bench.split(':')[0]]?.[name] ?? name;

const int = (x) => Math.round(x).toLocaleString('en-US');
const fixed = (x, digits) => x.toFixed(digits);

/** A contender's cell: its name, median req/s and median CPU µs per request. */
function contenderCell(entry, name) {
  const c = entry.contenders?.[name];
  if (!c || !c.rps.length) return '';
  const cpu = c.cpu.every(Number.isFinite) ? ` · ${fixed(median(c.cpu), 0)} µs` : '';
  return `${nameOf(entry.bench, name)}: ${int(median(c.rps))} req/s${cpu}`;
}

/** The per-round ratios of a row, or undefined when the run has none. */
function ratiosOf(entry, { a, b, how }) {
  const own = entry.ratios?.[`${a}/${b}:${how}`];
  if (own) return own.length ? own : undefined;
  const A = entry.contenders?.[a];
  const B = entry.contenders?.[b];
  if (how === 'pair' || !A || !B || !A.rps.length) return undefined;
  if (how === 'rps') return A.rps.map((x, i) => x / B.rps[i]);
  return A.cpu.map((x, i) => B.cpu[i] / x);
}

/** Why a bench left no summary: skipped, failed or stopped (its status), or not selected. */
function notRun(bench, run) {
  const status = run?.status?.[bench.split(':')[0]];
  return status && status !== 'ok' ? status : 'not run';
}

/** Why a row has no ratio: the bench did not run, a server is not installed, or no pair run. */
function missingReason(row, entry, run) {
  if (!entry) return notRun(row.bench, run);
  for (const name of [row.a, row.b]) {
    if (entry.contenders?.[name]) continue;
    if (name === 'apache' && run?.bins && !run.bins.apache) return 'skipped: Apache not installed';
    if (name === 'nginx' && run?.bins && !run.bins.nginx) return 'skipped: nginx not installed';
    return `skipped: no ${nameOf(row.bench, name)} rows`;
  }
  if (row.how === 'pair' && run?.bins && !run.bins.wrk) return 'skipped: needs wrk';
  return 'not measured';
}

/** One Markdown row: | measure | ratio | target | met | a | b |. */
function targetRow(row, entry, run) {
  const xs = entry && ratiosOf(entry, row);
  const cells = [row.measure];
  if (!xs) cells.push(missingReason(row, entry, run), targetText(row.target), '');
  else {
    const digits = row.bench.startsWith('rewrite-cpu') ? 3 : 2;
    const range = `${fixed(Math.min(...xs), digits)}–${fixed(Math.max(...xs), digits)}`;
    const stats = entry.stats?.[`${row.a}/${row.b}:${row.how}`];
    const trimmed = stats
      ? `; trimmed mean ${fixed(stats.trimmedMean, 3)} [95% ${stats.interval.map((x) => fixed(x, 3)).join('–')}]`
      : '';
    const met = row.target === null ? '—' : median(xs) >= row.target ? '**met**' : 'not met';
    cells.push(`${fixed(median(xs), digits)}x (${range})${trimmed}`, targetText(row.target), met);
  }
  cells.push(entry ? contenderCell(entry, row.a) : '', entry ? contenderCell(entry, row.b) : '');
  return `| ${cells.join(' | ')} |`;
}

const targetText = (target) => (target === null ? '—' : `>= ${fixed(target, 2)}x`);

/** The 10,000-rule row: p50 against its 2 µs target. */
function rulesRow(entry, run) {
  const measure = '10,000-rule redirect set, one evaluation, p50';
  if (!entry) return `| ${measure} | ${notRun('rules-10k', run)} | <= 2 µs | | | |`;
  const { p50us, p99us, coldP50us } = entry.values;
  const met = p50us <= 2 ? '**met**' : 'not met';
  return `| ${measure} | ${fixed(p50us, 2)} µs (p99 ${fixed(p99us, 2)} µs, first pass p50 ${fixed(coldP50us, 2)} µs) | <= 2 µs | ${met} | | |`;
}

/** Contenders no target row shows (the references, nginx when no row has it, baselines). */
function otherContenders(entries) {
  const shown = new Set(ROWS.flatMap((r) => [`${r.bench} ${r.a}`, `${r.bench} ${r.b}`]));
  const rows = [];
  for (const entry of entries.values())
    for (const name of Object.keys(entry.contenders ?? {}))
      if (!shown.has(`${entry.bench} ${name}`))
        rows.push(`| also measured (${entry.bench}) | | | | ${contenderCell(entry, name)} | |`);
  return rows;
}

/** How each bench ran (rounds × seconds, load generator) and the load average around the run. */
function footer(entries, run) {
  const lines = [];
  for (const entry of entries.values()) {
    const s = entry.settings;
    if (s)
      lines.push(
        `${entry.bench}: ${s.rounds} rounds × ${s.seconds} s, ${s.generator}, ${s.connections} connections; load average at its end ${entry.loadavg.join(', ')}`,
      );
  }
  if (run) lines.push(`load average before ${run.loadBefore}, after ${run.loadAfter}`);
  return lines.map((l) => `- ${l}`);
}

/** The whole table (Markdown) for the entries of one BENCH_JSON file. */
export function summaryTable(allEntries) {
  const run = allEntries.get('all');
  // a bench stopped or failed midway may have written rounds it did not finish
  const finished = ([bench]) => !run?.status || run.status[bench.split(':')[0]] === 'ok';
  const entries = new Map([...allEntries].filter(finished));
  const title = `Summary${run ? ` (${run.date}${run.quick ? ', BENCH_QUICK smoke run: ratios mean nothing' : ''})` : ''}`;
  const lines = [
    title,
    '',
    '| measure | ratio: median (range over rounds) | target | | contender a: req/s · CPU µs per request | contender b |',
    '|---|---|---|---|---|---|',
    rulesRow(entries.get('rules-10k'), run),
    ...ROWS.map((row) => targetRow(row, entries.get(row.bench), run)),
    ...otherContenders(entries),
    '',
    ...footer(entries, run),
  ];
  return lines.join('\n');
}
