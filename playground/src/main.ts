/**
 * The page: reads the inputs into a PlaygroundState, runs it (debounced) in the engine's worker
 * (runner.ts, worker.ts → engine.ts), renders
 * the outcome, the trace and the rule-line highlights, and keeps the state in the URL's hash.
 */
import { EXAMPLES } from './examples.js';
import { Runner } from './runner.js';
import { DEFAULT_STATE, type PlaygroundResult, type PlaygroundState } from './model.js';
import { decodeState, encodeState } from './state.js';

const DEBOUNCE_MS = 150;

function el<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const ui = {
  rules: el<HTMLTextAreaElement>('rules'),
  gutter: el<HTMLDivElement>('gutter'),
  backdrop: el<HTMLDivElement>('backdrop'),
  problems: el<HTMLUListElement>('problems'),
  server: el<HTMLInputElement>('context-server'),
  directory: el<HTMLInputElement>('context-directory'),
  directoryPath: el<HTMLInputElement>('directory'),
  method: el<HTMLSelectElement>('method'),
  url: el<HTMLInputElement>('url'),
  headers: el<HTMLTextAreaElement>('headers'),
  tree: el<HTMLUListElement>('file-tree'),
  addForm: el<HTMLFormElement>('add-file-form'),
  newFile: el<HTMLInputElement>('new-file'),
  outcome: el<HTMLDivElement>('outcome'),
  summary: el<HTMLParagraphElement>('outcome-summary'),
  details: el<HTMLTableElement>('outcome-details'),
  trace: el<HTMLOListElement>('trace'),
  examples: el<HTMLSelectElement>('examples'),
  share: el<HTMLButtonElement>('share'),
  shareStatus: el<HTMLSpanElement>('share-status'),
};

let files: string[] = [];
const runner = new Runner(new URL('./worker.js', import.meta.url));

function readState(): PlaygroundState {
  return {
    rules: ui.rules.value,
    context: ui.server.checked ? 'server' : 'directory',
    directory: ui.directoryPath.value,
    method: ui.method.value,
    url: ui.url.value,
    headers: ui.headers.value,
    files: [...files],
  };
}

function writeState(state: PlaygroundState): void {
  ui.rules.value = state.rules;
  ui.server.checked = state.context === 'server';
  ui.directory.checked = state.context === 'directory';
  ui.directoryPath.value = state.directory;
  ui.directoryPath.disabled = state.context === 'server';
  if (![...ui.method.options].some((o) => o.value === state.method))
    ui.method.add(new Option(state.method));
  ui.method.value = state.method;
  ui.url.value = state.url;
  ui.headers.value = state.headers;
  files = normalizeFiles(state.files);
}

function normalizeFiles(list: readonly string[]): string[] {
  const cleaned = list.map((f) => f.trim().replace(/^\/+/, '')).filter((f) => f !== '');
  return [...new Set(cleaned)].sort();
}

function renderTree(): void {
  ui.tree.replaceChildren(
    ...files.map((path) => {
      const item = document.createElement('li');
      item.dataset.path = path;
      const depth = path.replace(/\/$/, '').split('/').length - 1;
      item.style.paddingLeft = `${depth * 1.2}em`;
      const name = document.createElement('span');
      name.className = path.endsWith('/') ? 'dir' : 'file';
      name.textContent = path.replace(/\/$/, '').split('/').pop() + (path.endsWith('/') ? '/' : '');
      name.title = path;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'remove';
      remove.textContent = '×';
      remove.setAttribute('aria-label', `remove ${path}`);
      remove.addEventListener('click', () => {
        files = files.filter((f) => f !== path);
        changed();
      });
      item.append(name, remove);
      return item;
    }),
  );
}

/** The line numbers and the per-line highlight layer behind the textarea. */
function renderLines(result: PlaygroundResult): void {
  const count = ui.rules.value.split('\n').length;
  const matched = new Set(result.matchedLines);
  const failed = new Set(result.failedLines);
  const problems = new Set(result.problems.map((p) => p.line));
  const classOf = (line: number): string =>
    problems.has(line)
      ? 'problem'
      : matched.has(line)
        ? 'matched'
        : failed.has(line)
          ? 'failed'
          : '';
  const numbers: HTMLDivElement[] = [];
  const bands: HTMLDivElement[] = [];
  for (let line = 1; line <= count; line++) {
    const number = document.createElement('div');
    number.textContent = String(line);
    number.className = classOf(line);
    numbers.push(number);
    const band = document.createElement('div');
    band.className = classOf(line);
    band.dataset.line = String(line);
    band.textContent = '\u00a0';
    bands.push(band);
  }
  ui.gutter.replaceChildren(...numbers);
  ui.backdrop.replaceChildren(...bands);
  syncScroll();
}

function syncScroll(): void {
  ui.gutter.scrollTop = ui.rules.scrollTop;
  ui.backdrop.style.transform = `translate(${-ui.rules.scrollLeft}px, ${-ui.rules.scrollTop}px)`;
}

function renderResult(result: PlaygroundResult): void {
  ui.outcome.dataset.kind = result.outcome.kind;
  ui.summary.textContent = result.outcome.summary;
  ui.details.replaceChildren(
    ...result.outcome.details.map(([label, value]) => {
      const row = document.createElement('tr');
      const th = document.createElement('th');
      th.textContent = label;
      const td = document.createElement('td');
      td.textContent = value;
      row.append(th, td);
      return row;
    }),
  );
  ui.trace.replaceChildren(
    ...result.steps.map((step) => {
      const item = document.createElement('li');
      item.dataset.kind = step.kind;
      if (step.line !== undefined) item.dataset.line = String(step.line);
      if (step.ok !== undefined) item.dataset.ok = String(step.ok);
      const where = document.createElement('span');
      where.className = 'where';
      where.textContent = step.line !== undefined ? `line ${step.line}` : '';
      const text = document.createElement('span');
      text.className = 'text';
      text.textContent = step.text;
      item.append(where, text);
      return item;
    }),
  );
  const notes = [
    ...result.problems.map((p) => ({ ...p, severity: 'error' })),
    ...result.warnings.map((p) => ({ ...p, severity: 'warning' })),
  ];
  ui.problems.replaceChildren(
    ...notes.map((p) => {
      const item = document.createElement('li');
      item.className = p.severity;
      item.dataset.line = String(p.line);
      item.textContent = `line ${p.line}, column ${p.column}: ${p.message}`;
      return item;
    }),
  );
  renderLines(result);
}

let timer: ReturnType<typeof setTimeout> | undefined;
let generation = 0;

/** Re-runs the case and stores it in the hash, once the typing pauses. */
function changed(): void {
  renderTree();
  ui.directoryPath.disabled = ui.server.checked;
  // set until the result and the hash match the inputs (tests and scripts wait on it)
  document.body.dataset.pending = 'true';
  clearTimeout(timer);
  timer = setTimeout(() => {
    timer = undefined;
    void update();
  }, DEBOUNCE_MS);
}

async function update(): Promise<void> {
  const mine = ++generation;
  const state = readState();
  const result = await runner.run(state);
  if (mine !== generation || !result) return;
  renderResult(result);
  const hash = await encodeState(state);
  if (mine !== generation) return;
  history.replaceState(null, '', `#${hash}`);
  document.body.dataset.state = hash;
  if (timer === undefined) delete document.body.dataset.pending;
}

function addFile(event: Event): void {
  event.preventDefault();
  const path = ui.newFile.value.trim().replace(/^\/+/, '');
  if (!path) return;
  files = normalizeFiles([...files, path]);
  ui.newFile.value = '';
  changed();
}

async function copyLink(): Promise<void> {
  await update();
  try {
    await navigator.clipboard.writeText(location.href);
    ui.shareStatus.textContent = 'link copied';
  } catch {
    ui.shareStatus.textContent = 'copy the address bar: it holds the case';
  }
}

function loadExample(): void {
  const example = EXAMPLES[Number(ui.examples.value)];
  ui.examples.value = '';
  if (!example) return;
  writeState(example.state);
  changed();
}

async function start(): Promise<void> {
  ui.examples.append(...EXAMPLES.map((e, i) => new Option(e.name, String(i))));
  ui.examples.addEventListener('change', loadExample);
  writeState((await decodeState(location.hash)) ?? DEFAULT_STATE);
  for (const input of [ui.rules, ui.directoryPath, ui.url, ui.headers])
    input.addEventListener('input', changed);
  for (const input of [ui.server, ui.directory, ui.method])
    input.addEventListener('change', changed);
  ui.rules.addEventListener('scroll', syncScroll);
  ui.addForm.addEventListener('submit', addFile);
  ui.share.addEventListener('click', () => void copyLink());
  window.addEventListener('hashchange', () => void reloadFromHash());
  renderTree();
  await update();
  document.body.dataset.ready = 'true';
}

async function reloadFromHash(): Promise<void> {
  if (location.hash.slice(1) === document.body.dataset.state) return;
  const state = await decodeState(location.hash);
  if (!state) return;
  writeState(state);
  renderTree();
  await update();
}

void start();
