/**
 * The Zuz (PaymentsOS-style) API client. Pointing it at the real provider is a matter of
 * configuration: base URL, app id, private key and environment.
 * Every POST carries an idempotency key chosen by the caller, so a retry after a timeout or a
 * 5xx returns the original result instead of performing the operation again.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { requestJson, UpstreamError } from '../http';
import { ZUZ_API_VERSION, zuzError, zuzPayment, zuzTransaction, type ZuzPayment, type ZuzTransaction } from './wire';

export interface ZuzClientConfig {
  baseUrl: string;
  appId: string;
  privateKey: string;
  environment: 'test' | 'live';
  timeoutMs: number;
}

export class ZuzClient {
  constructor(private readonly config: ZuzClientConfig) {}

  createPayment(input: { amount: number; currency: string; customerId: string; orderId: string }, idempotencyKey: string): Promise<ZuzPayment> {
    const body = { amount: input.amount, currency: input.currency, customer_id: input.customerId, order: { id: input.orderId } };
    return this.post('/payments', body, idempotencyKey, zuzPayment);
  }

  /** `token` is the card's provider token: it goes to Zuz and nowhere else. */
  createAuthorization(paymentId: string, input: { token: string; reconciliationId: string }, idempotencyKey: string): Promise<ZuzTransaction> {
    const body = {
      payment_method: { type: 'tokenized', token: input.token },
      reconciliation_id: input.reconciliationId,
      authorization_type: 'pre_authorization',
    };
    return this.post(`/payments/${encodeURIComponent(paymentId)}/authorizations`, body, idempotencyKey, zuzTransaction);
  }

  createCapture(paymentId: string, input: { amount: number; reconciliationId: string }, idempotencyKey: string): Promise<ZuzTransaction> {
    const body = { amount: input.amount, reconciliation_id: input.reconciliationId };
    return this.post(`/payments/${encodeURIComponent(paymentId)}/captures`, body, idempotencyKey, zuzTransaction);
  }

  createVoid(paymentId: string, idempotencyKey: string): Promise<ZuzTransaction> {
    return this.post(`/payments/${encodeURIComponent(paymentId)}/voids`, undefined, idempotencyKey, zuzTransaction);
  }

  /** The payment with all its authorizations, captures, voids and refunds: the polling fallback. */
  getPayment(paymentId: string): Promise<ZuzPayment> {
    return this.call('GET', `/payments/${encodeURIComponent(paymentId)}?expand=all`, undefined, {}, zuzPayment);
  }

  private post<T>(path: string, body: unknown, idempotencyKey: string, schema: z.ZodType<T>): Promise<T> {
    return this.call('POST', path, body ?? {}, { 'idempotency-key': idempotencyKey }, schema);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body: unknown, headers: Record<string, string>, schema: z.ZodType<T>): Promise<T> {
    const { status, body: answer } = await requestJson('Zuz', this.config.baseUrl.replace(/\/$/, '') + path, {
      method,
      body,
      timeoutMs: this.config.timeoutMs,
      headers: {
        'api-version': ZUZ_API_VERSION,
        'x-payments-os-env': this.config.environment,
        'app-id': this.config.appId,
        'private-key': this.config.privateKey,
        'x-client-request-id': randomUUID(),
        ...headers,
      },
    });
    if (status >= 400) {
      const error = zuzError.safeParse(answer);
      const detail = error.success ? `${error.data.category}: ${error.data.description}` : 'no error description';
      throw new UpstreamError('Zuz', status, `${method} ${path.split('?')[0]} answered ${status} (${detail})`);
    }
    const parsed = schema.safeParse(answer);
    if (!parsed.success) {
      throw new UpstreamError('Zuz', 502, `${method} ${path.split('?')[0]} answered with an unexpected shape: ${parsed.error.issues[0]?.message}`);
    }
    return parsed.data;
  }
}
