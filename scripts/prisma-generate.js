// Runs `prisma generate` after `npm install`. Generation itself needs no native engine, but the CLI
// insists on finding a schema-engine binary and downloads one when it finds none — a download our
// machines cannot make. Pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file satisfies the check;
// migrations never use the engine (see platform/migrate.ts).
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(__dirname, 'prisma-generate.js');
execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate'], {
  cwd: path.join(__dirname, '..'),
  env,
  stdio: 'inherit',
});
