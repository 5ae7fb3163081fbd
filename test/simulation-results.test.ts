/**
 * `npm run simulate -- --results FILE` (tools/simulation/results-file.ts): a long run resumes
 * from the verdicts it wrote, and never counts verdicts that other code gave.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ResultsFile, ResultsFileError, simulationCodeHash } from '../tools/simulation/results-file';
import type { SeedSummary } from '../tools/simulation/simulate';

const summary = (seed: number, violations: SeedSummary['violations'] = []): SeedSummary => ({
  seed,
  kind: 'approved',
  weather: 'calm',
  outcome: 'succeeded',
  branches: ['createAuthorization:approved'],
  violations,
  trace: ['plan {...}'],
});

const fresh = () => path.join(mkdtempSync(path.join(tmpdir(), 'sim-results-')), 'results.jsonl');

test('verdicts written by one run are what the next run of the same code starts from', () => {
  const file = fresh();
  const first = ResultsFile.open(file, 'code-a');
  expect(first.earlier.size).toBe(0);
  first.append(summary(1));
  first.append(summary(2, [{ invariant: 'ledger-money-safe', why: 'left open' }]));

  const again = ResultsFile.open(file, 'code-a');
  expect([...again.earlier.keys()]).toEqual([1, 2]);
  expect(again.earlier.get(2)?.violations).toEqual([{ invariant: 'ledger-money-safe', why: 'left open' }]);
  // A failure keeps its trace (the reproduction); a green seed's line does not carry it.
  expect(again.earlier.get(2)?.trace).toEqual(['plan {...}']);
  expect(again.earlier.get(1)?.trace).toEqual([]);
});

test('verdicts of other code are refused, not mixed in', () => {
  const file = fresh();
  ResultsFile.open(file, 'code-a').append(summary(1));
  expect(() => ResultsFile.open(file, 'code-b')).toThrow(ResultsFileError);
  expect(() => ResultsFile.open(file, 'code-b')).toThrow(/other code/);
});

test('a line cut short by a stop mid-write is dropped (that seed runs again); a bad line inside is an error', () => {
  const file = fresh();
  const results = ResultsFile.open(file, 'code-a');
  results.append(summary(1));
  appendFileSync(file, '{"seed":2,"kind":"appr');
  const resumed = ResultsFile.open(file, 'code-a');
  expect([...resumed.earlier.keys()]).toEqual([1]);
  resumed.append(summary(2));
  expect([...ResultsFile.open(file, 'code-a').earlier.keys()]).toEqual([1, 2]);

  const broken = fresh();
  ResultsFile.open(broken, 'code-a');
  appendFileSync(broken, 'not json\n');
  appendFileSync(broken, `${JSON.stringify(summary(3))}\n`);
  expect(() => ResultsFile.open(broken, 'code-a')).toThrow(/line 2/);
  expect(readFileSync(broken, 'utf8').split('\n')[0]).toBe('{"code":"code-a"}');
});

test('the code hash names the flow and the simulation as they are: a changed source changes it', () => {
  expect(simulationCodeHash()).toMatch(/^[0-9a-f]{16}$/);
  expect(simulationCodeHash()).toBe(simulationCodeHash());
  // A candidate flow (SIMULATION_WORKFLOWS) is part of what judged the seeds.
  const candidate = mkdtempSync(path.join(tmpdir(), 'sim-flow-'));
  writeFileSync(path.join(candidate, 'index.ts'), 'export const step = 1;\n');
  const saved = process.env.SIMULATION_WORKFLOWS;
  try {
    process.env.SIMULATION_WORKFLOWS = candidate;
    const before = simulationCodeHash();
    writeFileSync(path.join(candidate, 'index.ts'), 'export const step = 2;\n');
    expect(simulationCodeHash()).not.toBe(before);
  } finally {
    if (saved === undefined) delete process.env.SIMULATION_WORKFLOWS;
    else process.env.SIMULATION_WORKFLOWS = saved;
  }
});
