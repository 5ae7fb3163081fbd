/**
 * The Zuz (PaymentsOS-style) API client. Pointing it at the real provider is a matter of
 * configuration: base URL, app id, private key and environment.
 * It speaks Zuz's wire format and hands back the domain's types only: callers never see a Zuz
 * object. Every POST carries an idempotency key chosen by the caller, so a retry after a timeout
 * or a 5xx returns the original result instead of performing the operation again.
 * Failures are UpstreamErrors, which say whether a retry may help.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ZuzOperationResult } from '../transaction/model';
import { requestJson, UpstreamError } from '../shared/http';
import { toOperationResult, toPaymentState, type ZuzPaymentState } from './results';
import { ZUZ_API_VERSION, zuzError, zuzPayment, zuzTransaction } from './wire';

export interface ZuzClientConfig {
  baseUrl: string;
  appId: string;
  privateKey: string;
  environment: 'test' | 'live';
  timeoutMs: number;
}

export class ZuzClient {
  constructor(private readonly config: ZuzClientConfig) {}

  async createPayment(
    input: { amount: number; currency: string; customerId: string; orderId: string },
    idempotencyKey: string,
  ): Promise<{ paymentId: string }> {
    const body = { amount: input.amount, currency: input.currency, customer_id: input.customerId, order: { id: input.orderId } };
    const payment = await this.post('/payments', body, idempotencyKey, zuzPayment);
    return { paymentId: payment.id };
  }

  /** `token` is the card's provider token: it goes to Zuz and nowhere else. */
  async createAuthorization(
    paymentId: string,
    input: { token: string; reconciliationId: string },
    idempotencyKey: string,
  ): Promise<ZuzOperationResult> {
    const body = {
      payment_method: { type: 'tokenized', token: input.token },
      reconciliation_id: input.reconciliationId,
      authorization_type: 'pre_authorization',
    };
    return toOperationResult(
      'authorization',
      await this.post(`${paymentPath(paymentId)}/authorizations`, body, idempotencyKey, zuzTransaction),
    );
  }

  async createCapture(
    paymentId: string,
    input: { amount: number; reconciliationId: string },
    idempotencyKey: string,
  ): Promise<ZuzOperationResult> {
    const body = { amount: input.amount, reconciliation_id: input.reconciliationId };
    return toOperationResult('capture', await this.post(`${paymentPath(paymentId)}/captures`, body, idempotencyKey, zuzTransaction));
  }

  async createVoid(paymentId: string, idempotencyKey: string): Promise<ZuzOperationResult> {
    return toOperationResult('void', await this.post(`${paymentPath(paymentId)}/voids`, undefined, idempotencyKey, zuzTransaction));
  }

  /** Gives captured money back (all of it when `amount` is absent). */
  async createRefund(
    paymentId: string,
    input: { amount: number; reason: string; reconciliationId: string },
    idempotencyKey: string,
  ): Promise<ZuzOperationResult> {
    const body = { amount: input.amount, reason: input.reason, reconciliation_id: input.reconciliationId };
    return toOperationResult('refund', await this.post(`${paymentPath(paymentId)}/refunds`, body, idempotencyKey, zuzTransaction));
  }

  /** The latest result of each operation on the payment, read with all its related resources: the polling fallback. */
  async readPayment(paymentId: string): Promise<ZuzPaymentState> {
    return toPaymentState(await this.call('GET', `${paymentPath(paymentId)}?expand=all`, undefined, {}, zuzPayment));
  }

  private post<T>(path: string, body: unknown, idempotencyKey: string, schema: z.ZodType<T>): Promise<T> {
    return this.call('POST', path, body ?? {}, { 'idempotency-key': idempotencyKey }, schema);
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    headers: Record<string, string>,
    schema: z.ZodType<T>,
  ): Promise<T> {
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
      throw new UpstreamError(
        'Zuz',
        502,
        `${method} ${path.split('?')[0]} answered with an unexpected shape: ${parsed.error.issues[0]?.message}`,
      );
    }
    return parsed.data;
  }
}

function paymentPath(paymentId: string): string {
  return `/payments/${encodeURIComponent(paymentId)}`;
}
