/**
 * Appends every answered request that moves money or changes configuration (any method but GET
 * and HEAD under /v1) to the audit trail: who asked (key prefix, role, merchant), what, about
 * what, the request id and the status it was answered with. Written once the answer is sent; a
 * failed write is logged as an error with the request id (the request's own effect stands).
 */
import type { Request, RequestHandler, Response } from 'express';
import type { AuditLog } from './audit-log';
import type { Logger } from '../shared/logger';
import type { Caller } from '../api/auth';
import { requestIdOf } from '../api/request-id';

export function recordAudit(audit: AuditLog, log: Logger): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    res.on('finish', () => {
      const caller = res.locals.caller as Caller | undefined;
      if (!caller) return;
      const { action, subject, merchantId } = describe(req, res, caller);
      const requestId = requestIdOf(res) ?? 'none';
      audit
        .append({ keyPrefix: caller.keyPrefix, role: caller.role, merchantId, action, subject, requestId, outcome: res.statusCode })
        .catch((err: unknown) => log.error({ requestId, action, err: String(err) }, 'audit entry not written'));
    });
    next();
  };
}

/** The request as an audit action: named for the routes that move money or change keys, else its method and path. */
function describe(req: Request, res: Response, caller: Caller): { action: string; subject?: string; merchantId?: string } {
  const path = req.originalUrl.split('?')[0].replace(/\/+$/, '');
  const body = (req.body ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value.slice(0, 200) : undefined);
  const own = caller.role === 'operator' ? undefined : caller.merchantId;
  // The merchant an operator acted for; anyone else's request, refused or not, is in their own merchant's trail
  // (a back office trying another merchant's keys must not appear in that merchant's trail, key prefix and all).
  const named = (value: string | undefined) => (caller.role === 'operator' ? value : own);
  const located = res.locals.auditSubject as string | undefined;
  let match: RegExpExecArray | null;
  if (path === '/v1/transactions') return { action: 'transaction.create', subject: text(body.transactionId), merchantId: own };
  if ((match = /^\/v1\/transactions\/([^/]+)\/(capture|cancel)$/.exec(path)))
    return { action: `transaction.${match[2]}`, subject: decodeURIComponent(match[1]), merchantId: own };
  if ((match = /^\/v1\/transactions\/([^/]+)\/refunds$/.exec(path)))
    return { action: 'refund.create', subject: `${decodeURIComponent(match[1])}/refunds/${text(body.refundId) ?? ''}`, merchantId: own };
  if (path === '/v1/merchants')
    return { action: 'merchant.create', subject: located ?? text(body.merchantId), merchantId: named(text(body.merchantId)) };
  if ((match = /^\/v1\/merchants\/([^/]+)\/keys$/.exec(path)))
    return { action: 'key.issue', subject: located, merchantId: named(decodeURIComponent(match[1])) };
  if ((match = /^\/v1\/merchants\/([^/]+)\/keys\/([^/]+)$/.exec(path)))
    return { action: 'key.revoke', subject: decodeURIComponent(match[2]), merchantId: named(decodeURIComponent(match[1])) };
  if ((match = /^\/v1\/operator\/findings\/(resolve|redrive)$/.exec(path)))
    return { action: `finding.${match[1]}`, subject: located, merchantId: named(text(body.merchantId)) };
  return { action: `${req.method} ${path}`.slice(0, 200), subject: located, merchantId: own };
}
