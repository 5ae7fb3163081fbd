/** The report as Markdown tables on stdout (docs/BENCHMARKS.md holds one such print-out). */
import type { BenchReport } from './report';

type Cell = string | number | null | undefined;

function table(header: string[], rows: Cell[][]): string {
  const line = (cells: Cell[]) => `| ${cells.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderReport(report: BenchReport): string {
  const { headline: h, flow, engine, baseline, scale, machine } = report;
  const out: string[] = [];
  out.push(
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB; load at start ${machine.loadAverageAtStart}; ` +
      `Node ${machine.node}, SDK ${machine.temporalSdk}, ${machine.temporalCli}, ${machine.postgres}; commit ${machine.gitCommit}${machine.gitDirty ? ' (+ uncommitted changes)' : ''}`,
  );
  out.push(
    `Setup: ${report.setup.temporal ?? 'Temporal dev server'}, ${report.setup.workers} worker processes, database ${report.setup.database}${report.args.engine === 'cluster' ? '' : `, Temporal history in ${report.setup.temporalHistory}`}, pending authorization ${report.setup.pendingAuthorizationMs} ms, provider latency ${report.setup.providerLatencyMs} ms${
      Object.keys(report.setup.tuningEnv).length
        ? `, workers with ${Object.entries(report.setup.tuningEnv)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`
        : ''
    }; run took ${report.durationSeconds} s`,
  );
  out.push(
    '',
    '### Headline',
    table(
      ['figure', 'value', 'goal', 'met'],
      [
        ['flow max throughput (tx/s, closed loop)', h.flowThroughputPerSecond, '', ''],
        ['engine ceiling, same shape (wf/s)', h.engineCeilingPerSecond, '', ''],
        ...h.goals.map((g) => [g.goal, g.measured, g.target, g.met === null ? '-' : g.met ? 'yes' : 'no']),
        ['flow p50 / baseline p50 at half load', h.flowToBaselineP50, '', ''],
        ['flow p50 / baseline p50 (ms)', `${h.flowP50Ms} / ${h.baselineP50Ms}`, '', ''],
      ],
    ),
  );
  if (flow) {
    out.push(
      '',
      '### Flow: throughput ramp (closed loop)',
      table(
        ['concurrency', 'tx/s', 'p50 ms', 'p99 ms', 'failed', 'webhooks (retries)'],
        flow.throughput.points.map((p) => [
          p.concurrency,
          p.perSecond,
          p.latencyMs.p50,
          p.latencyMs.p99,
          p.failed,
          p.extra ? `${p.extra.webhooks} (${p.extra.webhookRetries})` : '-',
        ]),
      ),
    );
    out.push(`Flow shape, read from its history (the engine workflow copies it): ${flow.shape ?? '-'}`);
    const half = flow.halfLoad;
    out.push(
      '',
      `### Flow at half load (${half.offeredPerSecond} tx/s offered, ${half.achievedPerSecond} achieved, ${half.completed} done, ${half.failed} failed)`,
      table(
        ['latency (ms)', 'count', 'p50', 'p95', 'p99', 'max'],
        [
          ['POST -> terminal', half.endToEndMs.count, half.endToEndMs.p50, half.endToEndMs.p95, half.endToEndMs.p99, half.endToEndMs.max],
          [
            'webhook sent -> next step scheduled',
            half.webhookToProgressMs.count,
            half.webhookToProgressMs.p50,
            half.webhookToProgressMs.p95,
            half.webhookToProgressMs.p99,
            half.webhookToProgressMs.max,
          ],
          [
            'webhook sent -> signal in history',
            half.webhookToSignalMs.count,
            half.webhookToSignalMs.p50,
            half.webhookToSignalMs.p95,
            half.webhookToSignalMs.p99,
            half.webhookToSignalMs.max,
          ],
          [
            'POST with Prefer: wait -> decision (201)',
            half.decision.postToDecisionMs.count,
            half.decision.postToDecisionMs.p50,
            half.decision.postToDecisionMs.p95,
            half.decision.postToDecisionMs.p99,
            half.decision.postToDecisionMs.max,
          ],
          [
            'baseline start -> decision',
            baseline?.halfLoad.decisionMs.count,
            baseline?.halfLoad.decisionMs.p50,
            baseline?.halfLoad.decisionMs.p95,
            baseline?.halfLoad.decisionMs.p99,
            baseline?.halfLoad.decisionMs.max,
          ],
          [
            'baseline POST-equivalent -> done',
            baseline?.halfLoad.endToEndMs.count,
            baseline?.halfLoad.endToEndMs.p50,
            baseline?.halfLoad.endToEndMs.p95,
            baseline?.halfLoad.endToEndMs.p99,
            baseline?.halfLoad.endToEndMs.max,
          ],
        ],
      ),
    );
    out.push(
      `Webhooks that came before the workflow waited (not timed): ${half.webhooksBeforeWait}; webhook retries: ${half.webhookRetries}`,
      `Prefer: wait run (same rate, measured apart): ${half.decision.completed} done, ${half.decision.failed} failed, ${half.decision.answeredAfterTheWait} answered 202 after the wait (not timed)`,
    );
    out.push(
      '',
      '### Per-step time (p50, ms): flow journal vs the same call without Temporal',
      table(
        ['step', 'flow', 'baseline', 'overhead'],
        flow.steps.map((s) => [s.step, s.flowP50Ms, s.baselineP50Ms, s.overheadP50Ms]),
      ),
    );
    const c = flow.cost;
    out.push(
      '',
      '### Cost per transaction (half load)',
      table(
        ['what', 'value'],
        [
          ...Object.entries(c.cpuSecondsPerTransaction).map(([who, s]) => [`CPU ms, ${who}`, Math.round(s * 10000) / 10]),
          ['database statements (pg_stat_database)', c.databaseStatementsPerTransaction],
          ['database statements (baseline, counted)', baseline?.databaseStatementsPerTransaction],
          ['history events', c.historyEventsPerTransaction],
          // From the same histories' kinds of events (HistorySample.meanByKind): what the flow-shape levers move.
          ['workflow tasks (WorkflowTaskCompleted)', c.meanEventsByKind.workflowTaskCompleted],
          ['activity tasks (ActivityTaskScheduled)', c.meanEventsByKind.activityTaskScheduled],
          ['markers (local activities, patches), signals, timers', countsOf(c.meanEventsByKind)],
          ...Object.entries(c.peakRssMiB).map(([who, mib]) => [`peak RSS MiB, ${who}`, mib]),
          // Payload encryption (AES-256-GCM) over one history's payloads: one decrypt and one encrypt of each.
          ...(c.codec
            ? [
                [`encrypted payloads (${c.codec.plaintextBytes} bytes in clear)`, c.codec.payloads],
                ['codec CPU µs, decrypt all', c.codec.decodeMicros],
                ['codec CPU µs, encrypt all', c.codec.encodeMicros],
              ]
            : [['payload encryption', 'off']]),
        ],
      ),
    );
  }
  const variants = Object.values(engine);
  if (variants.length) {
    out.push(
      '',
      '### Engine ceiling (no-op activities, same signal/timer/upserts)',
      table(
        ['variant', 'max wf/s', 'at concurrency', 'p50 ms', 'history events', 'CPU ms/wf workers', 'CPU ms/wf Temporal'],
        variants.map((e) => {
          const best = e.throughput.points.find((p) => p.concurrency === e.throughput.bestConcurrency);
          return [
            e.variant,
            e.throughput.maxPerSecond,
            e.throughput.bestConcurrency,
            best?.latencyMs.p50,
            e.historyEventsPerWorkflow,
            Math.round(e.cpuSecondsPerWorkflow.engineWorkers * 10000) / 10,
            Math.round(e.cpuSecondsPerWorkflow.temporal * 10000) / 10,
          ];
        }),
      ),
    );
  }
  if (baseline)
    out.push('', `Baseline throughput at concurrency ${baseline.throughput.concurrency}: ${baseline.throughput.perSecond} tx/s`);
  if (report.levers.length) {
    out.push(
      '',
      '### Levers (flow, closed loop at the best concurrency, workers restarted per lever)',
      table(
        ['lever', 'tx/s', 'vs control %', 'p50 ms', 'p99 ms', 'failed', 'local activities / tx'],
        report.levers.map((l) => [
          l.name,
          l.perSecond,
          l.changePercent,
          l.latencyMs.p50,
          l.latencyMs.p99,
          l.failed,
          l.localActivitiesPerTransaction,
        ]),
      ),
    );
  }
  if (report.shapesAtHalfLoad.length) {
    out.push(
      '',
      '### Flow shape at half load: database steps as activities (v7) vs local activities (v8), in turns',
      table(
        [
          'shape',
          'round',
          'done',
          'failed',
          'POST -> decision p50 ms',
          'POST -> end p50 ms',
          'p99 ms',
          'CPU ms/tx workers',
          'CPU ms/tx Temporal',
        ],
        report.shapesAtHalfLoad.map((s) => [
          s.shape,
          s.round,
          s.completed,
          s.failed,
          s.decisionMs.p50,
          s.endToEndMs.p50,
          s.endToEndMs.p99,
          s.cpuMsPerTransaction.workers,
          s.cpuMsPerTransaction.temporal,
        ]),
      ),
    );
  }
  if (report.flowShapeLevers.length) {
    out.push(
      '',
      '### Flow-shape levers, measured on the engine workflow',
      table(
        ['variant', 'max wf/s', 'vs same shape %', 'history events'],
        report.flowShapeLevers.map((l) => [l.variant, l.perSecond, l.changePercent, l.historyEvents]),
      ),
    );
  }
  if (scale) {
    out.push(
      '',
      '### Scale: transactions waiting (manual capture, authorized)',
      table(
        ['waiting', 'worker RSS MiB', 'Temporal RSS MiB', 'new tx p50 ms', 'new tx p95 ms', 'fill s'],
        scale.levels.map((l) => [
          l.waiting,
          l.workerRssMiB.join(' / '),
          l.temporalRssMiB,
          l.newTransactionMs.p50,
          l.newTransactionMs.p95,
          l.fillSeconds,
        ]),
      ),
    );
    out.push(`Worker RSS growth: ${scale.workerRssGrowthPercent}%; new-transaction p50 growth: ${scale.newTransactionP50GrowthPercent}%`);
  }
  if (report.errors.length) out.push('', `Errors: ${report.errors.join('; ')}`);
  return separateTables(out.join('\n').split('\n')).join('\n');
}

/** Markdown needs a blank line between a table and the text after it (else the text joins the table). */
function separateTables(lines: string[]): string[] {
  return lines.flatMap((line, i) => (i > 0 && lines[i - 1].startsWith('|') && line !== '' && !line.startsWith('|') ? ['', line] : [line]));
}

/** Markers (local activities and patches), signals and timers per transaction, from the mean count of each kind of event. */
function countsOf(meanByKind: Record<string, number>): string {
  const of = (kind: string) => Math.round((meanByKind[kind] ?? 0) * 100) / 100;
  return `${of('markerRecorded')} markers, ${of('workflowExecutionSignaled')} signals, ${of('timerStarted')} timers`;
}
