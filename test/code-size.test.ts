/**
 * The service stays readable in pieces a newcomer can hold: no file in src/ over 400 lines, no
 * function over 80 (issue 32). A long function is split where its parts have names; a long file
 * where its parts have different readers. Each limit is shown catching a planted text, so a
 * loosened measure fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;
const src = path.join(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

function lineCount(text: string): number {
  return text.replace(/\n$/, '').split('\n').length;
}

/** Every function (declared, arrow, method) longer than the limit, as `name (lines)`. */
function longFunctions(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      const lines = last - first + 1;
      const name = node.name?.getText(source) ?? `(function at line ${first + 1})`;
      if (lines > MAX_FUNCTION_LINES) found.push(`${name} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = sourceFiles(src).map((file) => ({ name: path.relative(src, file), text: readFileSync(file, 'utf8') }));

test('the measure sees src/', () => {
  expect(files.length).toBeGreaterThan(50);
});

test.each(files.map((f) => [f.name, f.text] as const))(
  `src/%s is at most ${MAX_FILE_LINES} lines, its functions at most ${MAX_FUNCTION_LINES}`,
  (name, text) => {
    expect(lineCount(text)).toBeLessThanOrEqual(MAX_FILE_LINES);
    expect(longFunctions(name, text)).toEqual([]);
  },
);

test('a planted long function and a long file are caught (control)', () => {
  const body = Array.from({ length: MAX_FUNCTION_LINES }, (_, i) => `  const v${i} = ${i};`).join('\n');
  expect(longFunctions('planted.ts', `export function planted() {\n${body}\n}\n`)).toEqual([`planted (${MAX_FUNCTION_LINES + 2} lines)`]);
  expect(longFunctions('planted.ts', `export const planted = () => {\n${body}\n};\n`)).toHaveLength(1);
  expect(longFunctions('planted.ts', `class C {\n  m() {\n${body}\n  }\n}\n`)).toEqual([`m (${MAX_FUNCTION_LINES + 2} lines)`]);
  expect(longFunctions('planted.ts', `export function short() {\n  return 1;\n}\n`)).toEqual([]);
  expect(lineCount('x\n'.repeat(MAX_FILE_LINES + 1))).toBe(MAX_FILE_LINES + 1);
});
