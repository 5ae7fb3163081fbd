/** Calls the Zuz simulator the way a client would, with correct headers unless told otherwise. */
import { randomUUID } from 'node:crypto';
import { findMockCard } from '../../../sandbox/simulators/cards';
import { httpRequest, type HttpResponse } from './http';

export const APP_ID = 'test-app';
export const PRIVATE_KEY = 'test-private-key';

export function tokenOf(paymentMethodId: string): string {
  const card = findMockCard(paymentMethodId);
  if (!card) throw new Error(`no mock card ${paymentMethodId}`);
  return card.providerToken;
}

export class ZuzTestClient {
  constructor(private readonly baseUrl: string) {}

  headers(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return {
      'api-version': '1.3.0',
      'x-payments-os-env': 'test',
      'app-id': APP_ID,
      'private-key': PRIVATE_KEY,
      ...overrides,
    };
  }

  get(path: string, headers: Record<string, string | undefined> = {}): Promise<HttpResponse> {
    return httpRequest(this.baseUrl + path, { headers: this.headers(headers) });
  }

  /** A fresh idempotency-key unless one is given. */
  post(path: string, body?: unknown, headers: Record<string, string | undefined> = {}): Promise<HttpResponse> {
    return httpRequest(this.baseUrl + path, {
      method: 'POST',
      body,
      headers: this.headers({ 'idempotency-key': randomUUID(), ...headers }),
    });
  }

  createPayment(amount: number, key?: string): Promise<HttpResponse> {
    return this.post('/payments', { amount, currency: 'EUR', customer_id: 'cus_demo', order: { id: 'order-1' } }, withKey(key));
  }

  authorize(paymentId: string, paymentMethodId: string, key?: string): Promise<HttpResponse> {
    return this.post(
      `/payments/${paymentId}/authorizations`,
      { payment_method: { type: 'tokenized', token: tokenOf(paymentMethodId) }, reconciliation_id: `rec-auth-${paymentId}` },
      withKey(key),
    );
  }

  capture(paymentId: string, amount?: number, key?: string, reconciliationId = `rec-cap-${paymentId}`): Promise<HttpResponse> {
    return this.post(
      `/payments/${paymentId}/captures`,
      { ...(amount === undefined ? {} : { amount }), reconciliation_id: reconciliationId },
      withKey(key),
    );
  }

  void(paymentId: string, key?: string): Promise<HttpResponse> {
    return this.post(`/payments/${paymentId}/voids`, undefined, withKey(key));
  }

  refund(paymentId: string, amount?: number, key?: string, extra: Record<string, unknown> = {}): Promise<HttpResponse> {
    return this.post(
      `/payments/${paymentId}/refunds`,
      { ...(amount === undefined ? {} : { amount }), reason: 'customer request', reconciliation_id: `rec-ref-${paymentId}`, ...extra },
      withKey(key),
    );
  }

  payment(paymentId: string, expand?: string): Promise<HttpResponse> {
    return this.get(`/payments/${paymentId}${expand ? `?expand=${expand}` : ''}`);
  }

  /** A payment with a successful authorization (card pm_approved). */
  async authorizedPayment(amount: number): Promise<string> {
    const created = await this.createPayment(amount);
    if (created.status !== 201) throw new Error(`create failed: ${created.text}`);
    const authorized = await this.authorize(created.body.id, 'pm_approved');
    if (authorized.body?.result?.status !== 'Succeed') throw new Error(`authorization failed: ${authorized.text}`);
    return created.body.id;
  }

  /** A payment captured in full, successfully. */
  async capturedPayment(amount: number): Promise<string> {
    const paymentId = await this.authorizedPayment(amount);
    const captured = await this.capture(paymentId);
    if (captured.body?.result?.status !== 'Succeed') throw new Error(`capture failed: ${captured.text}`);
    return paymentId;
  }
}

function withKey(key: string | undefined): Record<string, string> {
  return key === undefined ? {} : { 'idempotency-key': key };
}
