/**
 * `--results FILE`: every finished seed's verdict, one JSON line each, so that a long run (20,000
 * seeds take hours on a laptop) can be stopped and resumed: seeds already in the file are not run
 * again, and the report counts them. The file's first line names the code that judged them (a
 * hash of the flow and the simulation); a file made by other code is refused, not mixed in.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { SeedSummary } from './simulate';

const headerSchema = z.object({ code: z.string() });
const summarySchema = z.object({
  seed: z.number().int(),
  kind: z.string(),
  weather: z.string(),
  outcome: z.string(),
  expected: z.string().optional(),
  branches: z.array(z.string()),
  violations: z.array(z.object({ invariant: z.string(), why: z.string() })),
  trace: z.array(z.string()),
});

export class ResultsFileError extends Error {
  override name = 'ResultsFileError';
}

export class ResultsFile {
  private constructor(
    readonly file: string,
    /** Seeds judged earlier by the same code. */
    readonly earlier: ReadonlyMap<number, SeedSummary>,
  ) {}

  static open(file: string, code: string): ResultsFile {
    if (!existsSync(file)) {
      writeFileSync(file, `${JSON.stringify({ code })}\n`);
      return new ResultsFile(file, new Map());
    }
    let text = readFileSync(file, 'utf8');
    if (!text.endsWith('\n')) {
      // A line cut short by a stop mid-write: dropped (that seed simply runs again), so the next line starts clean.
      text = text.slice(0, text.lastIndexOf('\n') + 1);
      truncateSync(file, Buffer.byteLength(text));
    }
    const [first, ...rest] = text.split('\n');
    const header = headerSchema.safeParse(parseLine(first));
    if (!header.success) throw new ResultsFileError(`${file} is not a results file of npm run simulate (its first line names no code)`);
    if (header.data.code !== code)
      throw new ResultsFileError(
        `${file} holds verdicts of other code (the flow or the simulation changed since): remove it, or give another --results file`,
      );
    const earlier = new Map<number, SeedSummary>();
    for (const [index, line] of rest.entries()) {
      if (line.trim() === '') continue;
      const summary = summarySchema.safeParse(parseLine(line));
      if (!summary.success) throw new ResultsFileError(`${file} line ${index + 2} is not a seed's verdict`);
      earlier.set(summary.data.seed, summary.data);
    }
    return new ResultsFile(file, earlier);
  }

  append(summary: SeedSummary): void {
    // The trace is for failures: a green seed's line stays small.
    const line = summary.violations.length > 0 ? summary : { ...summary, trace: [] };
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}

function parseLine(line: string | undefined): unknown {
  try {
    return JSON.parse(line ?? '');
  } catch {
    return undefined;
  }
}

/**
 * What judged the seeds: the TypeScript sources of the service (src/ but its HTTP API), the
 * simulated world and the invariants (or SIMULATION_WORKFLOWS' flow). Sources, not the build: a bundle names the
 * folder it was built in, and a build folder keeps files whose sources are gone, so the same
 * commit would hash differently in two checkouts. Any change to the sources changes the hash.
 */
export function simulationCodeHash(): string {
  const root = repositoryRoot();
  const dirs = ['src', 'tools/simulation', 'tools/invariants'].map((dir) => path.join(root, dir));
  // The HTTP API is the one part of the service the simulation never runs (it drives the workflows directly).
  const notRun = path.join(root, 'src', 'api');
  if (process.env.SIMULATION_WORKFLOWS) dirs.push(path.resolve(process.env.SIMULATION_WORKFLOWS));
  const hash = createHash('sha256');
  for (const file of dirs.flatMap((dir) => sourceFiles(dir).filter((f) => !f.startsWith(notRun + path.sep))).sort()) {
    hash.update(path.relative(root, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/** The folder holding package.json, above this file (run from tools/ or from build/tools/). */
function repositoryRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [file] : [];
  });
}
