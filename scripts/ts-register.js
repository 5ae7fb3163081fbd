// Lets Node require the tools' TypeScript sources directly, transpiled in memory (TypeScript's
// transpileModule: no type check, no build/ output): scripts/tool.sh uses it so that a tool's
// --help answers at once, before `npm run build` and any provisioning.
//   node -r ./scripts/ts-register.js tools/chaos/main.ts --help
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload script, loaded with node -r */
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      resolveJsonModule: true,
    },
  });
  module._compile(outputText, filename);
};
