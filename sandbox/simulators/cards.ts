/**
 * The mock cards both simulators agree on. The payment-methods service (PMS) hands out
 * `providerToken`; the Zuz simulator turns that token back into `cardNumber` and picks the
 * authorization outcome by that number (the provider's mock behaviours: zuz/outcomes.ts).
 *
 * Tokens are fixed strings on purpose: seeds, fixtures and test expectations can name them.
 *
 * | id                  | customer  | status  | card             | at Zuz (authorization)       |
 * |---------------------|-----------|---------|------------------|------------------------------|
 * | pm_approved         | cus_demo  | active  | 4111111111111111 | Succeed at once              |
 * | pm_declined         | cus_demo  | active  | 4242424242424242 | Failed at once (DECLINED)    |
 * | pm_pending_approved | cus_demo  | active  | 4000000000000077 | Pending, then Succeed        |
 * | pm_pending_declined | cus_demo  | active  | 4000000400000008 | Pending, then Failed         |
 * | pm_expired          | cus_demo  | expired | 4012888888881881 | (PMS failure: never reaches) |
 * | pm_blocked          | cus_demo  | blocked | 5200828282828210 | (PMS failure: never reaches) |
 * | pm_other_customer   | cus_other | active  | 4000056655665556 | Succeed at once              |
 */

export type PaymentMethodStatus = 'active' | 'expired' | 'blocked';

export interface MockCard {
  paymentMethodId: string;
  customerId: string;
  brand: string;
  last4: string;
  expiryMonth: number;
  expiryYear: number;
  status: PaymentMethodStatus;
  /** The PAN the token stands for. Only the simulators ever see it. */
  cardNumber: string;
  /** What the PMS returns and what is sent to Zuz: `tok_` + 24 hex characters. */
  providerToken: string;
}

export const DEMO_CUSTOMER_ID = 'cus_demo';
export const OTHER_CUSTOMER_ID = 'cus_other';

export const MOCK_CARDS: readonly MockCard[] = [
  {
    // "Any other valid card": the happy path.
    paymentMethodId: 'pm_approved',
    customerId: DEMO_CUSTOMER_ID,
    brand: 'visa',
    last4: '1111',
    expiryMonth: 12,
    expiryYear: 2030,
    status: 'active',
    cardNumber: '4111111111111111',
    providerToken: 'tok_89eb9c76468308353a819030',
  },
  {
    // Zuz declines the authorization immediately.
    paymentMethodId: 'pm_declined',
    customerId: DEMO_CUSTOMER_ID,
    brand: 'visa',
    last4: '4242',
    expiryMonth: 12,
    expiryYear: 2030,
    status: 'active',
    cardNumber: '4242424242424242',
    providerToken: 'tok_118872e8cccb939a515eeb5f',
  },
  {
    // Zuz answers Pending; a later update (webhook or polling) says Succeed.
    paymentMethodId: 'pm_pending_approved',
    customerId: DEMO_CUSTOMER_ID,
    brand: 'visa',
    last4: '0077',
    expiryMonth: 12,
    expiryYear: 2030,
    status: 'active',
    cardNumber: '4000000000000077',
    providerToken: 'tok_761a502842ecbbf2029db94b',
  },
  {
    // Zuz answers Pending; a later update says Failed.
    paymentMethodId: 'pm_pending_declined',
    customerId: DEMO_CUSTOMER_ID,
    brand: 'visa',
    last4: '0008',
    expiryMonth: 12,
    expiryYear: 2030,
    status: 'active',
    cardNumber: '4000000400000008',
    providerToken: 'tok_f27a8fa72e928653b4fec20f',
  },
  {
    // The PMS reports it expired (a past expiry date); the caller must not use it.
    paymentMethodId: 'pm_expired',
    customerId: DEMO_CUSTOMER_ID,
    brand: 'visa',
    last4: '1881',
    expiryMonth: 1,
    expiryYear: 2021,
    status: 'expired',
    cardNumber: '4012888888881881',
    providerToken: 'tok_d75e5cfdd2b561242aec36f3',
  },
  {
    // The PMS reports it blocked (e.g. reported stolen); the caller must not use it.
    paymentMethodId: 'pm_blocked',
    customerId: DEMO_CUSTOMER_ID,
    brand: 'mastercard',
    last4: '8210',
    expiryMonth: 12,
    expiryYear: 2030,
    status: 'blocked',
    cardNumber: '5200828282828210',
    providerToken: 'tok_4d3112ed2cf6eee8be192c3c',
  },
  {
    // Someone else's card: asking for it as cus_demo must look exactly like an unknown id.
    paymentMethodId: 'pm_other_customer',
    customerId: OTHER_CUSTOMER_ID,
    brand: 'visa',
    last4: '5556',
    expiryMonth: 12,
    expiryYear: 2030,
    status: 'active',
    cardNumber: '4000056655665556',
    providerToken: 'tok_d05230899c6b0834972215d2',
  },
];

export function findMockCard(paymentMethodId: string): MockCard | undefined {
  return MOCK_CARDS.find((card) => card.paymentMethodId === paymentMethodId);
}

/** The card number a provider token stands for, or undefined for a token nobody issued. */
export function cardNumberForToken(token: string): string | undefined {
  return MOCK_CARDS.find((card) => card.providerToken === token)?.cardNumber;
}
