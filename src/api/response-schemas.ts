/**
 * Zod schemas of what the API answers. The routes build their answers from TypeScript types
 * (they never parse them), so these exist for the OpenAPI document; each is checked at compile
 * time against the type the route really returns, so the documentation cannot drift silently.
 */
import { z } from 'zod';
import {
  CAPTURE_MODES,
  FAILURE_CODES,
  TRANSACTION_STATUSES,
  type CaptureMode,
  type Failure,
  type FailureCode,
  type StepState,
  type TransactionStatus,
  type TransactionView,
} from '../transaction/model';
import type { StepWithAttempts } from '../transaction/step-attempts';
import { REFUND_STATUSES, type RefundView } from '../refund/model';
import type { ReconciliationRunReport } from '../reconciliation/store';
import { FIELDS_ONLY_IN_HISTORY } from '../transaction/record';
import type { listTransactions, TransactionSummary } from '../transaction/list';

/**
 * True only when A and B accept the same values AND name the same fields. Assignability alone
 * would miss a new optional field on either side; comparing the keys catches it.
 */
export type Mirrors<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [keyof A] extends [keyof B]
      ? [keyof B] extends [keyof A]
        ? true
        : false
      : false
    : false
  : false;

export const transactionStatusSchema = z.enum(TRANSACTION_STATUSES).meta({
  id: 'TransactionStatus',
  description: 'Running: processing, authorized (waiting for a manual capture), capturing. Terminal: the others.',
});

const captureModeSchema = z.enum(CAPTURE_MODES);

const failureCodeSchema = z.enum(FAILURE_CODES);

const failureSchema = z
  .object({
    code: failureCodeSchema,
    message: z.string().meta({
      description:
        "In words: a decline by Zuz is worded from the fields Zuz signs (result category, response code), never from Zuz's unsigned free text",
    }),
  })
  .meta({ id: 'Failure' });

export const stepSchema = z
  .object({
    name: z.string().meta({ description: 'The step (activity or wait), e.g. createAuthorization' }),
    state: z.enum(['running', 'completed', 'failed']),
    startedAt: z.iso.datetime(),
    endedAt: z.iso.datetime().optional(),
    branch: z.string().meta({ description: 'Which way the step went, e.g. approved, pending, webhook, polling' }).optional(),
    activity: z.string().meta({ description: "The activity the step runs, when its name is not the activity's own" }).optional(),
    polls: z.number().int().meta({ description: 'A step that waits for Zuz: how many times it read the payment' }).optional(),
    lastPoll: z
      .string()
      .meta({ description: 'What the last read said of the operation: pending, succeed, failed, not-found or read-failed' })
      .optional(),
    attempts: z
      .number()
      .int()
      .positive()
      .meta({
        description:
          "Attempts so far, from Temporal's event history (only GET /v1/transactions/{id}); a database step before Zuz (a local activity since flow v8) shows its attempts once it has ended",
      })
      .optional(),
  })
  .meta({ id: 'Step' });

const zuzIdsSchema = z
  .object({
    paymentId: z.string().optional(),
    authorizationId: z.string().optional(),
    captureId: z.string().optional(),
    voidId: z.string().optional(),
    refundId: z
      .string()
      .meta({ description: 'A refund reconciliation made of money captured after the transaction was decided not to succeed' })
      .optional(),
  })
  .meta({ description: "Zuz's ids of the payment and of each operation performed" });

export const refundSchema = z
  .object({
    refundId: z.string(),
    amount: z.number().int(),
    reason: z.string(),
    status: z.enum(REFUND_STATUSES).meta({
      description: 'pending: asked of Zuz, no final answer yet (its amount stays reserved); failed refunds give their amount back',
    }),
    zuzRefundId: z.string().optional(),
    failureMessage: z
      .string()
      .meta({ description: "Why it failed: a refusal by Zuz is worded from the fields Zuz signs, never from Zuz's unsigned free text" })
      .optional(),
    createdAt: z.iso.datetime(),
    finalizedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Refund' });

export const transactionViewSchema = z
  .object({
    transactionId: z.string(),
    merchantId: z
      .string()
      .meta({
        description:
          "The merchant whose key created the transaction (absent on transactions made before merchants existed: the default merchant's)",
      })
      .optional(),
    customerId: z.string(),
    status: transactionStatusSchema,
    amount: z.number().int().meta({ description: 'Requested amount, integer minor units' }),
    currency: z.string(),
    capture: captureModeSchema,
    authorizedAmount: z.number().int(),
    capturedAmount: z.number().int(),
    accountId: z.string().optional(),
    zuz: zuzIdsSchema,
    failure: failureSchema.optional(),
    release: z
      .enum(['released', 'release_pending', 'release_failed'])
      .meta({ description: 'How releasing the held money ended, when it had to be released (a void); release_failed raises an alert' })
      .optional(),
    steps: z.array(stepSchema).meta({ description: 'The step journal, in the order the steps started' }),
    refunds: z.array(refundSchema).meta({ description: 'The refunds, oldest first (only GET, when there are any)' }).optional(),
    refundedAmount: z.number().int().meta({ description: 'The sum of the succeeded refunds (only GET, when there are any)' }).optional(),
    unavailable: z
      .array(z.enum(FIELDS_ONLY_IN_HISTORY))
      .meta({
        description:
          "Present when the answer comes from the transaction's record because Temporal no longer retains its workflow: the fields listed are then empty (the step journal lives only in the workflow's history)",
      })
      .optional(),
  })
  .meta({ id: 'Transaction' });

export const transactionSummarySchema = z
  .object({
    transactionId: z.string(),
    customerId: z.string().optional(),
    status: z.string().optional(),
    amount: z.number().int().optional(),
    currency: z.string().optional(),
    startedAt: z.iso.datetime().optional(),
    closedAt: z.iso.datetime().optional(),
  })
  .meta({
    id: 'TransactionSummary',
    description:
      "A transaction as the list shows it: from the record, with a running one's live status from Temporal visibility (eventually consistent)",
  });

export const transactionPageSchema = z
  .object({
    transactions: z.array(transactionSummarySchema),
    nextCursor: z.string().meta({ description: 'Pass as `cursor` for the next page; absent on the last page' }).optional(),
  })
  .meta({ id: 'TransactionPage' });

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Machine-readable, e.g. invalid_request, unauthorized, not_found, invalid_state' }),
      message: z.string(),
      details: z
        .array(z.object({ field: z.string(), message: z.string() }))
        .meta({ description: 'On invalid_request: each wrong field' })
        .optional(),
      requestId: z.string().meta({ description: "The answer's Request-Id header: quote it when reporting a problem" }).optional(),
    }),
  })
  .meta({ id: 'Error' });

export const webhookAckSchema = z.object({ outcome: z.enum(['delivered', 'duplicate', 'stored', 'ignored']) }).meta({ id: 'WebhookAck' });

export const healthSchema = z.object({ status: z.literal('ok') });

export const readinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ temporal: z.boolean().meta({ description: 'Temporal answered within 2 s' }) }),
  })
  .meta({ id: 'Readiness' });

export const reconciliationRunsSchema = z
  .object({
    runs: z.array(
      z.object({
        runId: z.string(),
        startedAt: z.iso.datetime(),
        finishedAt: z.iso.datetime().optional().meta({ description: 'Absent while the run is under way' }),
        periodStart: z.iso
          .datetime()
          .meta({ description: 'Transactions accepted since then were checked (plus any with late events or no outcome)' }),
        checked: z.number().int().optional().meta({ description: 'Operators only: transactions checked across merchants' }),
        discrepancies: z.array(
          z.object({
            merchantId: z.string().optional().meta({ description: 'Operators only: whose transaction it is' }),
            transactionId: z
              .string()
              .meta({ description: "The merchant's own transaction id (for operators: the transaction's key, merchant/id)" }),
            kind: z.string().meta({
              description:
                'captured_after_failure, capture_pending, refund_pending, authorization_held, refund_unsettled, capture_amount_mismatch or outcome_lost',
            }),
            detail: z.string(),
            repair: z.string().meta({ description: 'refund, void or report' }),
            outcome: z.string().meta({
              description:
                'refunded, refund_pending, refund_refused, voided, release_pending, release_failed, refund_succeeded, refund_failed, released, reported, or why Zuz refused the repair',
            }),
            foundAt: z.iso.datetime(),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'ReconciliationRuns' });

// Compile-time drift checks: each line fails to compile when a schema and its type part ways.
type Page = Awaited<ReturnType<typeof listTransactions>>;
type ViewWithAttempts = Omit<TransactionView, 'steps'> & {
  steps: StepWithAttempts[];
  unavailable?: Array<(typeof FIELDS_ONLY_IN_HISTORY)[number]>;
  refunds?: RefundView[];
  refundedAmount?: number;
};
true satisfies Mirrors<z.infer<typeof transactionStatusSchema>, TransactionStatus>;
true satisfies Mirrors<z.infer<typeof captureModeSchema>, CaptureMode>;
true satisfies Mirrors<z.infer<typeof failureCodeSchema>, FailureCode>;
true satisfies Mirrors<z.infer<typeof failureSchema>, Failure>;
true satisfies Mirrors<z.infer<typeof stepSchema>['state'], StepState>;
true satisfies Mirrors<z.infer<typeof stepSchema>, StepWithAttempts>;
true satisfies Mirrors<z.infer<typeof zuzIdsSchema>, TransactionView['zuz']>;
true satisfies Mirrors<z.infer<typeof transactionViewSchema>, ViewWithAttempts>;
// The plain view (202, the repeat 200, capture, cancel) has no attempts: it must fit the schema too.
true satisfies Mirrors<
  Omit<z.infer<typeof transactionViewSchema>, 'steps' | 'unavailable' | 'refunds' | 'refundedAmount'>,
  Omit<TransactionView, 'steps'>
>;
true satisfies Mirrors<z.infer<typeof refundSchema>, RefundView>;
true satisfies [TransactionView] extends [z.infer<typeof transactionViewSchema>] ? true : false;
true satisfies Mirrors<z.infer<typeof transactionSummarySchema>, TransactionSummary>;
true satisfies Mirrors<z.infer<typeof transactionPageSchema>, Page>;
true satisfies Mirrors<z.infer<typeof reconciliationRunsSchema>['runs'][number], ReconciliationRunReport>;

export const merchantSchema = z
  .object({ merchantId: z.string(), name: z.string(), timeZone: z.string(), createdAt: z.iso.datetime() })
  .meta({ id: 'Merchant' });

const roleSchema = z.enum(['till', 'back-office', 'operator']).meta({ description: 'What the key may do' });

export const keyListingSchema = z
  .object({
    keyId: z.string(),
    prefix: z.string().meta({ description: 'Names the key in lists, logs and the audit trail: pos_live_ab12cd34' }),
    role: roleSchema,
    merchantId: z.string().optional(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().optional().meta({ description: 'Written at most once a minute per API process' }),
    revokedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'ApiKeyListing' });

export const issuedKeySchema = z
  .object({
    keyId: z.string(),
    prefix: z.string(),
    role: roleSchema,
    merchantId: z.string().optional(),
    key: z.string().meta({ description: 'The key itself: shown this once, stored only as its SHA-256' }),
    note: z.string(),
  })
  .meta({ id: 'IssuedApiKey' });

export const auditEventSchema = z
  .object({
    id: z.string(),
    at: z.iso.datetime(),
    keyPrefix: z.string(),
    role: z.string(),
    merchantId: z.string().optional(),
    action: z.string().meta({
      description:
        'transaction.create, transaction.capture, transaction.cancel, refund.create, merchant.create, key.issue, key.revoke, or the method and path of any other change',
    }),
    subject: z.string().optional(),
    requestId: z.string(),
    outcome: z.number().int().meta({ description: 'The HTTP status the request was answered with' }),
  })
  .meta({ id: 'AuditEvent' });

export const settlementReportSchema = z
  .object({
    merchantId: z.string(),
    date: z.string(),
    timeZone: z.string(),
    from: z.iso.datetime().meta({ description: "The day's start in the merchant's time zone, as an instant" }),
    to: z.iso.datetime(),
    totals: z.array(
      z.object({
        currency: z.string(),
        captured: z.number().int(),
        captures: z.number().int(),
        refunded: z.number().int(),
        refunds: z.number().int(),
        refundedByReconciliation: z.number().int(),
        reconciliationRefunds: z.number().int(),
        net: z.number().int().meta({ description: 'Captured minus both kinds of refund' }),
      }),
    ),
    lines: z.array(
      z.object({
        kind: z.enum(['capture', 'refund', 'reconciliation_refund']),
        transactionId: z.string(),
        refundId: z.string().optional(),
        currency: z.string(),
        amount: z.number().int(),
        at: z.iso.datetime(),
        eventId: z.string().meta({ description: 'The merchant event that told of it (GET /v1/events)' }),
      }),
    ),
  })
  .meta({ id: 'SettlementReport' });
