/**
 * The layout is the architecture: src/ is the service and nothing in it may reach into the
 * sandbox (simulators, the all-in-one stack) or the tools (chaos, bench, demo), so what ships is
 * exactly src/. This reads every import in src/ and resolves it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every module a file imports, requires or loads dynamically, resolved to a path from the repository root. */
function importsIn(file: string, code: string): string[] {
  const specifiers = [...code.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)(['"])([^'"]+)\1/g)].map((m) => m[2]);
  return specifiers.map((s) => (s.startsWith('.') ? path.relative(root, path.resolve(path.dirname(file), s)) : s));
}

const LAB = ['sandbox', 'tools'];

function labImports(file: string, code: string): string[] {
  return importsIn(file, code)
    .filter((target) => LAB.some((lab) => target === lab || target.startsWith(`${lab}/`)))
    .map((target) => `${path.relative(root, file)} -> ${target}`);
}

test('nothing in src/ imports the sandbox or the tools', () => {
  const offending = sourceFiles(path.join(root, 'src')).flatMap((file) => labImports(file, readFileSync(file, 'utf8')));
  expect(offending).toEqual([]);
});

test('the check catches each way of importing the lab (control)', () => {
  const file = path.join(root, 'src', 'api', 'example.ts');
  expect(labImports(file, "import { startZuzSimulator } from '../../sandbox/simulators/zuz';")).toHaveLength(1);
  expect(labImports(file, "const chaos = require('../../tools/chaos/main');")).toHaveLength(1);
  expect(labImports(file, "await import('../../sandbox/local-stack');")).toHaveLength(1);
  expect(labImports(file, "import { x } from '../zuz';")).toHaveLength(0);
});

test('the production build compiles only src/', () => {
  const config = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as {
    include: string[];
    compilerOptions: { rootDir: string };
  };
  expect(config.include).toEqual(['src']);
  expect(config.compilerOptions.rootDir).toBe('src');
});
