/** The flags of `modrewrite test` (the command's logic is in test-command.ts). */
import type { CommandSpec } from './args.js';

export const TEST: CommandSpec = {
  name: 'test',
  summary:
    'show what the rules do to each URL and why (the trace), or check a list of expectations',
  usage: "modrewrite test [--config FILE] [--root DIR] [-X METHOD] [-H 'Name: value']... URL...",
  positionals: true,
  flags: [
    {
      name: 'config',
      type: 'string',
      value: 'FILE',
      defaultText: 'DIR/.htaccess with --root',
      help: 'the rules: a server config, or an .htaccess (directory context)',
    },
    {
      name: 'root',
      type: 'string',
      value: 'DIR',
      defaultText: "an .htaccess's folder, else no files",
      help: 'DocumentRoot: -f/-d/-s and the directory walk see its files',
    },
    {
      name: 'context',
      type: 'string',
      value: 'server|directory',
      defaultText: 'directory for .htaccess and *.htaccess, else server',
      help: 'the context the rules are read in',
    },
    {
      name: 'directory',
      type: 'string',
      value: 'URLPATH',
      defaultText: "the .htaccess's folder below --root, else /",
      help: 'directory context: the URL-path the rules belong to',
    },
    {
      name: 'request',
      short: 'X',
      type: 'string',
      value: 'METHOD',
      default: 'GET',
      help: 'the request method',
    },
    {
      name: 'header',
      short: 'H',
      type: 'string',
      multiple: true,
      value: "'Name: value'",
      defaultText: "Host: the URL's host, else localhost",
      help: 'a request header; repeatable',
    },
    {
      name: 'remote-addr',
      type: 'string',
      value: 'IP',
      default: '127.0.0.1',
      help: 'the client address (REMOTE_ADDR)',
    },
    {
      name: 'server-name',
      type: 'string',
      value: 'NAME',
      default: 'localhost',
      help: 'ServerName (SERVER_NAME, the Host when the request has none)',
    },
    {
      name: 'expect',
      type: 'string',
      value: 'FILE',
      defaultText: 'none',
      help: "lines 'URL OUTCOME' to check (OUTCOME: pass, -> URL, NNN [LOCATION], proxy URL; # comments)",
    },
    {
      name: 'json',
      type: 'boolean',
      defaultText: 'text',
      help: 'print the results (outcome and structured trace) as JSON',
    },
    { name: 'help', short: 'h', type: 'boolean', help: 'show this help and exit' },
  ],
};
