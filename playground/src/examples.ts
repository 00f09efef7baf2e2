/** Cases to start from: the rules people write most, each with a request that shows its point. */
import { DEFAULT_STATE, type PlaygroundState } from './model.js';

const HOST = 'Host: www.example.com';

export const EXAMPLES: readonly { readonly name: string; readonly state: PlaygroundState }[] = [
  { name: 'Front controller (.htaccess)', state: DEFAULT_STATE },
  {
    name: 'Force HTTPS and www (server)',
    state: {
      rules: [
        'RewriteEngine On',
        'RewriteCond %{HTTPS} off [OR]',
        'RewriteCond %{HTTP_HOST} !^www\\. [NC]',
        'RewriteCond %{HTTP_HOST} ^(?:www\\.)?(.+)$ [NC]',
        'RewriteRule ^ https://www.%1%{REQUEST_URI} [R=301,L,NE]',
        '',
      ].join('\n'),
      context: 'server',
      directory: '/',
      method: 'GET',
      url: '/shop/cart?id=7',
      headers: 'Host: example.com',
      files: [],
    },
  },
  {
    name: '.htaccess in a subdirectory, RewriteBase',
    state: {
      rules: [
        'RewriteEngine On',
        'RewriteBase /blog/',
        'RewriteRule ^post/([0-9]+)$ index.php?p=$1 [L,QSA]',
        'RewriteRule ^old/(.*)$ new/$1 [R=301,L]',
        '',
      ].join('\n'),
      context: 'directory',
      directory: '/blog',
      method: 'GET',
      url: '/blog/old/hello',
      headers: HOST,
      files: ['blog/index.php'],
    },
  },
  {
    name: 'Deny by user agent, [F]',
    state: {
      rules: [
        'RewriteEngine On',
        'RewriteCond %{HTTP_USER_AGENT} (curl|wget) [NC]',
        'RewriteRule ^ - [F]',
        '',
      ].join('\n'),
      context: 'directory',
      directory: '/',
      method: 'GET',
      url: '/private/report.pdf',
      headers: `${HOST}\nUser-Agent: curl/8.5.0`,
      files: ['private/report.pdf'],
    },
  },
];
