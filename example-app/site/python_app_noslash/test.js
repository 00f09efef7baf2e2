// A "script": GET /python_app/test runs this file (the .htaccess hides the extension).
// site() sets req.filename (the module) and req.rewrite.env; scriptAlias sets scriptName/pathInfo.
module.exports = (req, res) => {
  res.setHeader('Content-Type', 'text/plain');
  res.end([
    'test.js ran',
    `REQUEST_URI (original): ${req.originalUrl ?? req.url}`,
    `file: ${req.filename ? req.filename.slice(req.filename.lastIndexOf('/') + 1) : '(via scriptAlias)'}`,
    `scriptName: ${req.scriptName ?? ''}`,
    `pathInfo: ${req.pathInfo ?? ''}`,
    `REDIRECT_STATUS: ${req.rewrite?.env?.REDIRECT_STATUS ?? ''}`,
    '',
  ].join('\n'));
};
