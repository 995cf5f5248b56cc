// The README's text, for the test that checks the figures it states (plain JavaScript: file reading
// is not for the TypeScript that n8n's linter checks).
const fs = require('fs');
const path = require('path');

module.exports = { README: fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8') };
