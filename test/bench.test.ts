/**
 * The benchmark harness works end to end: `--quick` starts the real stack, runs every phase at
 * tiny sizes and writes a report with every section filled with numbers. Nothing here is about
 * speed: the figures of a quick run mean nothing (`npm run bench` is the measurement).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BenchReport } from '../tools/bench/report';
import type { ScaleOutReport } from '../tools/bench/scale-out';
import { runTool, stopRunningTools } from './helpers/processes';
import { missingClusterBinaries } from '../sandbox/cluster/binaries';

const BENCH = path.join(__dirname, '..', 'build', 'tools', 'bench', 'main.js');
const dir = mkdtempSync(path.join(tmpdir(), 'pos-bench-test-'));

afterAll(() => {
  stopRunningTools();
  rmSync(dir, { recursive: true, force: true });
});

const isNumber = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

test(
  'a quick run measures every section and exits 0',
  async () => {
    const reportFile = path.join(dir, 'bench-report.json');
    const { code, output } = await runTool(process.execPath, [BENCH, '--quick', '--workers', '1', '--report', reportFile]);
    expect({ code, output: code === 0 ? '' : output.slice(-6000) }).toEqual({ code: 0, output: '' });

    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as BenchReport;
    expect(report.ok).toBe(true);
    expect(report.errors).toEqual([]);
    expect(isNumber(report.machine.cpus)).toBe(true);
    expect(report.machine.node).toMatch(/^v\d+/);
    expect(report.machine.temporalSdk).toMatch(/^\d+\.\d+/);

    const flow = report.flow!;
    expect(
      [
        flow.throughput.maxPerSecond,
        flow.halfLoad.endToEndMs.p50,
        flow.halfLoad.endToEndMs.p99,
        flow.cost.historyEventsPerTransaction,
      ].every(isNumber),
    ).toBe(true);
    expect(Object.values(flow.cost.cpuSecondsPerTransaction).every(isNumber)).toBe(true);
    expect(Object.values(flow.cost.peakRssMiB).every(isNumber)).toBe(true);
    expect(isNumber(flow.cost.databaseStatementsPerTransaction)).toBe(true);
    // Payload encryption is on in the bench's stack: its codec's cost over one history's payloads is measured.
    expect(flow.cost.codec?.payloads).toBeGreaterThan(5);
    expect([flow.cost.codec?.decodeMicros, flow.cost.codec?.encodeMicros].every(isNumber)).toBe(true);
    expect(flow.steps.length).toBeGreaterThan(0);
    expect(flow.steps.every((step) => isNumber(step.flowP50Ms))).toBe(true);

    expect(Object.keys(report.engine).sort()).toEqual(['fewer-activities', 'local-db-steps', 'same-shape']);
    for (const engine of Object.values(report.engine)) {
      expect([engine.throughput.maxPerSecond, engine.historyEventsPerWorkflow].every(isNumber)).toBe(true);
    }
    expect(
      [
        report.baseline!.halfLoad.endToEndMs.p50,
        report.baseline!.throughput.perSecond,
        report.baseline!.databaseStatementsPerTransaction,
      ].every(isNumber),
    ).toBe(true);

    expect(report.levers.length).toBeGreaterThanOrEqual(2);
    expect(report.levers.every((lever) => isNumber(lever.perSecond))).toBe(true);
    // The flow-shape lever ran its own bundle (every step an activity); the control runs v10's local ones
    // (the three database steps, the payment's opening and the authorization's request).
    expect(report.levers.map((lever) => [lever.name, lever.localActivitiesPerTransaction])).toEqual([
      ['database steps as activities (flow v7 shape)', 0],
      ['control (defaults)', 5],
    ]);
    // The same two shapes at half load, as a till sends (Prefer: wait): both carried transactions, none failed.
    expect(
      report.shapesAtHalfLoad.map((s) => [s.shape, s.failed, isNumber(s.decisionMs.p50), isNumber(s.cpuMsPerTransaction.temporal)]),
    ).toEqual([
      ['database steps as activities (flow v7 shape)', 0, true, true],
      ['local activities (flow v10, shipped)', 0, true, true],
    ]);
    expect(report.scale!.levels.length).toBeGreaterThanOrEqual(2);
    expect(report.scale!.levels.every((level) => level.workerRssMiB.every(isNumber) && isNumber(level.newTransactionMs.p50))).toBe(true);

    // The goals of #17, each measured in this one run (the per-step overhead from the flow's journal against the baseline's calls).
    expect(report.headline.goals.map((goal) => goal.goal)).toHaveLength(5);
    expect(
      report.headline.goals.filter((goal) => goal.goal.startsWith('engine overhead per step')).map((goal) => isNumber(goal.measured)),
    ).toEqual([true]);
    // The till's one-request answer was measured (Prefer: wait, a 201 with the decision) and set against the baseline's same span.
    expect(report.flow!.halfLoad.decision.postToDecisionMs.count).toBeGreaterThan(0);
    expect(isNumber(report.flow!.halfLoad.decision.postToDecisionMs.p50) && isNumber(report.baseline!.halfLoad.decisionMs.p50)).toBe(true);
    expect([report.headline.flowToEngineThroughput, report.headline.flowToBaselineP50].every(isNumber)).toBe(true);
  },
  // About 3 minutes here; CI machines have taken twice that (a limit against a hang, not a speed check).
  15 * 60_000,
);

test('a bad argument stops with a clear message', async () => {
  const { code, output } = await runTool(process.execPath, [BENCH, '--workers', 'many']);
  expect(code).toBe(2);
  expect(output).toContain('--workers must be a number');
  const engine = await runTool(process.execPath, [BENCH, '--engine', 'sqlite']);
  expect(engine.code).toBe(2);
  expect(engine.output).toContain('--engine must be dev or cluster');
});

const SCALE_OUT = path.join(__dirname, '..', 'build', 'tools', 'bench', 'scale-out.js');

// The scale-out bench runs on the cluster, like test/cluster.test.ts: skipped, saying why, where its binaries are not provisioned.
const missingCluster = missingClusterBinaries();
if (missingCluster) console.warn(`test/bench.test.ts: the scale-out bench is skipped: ${missingCluster}`);

(missingCluster ? test.skip : test)(
  'the scale-out bench runs on the cluster: a second worker and a second API process each carry transactions, CPU is counted for every role',
  async () => {
    const reportFile = path.join(dir, 'scale-out-report.json');
    const { code, output } = await runTool(
      process.execPath,
      [SCALE_OUT, '--quick', '--workers', '1,2', '--apis', '2', '--report', reportFile],
      {
        ...process.env,
        DATABASE_URL: '', // the cluster's own PostgreSQL holds the service's database too
      },
    );
    expect({ code, output: code === 0 ? '' : output.slice(-6000) }).toEqual({ code: 0, output: '' });
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ScaleOutReport;
    expect(report.engine).toMatch(/on PostgreSQL/);
    expect(report.points.map((p) => [p.workers, p.apis])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    for (const point of report.points) {
      expect(point.transactions).toBeGreaterThan(0);
      expect(point.failed).toBe(0);
      // Every role did work for these transactions: a process the meter did not find would read 0.
      expect(Object.values(point.cpuMsPerTransaction).every((ms) => ms > 0)).toBe(true);
    }
  },
  // About 3 minutes here; CI machines have taken twice that (a limit against a hang, not a speed check).
  15 * 60_000,
);

test('the scale-out bench refuses a bad list with a clear message', async () => {
  const { code, output } = await runTool(process.execPath, [SCALE_OUT, '--workers', '1,two']);
  expect(code).toBe(2);
  expect(output).toContain('--workers must be a comma-separated list of counts');
});
