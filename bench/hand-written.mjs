/**
 * The decisions bench/rules-50.conf takes for the bench URLs, written by hand as an Express
 * middleware: the canonical-host condition, the backup-file pattern, and rule 50's rewrite. A
 * floor for any rule engine (it decides nothing else), used by bench:express-cold and, with
 * BENCH_HAND=1, by bench:rewrite-cpu.
 */
export function handWritten() {
  const canonicalHost = /^example\.com$/i;
  const backupFile = /\.(bak|old|orig|swp)$/;
  return (req, res, next) => {
    const url = req.url;
    if (canonicalHost.test(req.headers.host ?? '') || backupFile.test(url)) {
      next();
      return;
    }
    if (url.startsWith('/rule50/')) req.url = `/target?n=${url.slice(8)}`;
    next();
  };
}
