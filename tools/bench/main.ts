/**
 * `npm run bench [-- --quick] [--engine cluster]`: starts the real stack (the chaos suite's: Temporal dev server or the cluster,
 * N worker processes, the API process, the simulators, PostgreSQL) plus the engine-ceiling
 * workers, and measures in one run: the flow's maximum throughput and its latencies at half
 * that load, the engine's ceiling for the same shape, the non-durable baseline, the cost per
 * transaction, the deployment levers, and 10,000 transactions waiting at once. Prints Markdown
 * tables, writes a JSON report, and stops every process it started, however it ends.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadDevConfig } from '../../sandbox/config';
import { SHORT_PENDING_MS } from '../../sandbox/simulators/zuz/timing';
import { provisionCluster } from '../chaos/engine';
import { ExitGuard } from '../chaos/exit-guard';
import { FLOW_ENV } from '../chaos/service-env';
import { parseBenchArgs } from './args';
import { argsOrUsage, runToolMain } from '../cli-args';
import { BenchStack } from './bench-stack';
import { postgresVersion } from './db-stats';
import type { EngineVariant } from './engine/shape';
import { describeShape } from './engine/shape-from-history';
import type { BenchContext } from './phases/context';
import { measureBaseline, type BaselineResult } from './phases/baseline';
import { measureEngine } from './phases/engine';
import { measureFlow, type FlowResult } from './phases/flow';
import { LEVERS, measureLevers, measureShapesAtHalfLoad } from './phases/levers';
import { measureScale } from './phases/scale';
import { flowShapeLevers, headline, writeReport, type BenchReport } from './report';
import { sizesFor } from './sizes';
import { stepOverheads } from './step-overhead';
import { renderReport } from './table';
import { machineInfo } from './versions';
import { Workload } from './workload';

const ENGINE_VARIANTS: EngineVariant[] = ['same-shape', 'local-db-steps', 'fewer-activities'];
/** The quick run's one lever (besides the control): proves the restart-and-measure path. */
const QUICK_LEVERS = 1;

async function main(): Promise<number> {
  const args = argsOrUsage(parseBenchArgs, process.argv.slice(2));
  if (!args) return 2;
  // `npm run bench` provisions the CLI; the cluster's binaries are built here once per machine (cached after).
  if (args.engine === 'cluster' && !provisionCluster('bench')) return 1;
  const started = Date.now();
  const say = (message: string) => console.log(`[bench +${Math.round((Date.now() - started) / 1000)}s] ${message}`);
  const sizes = sizesFor(args.quick, args.waiting);
  const reportFile = path.resolve(args.report);
  const guard = new ExitGuard('bench');
  guard.install();
  const logsDir = mkdtempSync(path.join(tmpdir(), 'pos-bench-'));
  const errors: string[] = [];
  const report: Omit<BenchReport, 'headline' | 'machine' | 'durationSeconds' | 'ok' | 'flowShapeLevers'> = {
    startedAt: new Date(started).toISOString(),
    command: `node build/tools/bench/main.js ${process.argv.slice(2).join(' ')}`.trim(),
    args,
    sizes,
    setup: {
      temporal: args.engine === 'cluster' ? 'Temporal server on PostgreSQL (cluster)' : 'Temporal dev server',
      workers: args.workers,
      database: process.env.DATABASE_URL ? 'DATABASE_URL' : 'PostgreSQL started for the run',
      temporalHistory: args.temporalHistory,
      timeScale: args.timeScale,
      pendingAuthorizationMs: Math.round(SHORT_PENDING_MS * args.timeScale),
      providerLatencyMs: args.providerLatencyMs,
      flowEnv: FLOW_ENV,
      // Tuning set in the bench's own environment reaches every worker (e.g. WORKER_MAX_CACHED_WORKFLOWS=250 for a scale run).
      tuningEnv: Object.fromEntries(
        Object.entries(process.env).filter(([name]) => /^(WORKER_(MAX_|.*_POLLERS)|DATABASE_POOL_MAX)/.test(name)),
      ) as Record<string, string>,
    },
    flow: null,
    engine: {},
    baseline: null,
    scale: null,
    levers: [],
    shapesAtHalfLoad: [],
    errors,
  };
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').trim();
  say(`load average at start: ${loadAtStart}; starting the stack (logs in ${logsDir})`);

  let stack: BenchStack | undefined;
  let machine = machineInfo(loadDevConfig(process.env).temporalCli, 'unknown');
  try {
    stack = await BenchStack.start(
      {
        engine: args.engine,
        workers: args.workers,
        timeScale: args.timeScale,
        logsDir,
        historyInMemory: args.temporalHistory === 'memory',
      },
      guard,
    );
    report.setup.temporal = stack.services.engine.description;
    machine = machineInfo(loadDevConfig(process.env).temporalCli, await postgresVersion(stack.services.postgres.url));
    machine.loadAverageAtStart = loadAtStart;
    const workload = new Workload(Date.now().toString(36), sizes.customers);
    workload.seed(stack.services.pms);
    if (args.providerLatencyMs > 0) {
      stack.services.zuz.setFaults({ latencyMs: args.providerLatencyMs });
      stack.services.pms.setFaults({ latencyMs: args.providerLatencyMs });
    }
    const ctx: BenchContext = { args, sizes, stack, workload, say };
    say(
      `stack up in ${Math.round((Date.now() - started) / 1000)}s: ${args.workers} workers + ${args.workers} engine workers, Temporal ${stack.services.temporalAddress}`,
    );

    const phase: Phase = async (name, run) => {
      try {
        return await run();
      } catch (err) {
        errors.push(`${name}: ${(err as Error).message}`);
        console.error(`[bench] ${name} failed: ${(err as Error).stack ?? String(err)}`);
        return undefined;
      }
    };

    if (!args.scaleOnly) await measureEverythingButScale(ctx, report, phase);
    report.scale = (await phase('scale', () => measureScale(ctx))) ?? null;
  } catch (err) {
    errors.push(`run: ${(err as Error).message}`);
    console.error(`[bench] the run failed: ${(err as Error).stack ?? String(err)}`);
  }

  const full: BenchReport = {
    ...report,
    ok: errors.length === 0,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine,
    headline: headline(report),
    flowShapeLevers: flowShapeLevers(report.engine),
  };
  await guard.stopGracefully(stack);
  const keepLogs = !full.ok || args.keepLogs;
  if (keepLogs) say(`logs kept in ${logsDir}`);
  else rmSync(logsDir, { recursive: true, force: true });
  writeReport(full, reportFile);
  console.log(`\n${renderReport(full)}\n\n[bench] report written to ${reportFile}`);
  return full.ok ? 0 : 1;
}

type Phase = <T>(name: string, run: () => Promise<T>) => Promise<T | undefined>;

/** Flow, engine ceiling (and its variants), baseline, levers: filled into `report`. */
async function measureEverythingButScale(
  ctx: BenchContext,
  report: Pick<BenchReport, 'flow' | 'engine' | 'baseline' | 'levers' | 'shapesAtHalfLoad' | 'errors'>,
  phase: Phase,
): Promise<void> {
  const { args, sizes, workload } = ctx;
  const flow: FlowResult | undefined = await phase('flow', () => measureFlow(ctx));
  const shape = flow?.shape;
  if (!shape) report.errors.push('engine: no flow history to copy the shape from');
  for (const variant of shape ? ENGINE_VARIANTS : []) {
    // The variants run at the concurrency where the same shape peaked: a like-for-like comparison.
    const at = variant === 'same-shape' ? undefined : report.engine['same-shape']?.throughput.bestConcurrency;
    const result = await phase(`engine ${variant}`, () => measureEngine(ctx, variant, shape!, workload.tagFor('engine'), at));
    if (result) report.engine[variant] = result;
  }
  const rate = (flow?.throughput.maxPerSecond ?? 2) / 2;
  const concurrency = flow?.throughput.bestConcurrency ?? sizes.closedLoopConcurrency[0];
  const baseline: BaselineResult | undefined = await phase('baseline', () => measureBaseline(ctx, rate, concurrency));
  if (flow) {
    const { stepDurationsMs, shape: flowShape, ...rest } = flow;
    report.flow = {
      ...rest,
      shape: flowShape ? describeShape(flowShape) : null,
      steps: stepOverheads(stepDurationsMs, baseline?.stepDurationsMs ?? new Map<string, number[]>()),
    };
  }
  if (baseline) {
    const { stepDurationsMs: _steps, ...rest } = baseline;
    report.baseline = rest;
  }
  if (!args.skipLevers) {
    const levers = args.quick ? LEVERS.slice(0, QUICK_LEVERS) : LEVERS;
    report.levers = (await phase('levers', () => measureLevers(ctx, concurrency, levers))) ?? [];
    report.shapesAtHalfLoad = (await phase('flow shapes at half load', () => measureShapesAtHalfLoad(ctx, rate, args.quick ? 1 : 2))) ?? [];
  }
}

runToolMain(main, '[bench] crashed:');
