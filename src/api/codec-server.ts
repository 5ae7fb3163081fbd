/**
 * The codec server: the payload codec over HTTP, so that the Temporal Web UI (and the CLI's
 * `--codec-endpoint`) show decrypted inputs, results, signals and failures while Temporal keeps
 * only ciphertext. The Web UI calls `<endpoint>/decode` and `<endpoint>/encode` from the
 * operator's browser with `{"payloads": [{"metadata": {...base64}, "data": base64}]}` (the
 * Payload's proto3 JSON) and the same shape back; the endpoint here is `http://host:port/codec`.
 *
 * It decrypts whatever it is sent, so it has its own listener (CODEC_SERVER_ADDRESS, loopback by
 * default, never the API's public port) and its own authentication: with CODEC_SERVER_TOKEN
 * every call needs `Authorization: Bearer <token>` (production refuses to start it without one);
 * CORS allows the configured Web UI origins only, and a browser request from any other origin
 * is refused outright, not merely left unreadable.
 */
import { createServer, type Server } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { CodecServerConfig } from '../config';
import type { Logger } from '../infrastructure/logger';
import { PayloadDecryptionError } from '../infrastructure/payload-codec';
import { allowOnly, ApiError, errorHandler, sendError, validationError } from './errors';

/** What the Temporal Web UI sends with each call (and `authorization` when it is set up to pass a token). */
const ALLOWED_HEADERS = 'content-type, x-namespace, authorization';
/** The Web UI decodes a whole page of events at once: generous, but bounded. */
const BODY_LIMIT = '8mb';

const base64 = z.string({ error: 'must be a base64 string' }).regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be a base64 string');
const payloadsBody = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), base64).optional(),
      data: base64.optional(),
    }),
    { error: 'must be an array of payloads' },
  ),
});

type WirePayload = z.infer<typeof payloadsBody>['payloads'][number];

export interface CodecAppOptions extends Pick<CodecServerConfig, 'token' | 'allowedOrigins'> {
  codec: PayloadCodec;
  log: Logger;
}

export function createCodecApp({ codec, token, allowedOrigins, log }: CodecAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    const origin = req.header('origin');
    // No Origin: not a browser's cross-origin call (curl, the CLI); the token, if any, still applies.
    if (origin === undefined) return next();
    if (!allowedOrigins.includes(origin)) {
      return sendError(res, 403, 'origin_not_allowed', 'This origin may not use the codec server (CODEC_SERVER_CORS_ORIGINS)');
    }
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('vary', 'Origin');
    if (req.method === 'OPTIONS') {
      // The preflight carries no credentials by design, so it is answered before authentication.
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
      res.setHeader('access-control-max-age', '600');
      return void res.status(204).end();
    }
    next();
  });
  if (token) app.use(requireToken(token));
  app.use(express.json({ limit: BODY_LIMIT, type: () => true }));
  app.post('/codec/encode', async (req, res) => {
    res.json({ payloads: await run(req.body, (payloads) => codec.encode(payloads)) });
  });
  app.post('/codec/decode', async (req, res) => {
    res.json({ payloads: await run(req.body, (payloads) => codec.decode(payloads)) });
  });
  app.all(['/codec/encode', '/codec/decode'], allowOnly('POST'));
  app.use((_req, res) => sendError(res, 404, 'not_found', 'No such route: the codec server answers POST /codec/encode and /codec/decode'));
  app.use(errorHandler(log));
  return app;
}

/** Each payload on its own, so a payload that cannot be decoded is named by its index. */
async function run(body: unknown, transform: (payloads: Payload[]) => Promise<Payload[]>): Promise<WirePayload[]> {
  const parsed = payloadsBody.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  const out: WirePayload[] = [];
  for (const [index, wire] of parsed.data.payloads.entries()) {
    try {
      const [result] = await transform([fromWire(wire)]);
      out.push(toWire(result));
    } catch (err) {
      if (!(err instanceof PayloadDecryptionError)) throw err;
      const field = `payloads.${index}`;
      throw new ApiError(400, 'invalid_payload', `${field}: ${err.message}`, [{ field, message: err.message }]);
    }
  }
  return out;
}

function fromWire(wire: WirePayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(wire.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(wire.data ?? '', 'base64'),
  };
}

function toWire(payload: Payload): WirePayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

/** `Authorization: Bearer <token>`, compared in constant time (as digests, so unequal lengths leak nothing either). */
function requireToken(token: string): express.RequestHandler {
  const expected = createHash('sha256').update(token).digest();
  return (req, res, next) => {
    const match = /^Bearer (.+)$/i.exec(req.header('authorization') ?? '');
    const given = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    if (match && timingSafeEqual(given, expected)) return next();
    res.setHeader('www-authenticate', 'Bearer');
    sendError(res, 401, 'unauthorized', 'The codec server needs Authorization: Bearer <CODEC_SERVER_TOKEN>');
  };
}

export interface CodecServer {
  /** The endpoint to give the Web UI (`--ui-codec-endpoint`) or the CLI (`--codec-endpoint`). */
  endpoint: string;
  server: Server;
  close(): Promise<void>;
}

export async function startCodecServer(options: CodecAppOptions & Pick<CodecServerConfig, 'host' | 'port'>): Promise<CodecServer> {
  const server = createServer(createCodecApp(options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`CODEC_SERVER_ADDRESS: ${options.host}:${options.port} is already in use`) : err),
    );
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    endpoint: `http://${options.host}:${port}/codec`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
