/** Header checks: the API needs version, environment and credentials; admin routes only credentials. */
import type { NextFunction, Request, Response } from 'express';
import { ZUZ_API_VERSION } from '../../../../src/zuz/wire';
import type { ZuzConfig } from '../config';
import { badRequest, unauthenticated, type ZuzApiError } from '../errors';

export function requireAppCredentials(config: ZuzConfig) {
  return (req: Request, _res: Response, next: NextFunction) => next(credentialsProblem(config, req));
}

export function requireApiHeaders(config: ZuzConfig) {
  return (req: Request, _res: Response, next: NextFunction) =>
    next(credentialsProblem(config, req) ?? environmentProblem(config, req) ?? apiVersionProblem(req));
}

function apiVersionProblem(req: Request): ZuzApiError | undefined {
  const version = req.header('api-version');
  if (version === ZUZ_API_VERSION) return undefined;
  return badRequest(version ? `Unsupported api-version ${version}` : 'Missing api-version header', `Send api-version: ${ZUZ_API_VERSION}`);
}

function credentialsProblem(config: ZuzConfig, req: Request): ZuzApiError | undefined {
  if (req.header('app-id') !== config.appId || req.header('private-key') !== config.privateKey) {
    return unauthenticated('Missing or invalid app-id or private-key');
  }
  return undefined;
}

/** Keys belong to one environment: test keys do not open the live environment, nor the reverse. */
function environmentProblem(config: ZuzConfig, req: Request): ZuzApiError | undefined {
  const environment = req.header('x-payments-os-env');
  if (environment === config.environment) return undefined;
  return unauthenticated(
    environment ? `These credentials are not valid in the ${environment} environment` : 'Missing x-payments-os-env header',
  );
}
