/** `node:child_process` in the browser bundle: `prg:` maps cannot start a program in a page. */
export function spawn(): never {
  throw new Error('prg: maps cannot run in the playground');
}

export default { spawn };
