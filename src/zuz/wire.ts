/**
 * The Zuz (PaymentsOS-style) wire format, as zod schemas: the one source of the shapes that the
 * Zuz client parses, the webhook endpoint verifies and the simulator produces.
 * Objects are non-strict on purpose: a real provider adds fields, and a client must not break.
 */
import { z } from 'zod';

export const ZUZ_API_VERSION = '1.3.0';

export const zuzResultStatus = z.enum(['Pending', 'Succeed', 'Failed']);
export type ZuzResultStatus = z.infer<typeof zuzResultStatus>;

export const zuzPaymentStatus = z.enum(['Initialized', 'Pending', 'Authorized', 'Captured', 'Voided', 'Refunded']);
export type ZuzPaymentStatus = z.infer<typeof zuzPaymentStatus>;

/** An authorization, capture, void or refund. */
export const zuzTransaction = z.object({
  id: z.string().min(1),
  created: z.string(),
  amount: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  currency: z.string().length(3),
  reconciliation_id: z.string().optional(),
  result: z.object({
    status: zuzResultStatus,
    category: z.string().optional(),
    sub_category: z.string().optional(),
    description: z.string().optional(),
  }),
  provider_data: z
    .object({
      provider_name: z.string().optional(),
      response_code: z.string().optional(),
      description: z.string().optional(),
      authorization_code: z.string().optional(),
      transaction_id: z.string().optional(),
      external_id: z.string().optional(),
    })
    .optional(),
});
export type ZuzTransaction = z.infer<typeof zuzTransaction>;

export const zuzPayment = z.object({
  id: z.string().min(1),
  status: zuzPaymentStatus,
  amount: z.number().int().nonnegative(),
  currency: z.string().length(3),
  created: z.string(),
  customer_id: z.string().optional(),
  order: z.object({ id: z.string() }).optional(),
  possible_next_actions: z.array(z.object({ action: z.string(), href: z.string().optional() })).optional(),
  related_resources: z
    .object({
      authorizations: z.array(zuzTransaction).optional(),
      captures: z.array(zuzTransaction).optional(),
      voids: z.array(zuzTransaction).optional(),
      refunds: z.array(zuzTransaction).optional(),
    })
    .optional(),
});
export type ZuzPayment = z.infer<typeof zuzPayment>;

export const zuzError = z.object({
  category: z.string(),
  description: z.string(),
  more_info: z.string().optional(),
});
export type ZuzError = z.infer<typeof zuzError>;

/** The operation a webhook reports on, read from the `event-type` header. */
export const zuzEventType = z
  .string()
  .regex(
    /^payment\.(payment|authorization|capture|void|refund|charge)\.(create|update)$/,
    'must look like payment.<resource>.<create|update>',
  );

export const zuzWebhookEvent = z.object({
  id: z.string().min(1),
  created: z.string().min(1),
  account_id: z.string(),
  app_id: z.string(),
  payment_id: z.string().min(1),
  data: zuzTransaction,
});
export type ZuzWebhookEvent = z.infer<typeof zuzWebhookEvent>;

/** Request bodies we send (and the simulator validates). */
export const createPaymentBody = z.object({
  amount: z.number().int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  customer_id: z.string().optional(),
  order: z.object({ id: z.string().min(1) }).optional(),
});
export const createAuthorizationBody = z.object({
  payment_method: z.object({
    type: z.literal('tokenized'),
    token: z.string().min(1),
    credit_card_cvv: z.string().optional(),
  }),
  reconciliation_id: z.string().min(1),
  authorization_type: z.enum(['pre_authorization', 'final_authorization']).optional(),
});
export const createCaptureBody = z.object({
  amount: z.number().int().positive().optional(),
  reconciliation_id: z.string().min(1),
});
export const createRefundBody = z.object({
  amount: z.number().int().positive().optional(),
  capture_id: z.string().optional(),
  reason: z.string().min(1),
  reconciliation_id: z.string().min(1),
});
