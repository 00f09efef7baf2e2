// A script and a directory share the name "hello": /python_app/hello is the directory (the
// `!-d` condition keeps the rule away from it), so this script is reached only as hello.js,
// or through scriptAlias at /wsgi/hello.
module.exports = (req, res) => {
  res.setHeader('Content-Type', 'text/plain');
  res.end('hello.js ran\n');
};
