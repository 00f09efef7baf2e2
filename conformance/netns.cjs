// Shared by the scripts that run real Apache (record.mjs, record-real-world.mjs,
// differential/run.mjs): rules can name hosts, so Apache and the servers it is compared with run
// inside a private network namespace with only loopback up.
'use strict';
const { spawn } = require('node:child_process');

/**
 * Runs `main` inside a private network namespace: the first call re-runs `script` there (with the
 * same arguments) through `unshare --net`, and exits with its code; inside, `main` runs.
 */
async function inPrivateNetwork(script, main) {
  if (process.env.MODREWRITE_NETNS) return main();
  const shell = `ip link set lo up && exec "${process.execPath}" "${script}" "$@"`;
  const child = spawn('unshare', ['--net', 'sh', '-c', shell, 'sh', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, MODREWRITE_NETNS: '1' },
  });
  child.on('exit', (code) => process.exit(code ?? 1));
}

module.exports = { inPrivateNetwork };
