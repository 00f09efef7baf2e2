/** The flags of `modrewrite playground` (the command's logic is in playground.ts). */
import type { CommandSpec } from './args.js';

export const PLAYGROUND: CommandSpec = {
  name: 'playground',
  summary: 'serve the browser playground (rules, a request, the outcome and trace as you type)',
  usage: 'modrewrite playground [--port N] [--host ADDR]',
  positionals: false,
  flags: [
    {
      name: 'port',
      type: 'string',
      value: 'N',
      default: '8081',
      help: 'TCP port; 0 picks a free one',
    },
    {
      name: 'host',
      type: 'string',
      value: 'ADDR',
      default: '127.0.0.1',
      help: 'address to listen on',
    },
    { name: 'help', short: 'h', type: 'boolean', help: 'show this help and exit' },
  ],
};
