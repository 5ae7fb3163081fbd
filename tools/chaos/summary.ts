/** The run's summary on stdout: sizes, faults, durations, and the table of violations per invariant. */
import type { ChaosReport } from './report';

/** The notes each invariant writes (see tools/chaos/invariants): counts, and for webhooks the failures per reason. */
type Counts = Record<string, number | undefined>;
type WebhookNotes = {
  events?: number;
  delivered?: number;
  droppedByFault?: number;
  neededRetries?: number;
  attempts?: number;
  failedAttemptsByReason?: Record<string, number>;
};

type MerchantToldNotes = {
  events?: number;
  eventsPerType?: Record<string, number>;
  endpoints?: number;
  requests?: number;
  requestsPerAnswer?: Record<string, number>;
  deliveredAfterFailedRequests?: number;
  duplicateDeliveries?: number;
  settled?: boolean;
  settledAfterMs?: number;
};

function notesOf<T>(report: ChaosReport, name: string): T | undefined {
  return report.invariants.find((invariant) => invariant.name === name)?.notes as T | undefined;
}

export function printSummary(report: ChaosReport, reportFile: string): void {
  const { counts, timeToTerminalMs: timing } = report;
  const lines: string[] = [];
  lines.push(
    '',
    `Chaos run: seed ${report.seed}, ${report.args.transactions} transactions, ${report.args.workers} workers, concurrency ${report.args.concurrency}, ${report.machine.cpus} CPUs, took ${formatDuration(report.durationMs)}${report.stackStartupMs !== undefined ? ` (stack start ${formatDuration(report.stackStartupMs)})` : ''}${report.stoppedByGlobalTimeout ? ' (STOPPED BY THE GLOBAL TIMEOUT)' : ''}`,
  );
  lines.push(`Engine: ${report.stack.engine}`);
  lines.push(`Transactions: ${counts.started}/${counts.planned} started, ${counts.terminal} terminal`);
  for (const [kind, byStatus] of Object.entries(counts.perKindAndStatus)) {
    lines.push(
      `  ${kind.padEnd(24)} ${String(counts.perKind[kind]).padStart(5)}  ${Object.entries(byStatus)
        .map(([status, n]) => `${status} ${n}`)
        .join(', ')}`,
    );
  }
  lines.push(
    `  per status: ${Object.entries(counts.perStatus)
      .map(([status, n]) => `${status} ${n}`)
      .join(', ')}`,
  );
  lines.push(`Time to terminal: p50 ${ms(timing.p50)}, p99 ${ms(timing.p99)}, max ${ms(timing.max)}`);
  for (const [kind, t] of Object.entries(timing.perKind))
    lines.push(`  ${kind.padEnd(24)} p50 ${ms(t.p50).padStart(9)}  p99 ${ms(t.p99).padStart(9)}`);
  lines.push(
    `Faults injected (${report.faultsInjected.length}): ${Object.entries(report.faultsInjectedPerType)
      .map(([type, n]) => `${type} ${n}`)
      .join(', ')}`,
  );
  const failedFaults = report.faultsInjected.filter((fault) => fault.error);
  if (failedFaults.length) lines.push(`  could not apply: ${failedFaults.map((fault) => `#${fault.number} ${fault.error}`).join('; ')}`);
  if (report.processExits.length) {
    lines.push(
      `Processes that exited on their own (started again): ${report.processExits.map((exit) => `${exit.service} pid ${exit.pid} while ${exit.phase}, code ${exit.code} signal ${exit.signal} at ${exit.at}`).join('; ')}`,
    );
  }
  const webhooks = notesOf<WebhookNotes>(report, 'webhooks-delivered');
  if (webhooks)
    lines.push(
      `Webhooks: ${webhooks.events} events, ${webhooks.delivered} delivered, ${webhooks.droppedByFault} dropped by the 'drop' fault, ${webhooks.neededRetries} needed retries, ${webhooks.attempts} attempts`,
    );
  if (webhooks?.failedAttemptsByReason) {
    const reasons = Object.entries(webhooks.failedAttemptsByReason);
    if (reasons.length) lines.push(`  failed attempts (retried by Zuz): ${reasons.map(([reason, n]) => `${reason} x${n}`).join(', ')}`);
  }
  const told = notesOf<MerchantToldNotes>(report, 'merchant-told');
  if (told)
    lines.push(
      `Merchant events: ${told.events} events (${Object.entries(told.eventsPerType ?? {})
        .map(([type, n]) => `${type} ${n}`)
        .join(', ')}) to ${told.endpoints} endpoints in ${told.requests} requests (${Object.entries(told.requestsPerAnswer ?? {})
        .map(([answer, n]) => `${answer} x${n}`)
        .join(
          ', ',
        )}); ${told.deliveredAfterFailedRequests} delivered after failed requests, ${told.duplicateDeliveries} delivered twice or more; ${told.settled ? `every one at every endpoint, the last ${Math.round((told.settledAfterMs ?? 0) / 1000)}s after the endpoints' faults cleared` : 'NOT ALL DELIVERED in the wait'}`,
    );
  const ledger = notesOf<Counts>(report, 'ledger-money-safe');
  if (ledger) lines.push(`Voids refused or pending by Zuz's mock rules (payment < 50, not violations): ${ledger.voidsRefusedByMockRules}`);
  const outcome = notesOf<Counts>(report, 'outcome-as-expected');
  if (outcome)
    lines.push(
      `Expired before the client's request (held up by faults) got through, so rightly cancelled: ${outcome.expiredBeforeTheClientAsked}`,
    );
  if (outcome?.failedByZuzOutage !== undefined)
    lines.push(
      `Failed the designed way while Zuz was down (provider_unavailable / authorization_timeout / capture_failed, nothing captured): ${outcome.failedByZuzOutage}`,
    );
  const repeated = notesOf<Counts>(report, 'charged-once');
  if (repeated)
    lines.push(
      `Forgotten by Temporal and requested again: ${repeated.repeatedAfterForgetting} (deletion still under way at the check: ${repeated.deletionStillPending})`,
    );
  const closing = report.closingReconciliation;
  if (closing)
    lines.push(
      'error' in closing
        ? `Closing reconciliation FAILED: ${closing.error}`
        : `Closing reconciliation: ${closing.checked} transactions checked, ${closing.discrepancies} discrepancies repaired or reported (GET /v1/reconciliation/runs, run ${closing.runId})` +
            (closing.found && Object.keys(closing.found).length
              ? `\n  found (kind:outcome): ${Object.entries(closing.found)
                  .map(([found, n]) => `${found} x${n}`)
                  .join(', ')}`
              : ''),
    );
  if (report.runError) lines.push(`RUN ERROR: ${report.runError}`);

  lines.push('', `${'invariant'.padEnd(28)} violations`, `${'-'.repeat(28)} ----------`);
  for (const invariant of report.invariants) lines.push(`${invariant.name.padEnd(28)} ${String(invariant.violations).padStart(10)}`);
  for (const invariant of report.invariants.filter((i) => i.violations > 0)) {
    lines.push('', `${invariant.name}: ${invariant.description}`);
    for (const example of invariant.examples.slice(0, 5))
      lines.push(`  ${example.transactionId ?? ''}${example.eventId ? ` event ${example.eventId}` : ''}: ${example.why}`);
  }
  lines.push(
    '',
    `${report.ok ? 'OK: every invariant holds' : 'FAILED: see the violations above'}. Report: ${reportFile}`,
    `Replay: ${report.replay}`,
  );
  if (report.stack.logsDir) lines.push(`Logs of the child processes: ${report.stack.logsDir}`);
  console.log(lines.join('\n'));
}

function ms(value: number | undefined): string {
  return value === undefined ? '-' : `${value} ms`;
}

function formatDuration(totalMs: number): string {
  const seconds = Math.round(totalMs / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}
