// A script and a directory share the name "hello": /python_app/hello is the directory (the
// `!-d` condition keeps the rule away from it), so this script is reached only as hello.js.
module.exports = (req, res) => {
  res.type('text/plain').send('hello.js ran\n');
};
