// The same script as python_app/hello.js, here under an .htaccess with DirectorySlash Off.
module.exports = require('../python_app/hello.js');
