// Preloaded by bench/all.mjs into every bench it runs (`node --import`). On Ctrl-C (SIGINT) or a
// hang-up (SIGHUP) the bench keeps running: bench/all.mjs, which gets the same signal, kills the
// servers the bench started (in process groups of their own, out of Ctrl-C's reach), then sends
// it SIGTERM, which ends it through process.exit, so its 'exit' handlers (bench/procs.mjs) still
// run and remove its temporary folders.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.on('SIGTERM', () => process.exit(143));
