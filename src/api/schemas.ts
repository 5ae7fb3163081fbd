/** The API's request schemas (zod): the single source of what a valid request is. */
import { z } from 'zod';
import { CAPTURE_MODES, TRANSACTION_STATUSES, type TransactionRequest } from '../transaction/model';
import type { RefundRequest } from '../refund/model';
import { containsCardNumber } from '../transaction/card-number';
import { MERCHANT_ID_PATTERN } from '../merchants/model';

/** Minor units; far above any card transaction, and well inside exact integer range. */
const MAX_AMOUNT = 100_000_000_000;

const ISO_4217 = new Set(Intl.supportedValuesOf('currency'));

// eslint-disable-next-line no-control-regex -- the point is to match control characters
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;

/** A page size: 1..max, `default` when absent (the same words on every list). */
export const pageLimit = (max: number, fallback: number) =>
  z.coerce
    .number({ error: 'limit must be a number' })
    .int('limit must be an integer')
    .min(1, `limit must be 1-${max}`)
    .max(max, `limit must be 1-${max}`)
    .default(fallback);

const id = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, `${what} must not be empty`)
    .max(64, `${what} must be at most 64 characters`)
    .regex(/^[A-Za-z0-9._:-]+$/, `${what} may contain only letters, digits and . _ : -`);

export const createTransactionSchema = z.strictObject(
  {
    transactionId: id('transactionId'),
    customerId: id('customerId'),
    paymentMethodId: id('paymentMethodId'),
    amount: z
      .number({ error: 'amount must be a number' })
      .int('amount must be an integer number of minor units (e.g. cents)')
      .positive('amount must be greater than 0')
      .max(MAX_AMOUNT, 'amount is too large'),
    currency: z
      .string({ error: 'currency must be a string' })
      .refine((c) => ISO_4217.has(c), 'currency must be an ISO 4217 code such as EUR')
      // A refinement is invisible to OpenAPI; listing the same set documents it exactly.
      .meta({ description: 'ISO 4217 currency code, upper case', enum: [...ISO_4217] }),
    capture: z.enum(CAPTURE_MODES, { error: 'capture must be "auto" or "manual"' }).default('auto'),
    description: z
      .string()
      .max(200, 'description must be at most 200 characters')
      // Control characters (NUL above all, which PostgreSQL text cannot hold) have no place in a receipt line.
      .regex(NO_CONTROL_CHARACTERS, 'description must not contain control characters')
      .refine((text) => !containsCardNumber(text), 'description must not contain a card number')
      .optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : undefined) },
) satisfies z.ZodType<TransactionRequest, unknown>;

export const transactionIdParam = id('transaction id');

export const createRefundSchema = z.strictObject(
  {
    refundId: id('refundId'),
    amount: z
      .number({ error: 'amount must be a number' })
      .int('amount must be an integer number of minor units (e.g. cents)')
      .positive('amount must be greater than 0')
      .max(MAX_AMOUNT, 'amount is too large')
      .optional()
      .meta({ description: 'Minor units; default: everything still refundable' }),
    reason: z
      .string({ error: 'reason must be a string' })
      .min(1, 'reason must not be empty')
      .max(200, 'reason must be at most 200 characters')
      .regex(NO_CONTROL_CHARACTERS, 'reason must not contain control characters')
      .refine((text) => !containsCardNumber(text), 'reason must not contain a card number'),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : undefined) },
) satisfies z.ZodType<RefundRequest, unknown>;

export const captureSchema = z.strictObject({
  amount: z
    .number({ error: 'amount must be a number' })
    .int('amount must be an integer')
    .positive('amount must be greater than 0')
    .max(MAX_AMOUNT, 'amount is too large')
    .optional(),
});

export const listTransactionsQuery = z
  .strictObject({
    status: z
      .enum(TRANSACTION_STATUSES, {
        error: 'status must be a transaction status',
      })
      .optional(),
    customerId: id('customerId').optional(),
    createdFrom: z.iso.datetime({ error: 'createdFrom must be an ISO 8601 time such as 2026-12-01T00:00:00Z' }).optional(),
    createdTo: z.iso.datetime({ error: 'createdTo must be an ISO 8601 time such as 2026-12-02T00:00:00Z' }).optional(),
    minAmount: z.coerce
      .number({ error: 'minAmount must be a number' })
      .int('minAmount must be an integer')
      .min(1, 'minAmount must be at least 1')
      .max(MAX_AMOUNT, 'minAmount is too large')
      .optional(),
    maxAmount: z.coerce
      .number({ error: 'maxAmount must be a number' })
      .int('maxAmount must be an integer')
      .min(1, 'maxAmount must be at least 1')
      .max(MAX_AMOUNT, 'maxAmount is too large')
      .optional(),
    refunded: z
      .enum(['true', 'false'], { error: 'refunded must be true or false' })
      .transform((v) => v === 'true')
      .optional(),
    limit: pageLimit(100, 20),
    cursor: z
      .string()
      .max(4096, 'cursor is too long')
      .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'cursor is not valid')
      .optional(),
  })
  .refine((q) => q.minAmount === undefined || q.maxAmount === undefined || q.minAmount <= q.maxAmount, {
    path: ['maxAmount'],
    message: 'maxAmount must not be below minAmount',
  })
  .refine((q) => q.createdFrom === undefined || q.createdTo === undefined || q.createdFrom <= q.createdTo, {
    path: ['createdTo'],
    message: 'createdTo must not be before createdFrom',
  });

/** `GET /v1/reconciliation/runs?limit=` */
export const reconciliationRunsQuery = z
  .object({
    limit: pageLimit(50, 10),
  })
  .strict();

/** `Idempotency-Key` on capture and cancel: the client's name for one request. */
export const idempotencyKeyHeader = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits and . _ : -');

/** `POST /v1/merchants` (operators): a merchant the service will take keys and transactions for. */
export const createMerchantSchema = z.strictObject({
  merchantId: z
    .string({ error: 'merchantId is required' })
    .regex(MERCHANT_ID_PATTERN, `merchantId must match ${MERCHANT_ID_PATTERN.source} (lower case, at most 32 characters)`),
  name: z.string({ error: 'name is required' }).trim().min(1, 'name must not be empty').max(200, 'name must be at most 200 characters'),
  timeZone: z
    .string()
    .refine(isTimeZone, 'timeZone must be an IANA time zone, e.g. Europe/Amsterdam')
    .default('UTC')
    .meta({ description: "The merchant's day for its settlement report; UTC by default" }),
});

/** `POST /v1/merchants/:merchantId/keys` (operators): a key for one of the merchant's roles. */
export const issueKeySchema = z.strictObject({
  role: z.enum(['till', 'back-office'], { error: 'role must be till or back-office' }),
});

export const merchantIdParam = z.string().regex(MERCHANT_ID_PATTERN, `the merchant id must match ${MERCHANT_ID_PATTERN.source}`);
export const keyIdParam = z.string().regex(/^key_[0-9a-f]{8}$/, 'the key id looks like key_0a1b2c3d');

/** `GET /v1/audit-events?merchant=&from=&to=&cursor=&limit=` */
export const auditEventsQuery = z
  .object({
    merchant: z.string().regex(MERCHANT_ID_PATTERN, `merchant must match ${MERCHANT_ID_PATTERN.source}`).optional(),
    from: z.iso.datetime({ error: 'from must be an ISO 8601 date-time' }).optional(),
    to: z.iso.datetime({ error: 'to must be an ISO 8601 date-time' }).optional(),
    cursor: z
      .string()
      .regex(/^[0-9]{1,19}$/, 'cursor must be the nextCursor of a previous page')
      .optional(),
    limit: pageLimit(100, 50),
  })
  .strict();

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** `GET /v1/reports/settlement?date=YYYY-MM-DD&merchant=` */
export const settlementReportQuery = z
  .object({
    date: z
      .string({ error: 'date is required (YYYY-MM-DD)' })
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'date must be YYYY-MM-DD')
      .refine(
        (value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
        'date is not a calendar day',
      ),
    merchant: z
      .string()
      .regex(MERCHANT_ID_PATTERN, `merchant must match ${MERCHANT_ID_PATTERN.source}`)
      .optional()
      .meta({ description: "Operators: whose report (required for them); a merchant's key reads its own" }),
  })
  .strict();

/** `GET /v1/operator/findings?limit=` */
export const openFindingsQuery = z
  .object({
    limit: pageLimit(200, 50),
  })
  .strict();

const findingTarget = {
  merchantId: z
    .string({ error: 'merchantId is required' })
    .regex(MERCHANT_ID_PATTERN, `merchantId must match ${MERCHANT_ID_PATTERN.source}`),
  transactionId: id('transactionId'),
};

/** `POST /v1/operator/findings/resolve`: an operator settles a finding by hand, saying why. */
export const resolveFindingSchema = z.strictObject({
  ...findingTarget,
  kind: z.enum(
    [
      'captured_after_failure',
      'capture_pending',
      'refund_pending',
      'authorization_held',
      'capture_amount_mismatch',
      'outcome_lost',
      'refund_unsettled',
    ],
    { error: 'kind must be one of the reconciliation discrepancy kinds' },
  ),
  subject: z
    .string()
    .max(64, 'subject must be at most 64 characters')
    .optional()
    .meta({ description: "A refund's id, for refund_unsettled" }),
  reason: z
    .string({ error: 'reason is required' })
    .trim()
    .min(3, 'reason must say why (at least 3 characters)')
    .max(500, 'reason must be at most 500 characters')
    .refine((text) => !containsCardNumber(text), 'reason must not contain a card number'),
});

/** `POST /v1/operator/findings/redrive`: run the reconciliation for one transaction now. */
export const redriveFindingSchema = z.strictObject(findingTarget);
