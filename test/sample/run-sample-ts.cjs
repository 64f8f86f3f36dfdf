// Preload for running the sample's TypeScript sources in a child process (test/sample/sample-process.ts):
// `nestjs-security-schemes` resolves to lib/index.ts, and the `.js` of a relative import to its `.ts` file,
// as jest's moduleNameMapper does; ts-node transpiles each file (types are checked by `npm run typecheck`).
const Module = require('node:module');
const { existsSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

const root = resolve(__dirname, '../..');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (request === 'nestjs-security-schemes') {
    request = join(root, 'lib/index.ts');
  } else if (request.startsWith('.') && request.endsWith('.js') && parent && parent.filename && parent.filename.endsWith('.ts')) {
    const source = resolve(dirname(parent.filename), `${request.slice(0, -3)}.ts`);
    if (existsSync(source)) request = source;
  }
  return resolveFilename.call(this, request, parent, ...rest);
};
process.env.TS_NODE_TRANSPILE_ONLY = 'true';
process.env.TS_NODE_PROJECT = join(root, 'tsconfig.json');
require('ts-node/register');
