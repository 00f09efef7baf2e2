// Lints snippets as if they were files of lib/ (they are never written): reads a JSON array of
// { filePath, code } on stdin, prints the rule ids ESLint reports for each, with the project's own
// eslint.config.mjs. A child process because jest cannot load the ESM config itself.
import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });
const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = [];
for (const { filePath, code } of cases) {
  const [result] = await eslint.lintText(code, { filePath });
  out.push(result.messages.map((m) => m.ruleId ?? m.message));
}
process.stdout.write(JSON.stringify(out));
