/** The provider's API routes (PaymentsOS-style payments, authorizations, captures, voids, refunds), each one operation. */
import type { Express } from 'express';
import * as operations from '../operations';
import { parseExpand } from '../payments';
import { param, readCall, writeCall, type ApiCallDeps } from './apiCall';
import { requestIdOf } from './respond';

export function registerPaymentRoutes(app: Express, deps: ApiCallDeps): void {
  const { state } = deps;

  app.post(
    '/payments',
    writeCall(deps, (req) => operations.createPayment(state, req.body)),
  );

  app.get(
    '/payments/:paymentId',
    readCall(deps, (req) => operations.getPayment(state, param(req, 'paymentId'), parseExpand(req.query.expand))),
  );

  app.post(
    '/payments/:paymentId/authorizations',
    writeCall(deps, (req, res) => operations.authorize(state, param(req, 'paymentId'), req.body, requestIdOf(res))),
  );

  app.get(
    '/payments/:paymentId/authorizations/:authorizationId',
    readCall(deps, (req) => operations.getAuthorization(state, param(req, 'paymentId'), param(req, 'authorizationId'))),
  );

  app.post(
    '/payments/:paymentId/captures',
    writeCall(deps, (req, res) => operations.capture(state, param(req, 'paymentId'), req.body, requestIdOf(res))),
  );

  app.post(
    '/payments/:paymentId/voids',
    writeCall(deps, (req, res) => operations.voidPayment(state, param(req, 'paymentId'), requestIdOf(res))),
  );

  app.post(
    '/payments/:paymentId/refunds',
    writeCall(deps, (req, res) => operations.refund(state, param(req, 'paymentId'), req.body, requestIdOf(res))),
  );
}
