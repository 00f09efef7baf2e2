// `npm run stats`: the code-health numbers of issue 8 for lib/ — lines over 100 characters and
// functions over 60 lines (each listed with file:line and its length), counted with the TypeScript
// compiler API so a function is what the parser says it is (declarations, methods, arrows,
// function expressions, accessors and constructors), not what a regexp guesses. Import cycles are
// eslint's business (`import-x/no-cycle` in `npm run lint`).
// Options: `--max-line N` (default 100), `--max-function N` (default 60).
import ts from 'typescript';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const maxLine = numberOption('--max-line', 100);
const maxFunction = numberOption('--max-function', 60);

const files = listTypeScript(join(root, 'lib'));
let longLines = 0;
const filesWithLongLines = new Set();
const longFunctions = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const name = relative(root, file);
  for (const line of text.split('\n')) {
    if (line.length <= maxLine) continue;
    longLines++;
    filesWithLongLines.add(name);
  }
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  collectFunctions(source, source, name, longFunctions);
}

longFunctions.sort((a, b) => b.lines - a.lines);
for (const f of longFunctions) console.log(`${String(f.lines).padStart(4)}  ${f.where}  ${f.name}`);
console.log(
  `${files.length} files in lib/: ${longLines} lines over ${maxLine} characters ` +
    `(in ${filesWithLongLines.size} files), ${longFunctions.length} functions over ${maxFunction} lines`,
);

/** Every function-like node whose body spans more than maxFunction lines (nested ones too). */
function collectFunctions(node, source, name, out) {
  if (isFunctionWithBody(node)) {
    const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
    const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
    const lines = last - first + 1;
    if (lines > maxFunction) {
      out.push({ lines, where: `${name}:${first + 1}`, name: functionName(node, source) });
    }
  }
  ts.forEachChild(node, (child) => collectFunctions(child, source, name, out));
}

function isFunctionWithBody(node) {
  return (
    (ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node)) &&
    node.body !== undefined
  );
}

/** The declared name, or the variable/property an anonymous function is assigned to. */
function functionName(node, source) {
  if (node.name) return node.name.getText(source);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent))) {
    return parent.name.getText(source);
  }
  return '(anonymous)';
}

function listTypeScript(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTypeScript(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out.sort();
}

function numberOption(flag, fallback) {
  const at = process.argv.indexOf(flag);
  if (at === -1) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${flag} wants a positive whole number`);
    process.exit(2);
  }
  return value;
}
