/**
 * The chaos suite, small enough for CI: 40 transactions of every kind through the real stack (the
 * Temporal dev server, two worker processes, the API process, the simulators, PostgreSQL) while a
 * seeded schedule kills workers, restarts Temporal and the API, and makes Zuz fail and misdeliver
 * webhooks. Every invariant must hold. (`npm test` builds dist/ and build/ first; `npm run chaos` is the big run.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TransactionView } from '../src/transaction/model';
import type { LedgerEntry, WebhookDelivery } from '../sandbox/simulators/zuz';
import type { Evidence } from '../tools/chaos/evidence';
import { checkInvariants } from '../tools/chaos/invariants';
import type { TransactionPlan } from '../tools/chaos/kinds';
import type { ChaosReport } from '../tools/chaos/report';
import { AUTHORIZATION_EXPIRY_MS } from '../tools/chaos/service-env';
import { runTool, stopRunningTools } from './helpers/processes';
import type { MerchantToldEvidence, ToldEvent } from '../tools/invariants/merchant-told';
import { describeReceipt, startEventReceiver } from '../sandbox/receiver/receiver';
import { signMerchantEvent } from '../src/merchant-events/signature';

const CHAOS = path.join(__dirname, '..', 'build', 'tools', 'chaos', 'main.js');
const dir = mkdtempSync(path.join(tmpdir(), 'pos-chaos-test-'));

afterAll(() => {
  stopRunningTools();
  rmSync(dir, { recursive: true, force: true });
});

test(
  '40 transactions under worker kills, a Temporal restart, an API restart and Zuz faults keep every invariant',
  async () => {
    const reportFile = path.join(dir, 'chaos-report.json');
    const { code, output } = await runTool(process.execPath, [
      CHAOS,
      '--transactions',
      '40',
      '--seed',
      '7',
      '--workers',
      '2',
      '--report',
      reportFile,
    ]);
    // The output (seed, schedule, summary table) is the diagnosis when this fails.
    expect({ code, output: code === 0 ? '' : output.slice(-6000) }).toEqual({ code: 0, output: '' });

    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ChaosReport;
    expect(report.ok).toBe(true);
    expect(report.counts).toMatchObject({ planned: 40, started: 40, terminal: 40 });
    expect(Object.fromEntries(report.invariants.map((invariant) => [invariant.name, invariant.violations]))).toEqual({
      'terminal-within-deadline': 0,
      'ledger-money-safe': 0,
      'records-agree': 0,
      'webhooks-delivered': 0,
      'outcome-as-expected': 0,
      'statuses-final': 0,
      'charged-once': 0,
      'refunds-within-capture': 0,
      'refund-once-at-zuz': 0,
      'nothing-left-after-reconciliation': 0,
      'reconciliation-converges': 0,
      'merchant-told': 0,
      'merchants-isolated': 0,
      'histories-replay': 0,
    });
    // Every workflow the run left was replayed from its first event (transactions, refunds, merchant events).
    expect(report.invariants.find((invariant) => invariant.name === 'histories-replay')?.notes?.replayed).toBeGreaterThanOrEqual(40);
    expect(report.invariants.find((invariant) => invariant.name === 'charged-once')?.notes?.repeatedAfterForgetting).toBeGreaterThan(0);
    // Refunds were asked and reached Zuz, and another merchant's key probed every transaction.
    expect(report.invariants.find((invariant) => invariant.name === 'refund-once-at-zuz')?.notes?.merchantRefundsAtZuz).toBeGreaterThan(0);
    expect(report.invariants.find((invariant) => invariant.name === 'merchants-isolated')?.notes?.probedTransactions).toBe(40);
    expect(report.faultsInjectedPerType['kill-worker']).toBeGreaterThanOrEqual(1);
    expect(report.faultsInjectedPerType['restart-temporal']).toBe(1);
    expect(report.faultsInjectedPerType['restart-api']).toBe(1);
    // Every outcome reached the merchant's endpoint, some of them only after its faults answered 500, hung or dropped them.
    const told = report.invariants.find((invariant) => invariant.name === 'merchant-told')?.notes as
      { published: number; events: number; settled: boolean; requestsPerAnswer: Record<string, number> } | undefined;
    expect(told?.published).toBeGreaterThanOrEqual(40);
    expect(told?.events).toBeGreaterThanOrEqual(told?.published ?? 40);
    expect(told?.settled).toBe(true);
    expect(Object.keys(told?.requestsPerAnswer ?? {}).filter((answer) => answer !== 'HTTP 200').length).toBeGreaterThan(0);
    expect(report.faultsInjectedPerType['merchant-endpoint']).toBeGreaterThanOrEqual(6);
    expect(report.faultsInjected.filter((fault) => fault.error)).toEqual([]);
  },
  8 * 60_000,
);

describe('the invariant checks catch what they are for (a run of zero violations means something)', () => {
  const plan: TransactionPlan = {
    index: 0,
    transactionId: 'tx-1',
    kind: 'approved',
    paymentMethodId: 'pm_approved',
    amount: 100,
    capture: 'auto',
    action: { type: 'none' },
    expected: { status: 'succeeded', capturedAmount: 100, money: 'captured' },
    designedWaitMs: 0,
  };
  const view: TransactionView = {
    transactionId: 'tx-1',
    customerId: 'cus_demo',
    status: 'succeeded',
    amount: 100,
    currency: 'EUR',
    capture: 'auto',
    authorizedAmount: 100,
    capturedAmount: 100,
    zuz: { paymentId: 'pay-1', authorizationId: 'auth-1' },
    steps: [],
  };
  const entry = (kind: LedgerEntry['kind'], operationId: string, status: LedgerEntry['status']): LedgerEntry => ({
    paymentId: 'pay-1',
    reconciliationId: 'tx-1',
    kind,
    operationId,
    amount: 100,
    currency: 'EUR',
    status,
    at: '',
  });
  const healthy: Evidence = {
    run: { plan, startedAt: 0, deadlineAt: 1000, terminalAt: 500, lastView: view },
    apiView: view,
    workflowResult: view,
    workflowStatus: 'COMPLETED',
    row: { status: 'succeeded', capturedAmount: 100, authorizedAmount: 100, zuzPaymentId: 'pay-1', failureCode: null },
    paymentIds: ['pay-1'],
    ledger: [entry('authorization', 'auth-1', 'Succeed'), entry('capture', 'cap-1', 'Succeed')],
  };
  const violations = (evidence: Evidence, deliveries: WebhookDelivery[] = []) =>
    Object.fromEntries(checkInvariants([evidence], deliveries, true).map((invariant) => [invariant.name, invariant.violations.length]));

  test('a healthy transaction violates nothing', () => {
    expect(Object.values(violations(healthy))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  test('refunds: beyond the capture, performed twice, unknown to the record, disagreeing with it, money left on a failed transaction', () => {
    const refund = (operationId: string, status: LedgerEntry['status'], amount = 60, refundId = 'r1'): LedgerEntry => ({
      ...entry('refund', operationId, status),
      reconciliationId: `tx-1/refunds/${refundId}`,
      amount,
    });
    const refunded = (ledger: LedgerEntry[], refunds: Evidence['refunds']): Evidence => ({
      ...healthy,
      ledger: [...healthy.ledger, ...ledger],
      refunds,
    });
    const once = refunded([refund('ref-1', 'Succeed')], [{ refundId: 'r1', amount: 60, status: 'succeeded' }]);
    expect(violations(once)).toMatchObject({
      'refunds-within-capture': 0,
      'refund-once-at-zuz': 0,
      'nothing-left-after-reconciliation': 0,
    });
    const beyond = refunded(
      [refund('ref-1', 'Succeed'), refund('ref-2', 'Pending', 60, 'r2')],
      [
        { refundId: 'r1', amount: 60, status: 'succeeded' },
        { refundId: 'r2', amount: 60, status: 'pending' },
      ],
    );
    expect(violations(beyond)['refunds-within-capture']).toBe(1);
    const twice = refunded([refund('ref-1', 'Succeed'), refund('ref-2', 'Succeed')], [{ refundId: 'r1', amount: 60, status: 'succeeded' }]);
    expect(violations(twice)['refund-once-at-zuz']).toBe(1);
    expect(violations(refunded([refund('ref-1', 'Succeed')], []))['refund-once-at-zuz']).toBe(1); // the record knows no such refund
    // The record says failed (its amount refundable again) while Zuz refunded: the net charges part too.
    expect(
      violations(refunded([refund('ref-1', 'Succeed')], [{ refundId: 'r1', amount: 60, status: 'failed' }]))[
        'nothing-left-after-reconciliation'
      ],
    ).toBe(2);
    // Asked again after Temporal forgot it: a new workflow for a refund that reached Zuz could refund twice.
    const repeatedAfterForgetting = (workflowAfter: 'none' | 'deletion-pending' | 'started'): Evidence => ({
      ...once,
      run: { ...once.run, refundRepeats: [{ refundId: 'r1', httpStatus: 200, statusBefore: 'succeeded', workflowAfter }] },
    });
    expect(violations(repeatedAfterForgetting('started'))['refund-once-at-zuz']).toBe(1);
    expect(violations(repeatedAfterForgetting('deletion-pending'))['refund-once-at-zuz']).toBe(0);
    expect(violations(repeatedAfterForgetting('none'))['refund-once-at-zuz']).toBe(0);
    // A transaction recorded failed whose late capture no one refunded.
    const failedView = { ...view, status: 'failed' as const, capturedAmount: 0 };
    expect(violations({ ...healthy, workflowResult: failedView, apiView: failedView })['nothing-left-after-reconciliation']).toBe(1);
    const repaired = {
      ...healthy,
      workflowResult: failedView,
      apiView: failedView,
      ledger: [...healthy.ledger, entry('refund', 'ref-r', 'Succeed')],
    };
    expect(violations(repaired)['nothing-left-after-reconciliation']).toBe(0);
  });

  test('a double capture, an open authorization, a disagreeing row, a late transaction, a lost webhook', () => {
    expect(
      violations({ ...healthy, ledger: [...healthy.ledger, entry('capture', 'cap-2', 'Succeed')] })['ledger-money-safe'],
    ).toBeGreaterThan(0);
    expect(violations({ ...healthy, ledger: [entry('authorization', 'auth-1', 'Succeed')] })['ledger-money-safe']).toBe(1);
    expect(violations({ ...healthy, row: { ...healthy.row!, status: 'failed' } })['records-agree']).toBe(1);
    expect(violations({ ...healthy, run: { ...healthy.run, terminalAt: undefined } })['terminal-within-deadline']).toBe(1);
    const refused: WebhookDelivery = {
      eventId: 'evt-1',
      eventType: 'payment.capture.create',
      paymentId: 'pay-1',
      attempt: 1,
      statusCode: 503,
      outcome: 'failed',
      at: '',
    };
    expect(violations(healthy, [refused])['webhooks-delivered']).toBe(1);
    const answered = (outcome: string, eventType = 'payment.capture.create'): WebhookDelivery => ({
      ...refused,
      eventType,
      statusCode: 200,
      outcome: 'delivered',
      answer: JSON.stringify({ outcome }),
    });
    expect(violations(healthy, [answered('delivered')])['webhooks-delivered']).toBe(0);
    expect(violations(healthy, [answered('stored')])['webhooks-delivered']).toBe(0);
    expect(violations(healthy, [answered('ignored')])['webhooks-delivered']).toBe(1); // a 2xx that went nowhere
    expect(violations(healthy, [answered('ignored', 'payment.void.create')])['webhooks-delivered']).toBe(0);
    expect(violations(healthy, [{ ...refused, statusCode: undefined, outcome: 'dropped' }])['webhooks-delivered']).toBe(0);
    const flipped = { ...healthy, run: { ...healthy.run, observedStatuses: ['processing', 'failed', 'succeeded'] } };
    expect(violations(flipped)['statuses-final']).toBe(2); // changed after terminal, and ended otherwise
    const forgotten = { view, runId: 'run-1', gone: true, repeatStatus: 200, repeatView: view };
    const recharged: Evidence = {
      ...healthy,
      run: { ...healthy.run, forgotten },
      workflowStatus: 'COMPLETED',
      workflowRunId: 'run-2',
      ledger: [...healthy.ledger, { ...entry('capture', 'cap-9', 'Succeed'), paymentId: 'pay-2' }],
    };
    expect(violations(recharged)['charged-once']).toBe(2); // a new workflow ran, and a second payment exists
    expect(violations({ ...healthy, run: { ...healthy.run, forgotten }, workflowStatus: 'FORGOTTEN' })['charged-once']).toBe(0);
    // Deletion still under way: the same run, not a second one.
    expect(
      violations({ ...healthy, run: { ...healthy.run, forgotten }, workflowStatus: 'COMPLETED', workflowRunId: 'run-1' })['charged-once'],
    ).toBe(0);
    const declined = { ...view, status: 'declined' as const, capturedAmount: 0 };
    expect(violations({ ...healthy, workflowResult: declined })['outcome-as-expected']).toBe(1);
  });

  test('merchant-told: an outcome never told, an event that never reached the endpoint, a forged signature, another merchant told', () => {
    const event = (id: string, type: string, merchant = 'default', refundId?: string): ToldEvent => ({
      merchant,
      id,
      type,
      transactionId: 'tx-1',
      created: '2026-12-07T10:00:01.000Z',
      ...(refundId ? { refundId } : {}),
    });
    const receipt = (
      eventId: string,
      answer: number | 'dropped' | 'sender-gone' = 200,
      signature: 'verified' | 'refused' = 'verified',
    ) => ({
      eventId,
      signature,
      answer,
    });
    const told = (events: ToldEvent[], receipts: ReturnType<typeof receipt>[]): MerchantToldEvidence => ({
      events,
      endpoints: [{ merchant: 'default', endpointId: 'we_1', events: null, createdAt: '2026-12-07T10:00:00.000Z', receipts }],
      settled: true,
    });
    const toldViolations = (evidence: Evidence, merchantTold: MerchantToldEvidence) =>
      checkInvariants([evidence], [], true, [], [], merchantTold).find((invariant) => invariant.name === 'merchant-told')!.violations
        .length;
    const succeeded = event('evt_s', 'transaction.succeeded');
    // Told, after a 500, a dropped connection and an attempt the receiver held past the sender's timeout: at least once is enough.
    expect(
      toldViolations(
        healthy,
        told([succeeded], [receipt('evt_s', 500), receipt('evt_s', 'dropped'), receipt('evt_s', 'sender-gone'), receipt('evt_s')]),
      ),
    ).toBe(0);
    expect(toldViolations(healthy, told([succeeded], [receipt('evt_s'), receipt('evt_s')]))).toBe(0); // a duplicate is harmless
    expect(toldViolations(healthy, told([succeeded], []))).toBe(1); // never reached the endpoint
    expect(toldViolations(healthy, told([succeeded], [receipt('evt_s', 500), receipt('evt_s', 'dropped')]))).toBe(1); // never answered 2xx
    expect(toldViolations(healthy, told([], []))).toBe(1); // the status published, no event written
    expect(toldViolations(healthy, told([event('evt_d', 'transaction.declined')], [receipt('evt_d')]))).toBe(1); // another status told
    expect(toldViolations(healthy, told([succeeded], [receipt('evt_s', 200, 'refused')]))).toBe(1); // the documented snippet refused it
    // Another merchant's event at this merchant's endpoint, and a request that is no event at all.
    expect(
      toldViolations(healthy, told([succeeded, event('evt_o', 'transaction.succeeded', 'other')], [receipt('evt_s'), receipt('evt_o')])),
    ).toBe(1);
    expect(toldViolations(healthy, told([succeeded], [receipt('evt_s'), receipt('evt_x')]))).toBe(1);
    // A refund outcome in the record must be told too, with its refund id.
    const refunded: Evidence = { ...healthy, refunds: [{ refundId: 'r1', amount: 60, status: 'succeeded' }] };
    expect(toldViolations(refunded, told([succeeded], [receipt('evt_s')]))).toBe(1);
    const refundEvent = event('evt_r', 'refund.succeeded', 'default', 'r1');
    expect(toldViolations(refunded, told([succeeded, refundEvent], [receipt('evt_s'), receipt('evt_r')]))).toBe(0);
    expect(toldViolations(refunded, told([succeeded, { ...refundEvent, refundId: 'r2' }], [receipt('evt_s'), receipt('evt_r')]))).toBe(1);
    // A pending refund has no outcome yet: nothing to tell.
    expect(
      toldViolations({ ...healthy, refunds: [{ refundId: 'r1', amount: 60, status: 'pending' }] }, told([succeeded], [receipt('evt_s')])),
    ).toBe(0);
  });

  test('an expiry wins over a capture only when the capture could not get through before it', () => {
    const manual: TransactionPlan = {
      ...plan,
      kind: 'manual_capture',
      capture: 'manual',
      action: { type: 'capture', amount: 100, afterMs: 0 },
    };
    const expired: TransactionView = {
      ...view,
      capture: 'manual',
      status: 'cancelled',
      capturedAmount: 0,
      failure: { code: 'authorization_expired', message: 'expired' },
      steps: [{ name: 'awaitCaptureRequest', state: 'completed', startedAt: new Date(0).toISOString() }],
    };
    const capturedLate = (answeredAt: number): Evidence => ({
      ...healthy,
      run: { ...healthy.run, plan: manual, actionSentAt: 1_000, actionStatus: 409, actionAnsweredAt: answeredAt, lastView: expired },
      apiView: expired,
      workflowResult: expired,
    });
    // Sent early, but held up (e.g. Temporal restarting) until the expiry had fired: the expiry is right.
    expect(violations(capturedLate(AUTHORIZATION_EXPIRY_MS + 500))['outcome-as-expected']).toBe(0);
    // Sent early and refused at once: the flow lost a capture it should have taken.
    expect(violations(capturedLate(1_100))['outcome-as-expected']).toBe(1);
  });
});

describe("the receiver (npm run receiver, and the chaos run's endpoints)", () => {
  test('verifies with the very snippet docs/merchant-events.md shows', () => {
    const docs = readFileSync(path.join(__dirname, '..', 'docs', 'merchant-events.md'), 'utf8');
    const section = docs.slice(docs.indexOf('## Verifying a signature'));
    const snippet = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(snippet).toContain('export function verifyMerchantEventSignature(');
    expect(readFileSync(path.join(__dirname, '..', 'sandbox', 'receiver', 'verify.ts'), 'utf8')).toContain(snippet);
  });

  test('the snippet accepts what the service signs and refuses a forged body, another secret and a replay; --fail-first answers 500 first', async () => {
    const secret = 'whsec_try_it';
    const lines: string[] = [];
    const receiver = await startEventReceiver({ secret, failFirst: 3, onReceipt: (r) => lines.push(describeReceipt(r)) });
    try {
      const body = JSON.stringify({ id: 'evt_1', type: 'refund.succeeded', transactionId: 'tx-2', data: { refundId: 'rf-1' } });
      const post = (signature: string, sent = body) =>
        fetch(receiver.url, {
          method: 'POST',
          body: sent,
          headers: { 'content-type': 'application/json', 'pos-signature': signature },
        }).then((response) => response.status);
      const now = Date.now() / 1000;
      const answers: number[] = [];
      for (let i = 0; i < 4; i++) answers.push(await post(signMerchantEvent(body, [secret], now)));
      expect(answers).toEqual([500, 500, 500, 200]);
      expect(await post(signMerchantEvent(body, [secret], now))).toBe(200); // again: answered, marked a duplicate
      expect(await post(signMerchantEvent(body, [secret], now), body.replace('rf-1', 'rf-9'))).toBe(400);
      expect(await post(signMerchantEvent(body, ['whsec_other'], now))).toBe(400);
      expect(await post(signMerchantEvent(body, [secret], now - 301))).toBe(400); // a replay
      expect(await post(signMerchantEvent(body, ['whsec_new', secret], now))).toBe(200); // during a rotation
      expect(receiver.receipts.map((r) => [r.signature, r.answer, r.duplicate])).toEqual([
        ['verified', 500, false],
        ['verified', 500, false],
        ['verified', 500, false],
        ['verified', 200, false],
        ['verified', 200, true],
        ['refused', 400, false],
        ['refused', 400, false],
        ['refused', 400, false],
        ['verified', 200, true],
      ]);
      expect(lines[3]).toMatch(/#4 refund\.succeeded evt_1 tx tx-2 refund rf-1, signature verified -> 200$/);
    } finally {
      await receiver.close();
    }
  });

  test("its faults: a hang past the sender's patience, a dropped connection", async () => {
    const receiver = await startEventReceiver({ secret: 's' });
    try {
      receiver.setFault({ mode: 'drop' });
      await expect(fetch(receiver.url, { method: 'POST', body: '{}' })).rejects.toThrow();
      receiver.setFault({ mode: 'hang', hangMs: 1_000 });
      await expect(fetch(receiver.url, { method: 'POST', body: '{}', signal: AbortSignal.timeout(200) })).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect(receiver.receipts.map((r) => r.answer)).toEqual(['dropped', 'sender-gone']);
    } finally {
      await receiver.close();
    }
  });
});
