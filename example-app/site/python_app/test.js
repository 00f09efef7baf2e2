// A "script": GET /python_app/test runs this file (the .htaccess hides the extension).
module.exports = (req, res) => {
  res.type('text/plain').send(`test.js ran\nREQUEST_URI (original): ${req.originalUrl}\nSCRIPT_NAME (rewritten): ${req.baseUrl}${req.path}\n`);
};
