/**
 * The codec server: the payload codec over HTTP, so that the Temporal Web UI (and the CLI's
 * `--codec-endpoint`) show decrypted inputs, results, signals and failures while Temporal keeps
 * only ciphertext. The Web UI calls `<endpoint>/decode` and `<endpoint>/encode` from the
 * operator's browser with `{"payloads": [{"metadata": {...base64}, "data": base64}]}` (the
 * Payload's proto3 JSON) and the same shape back; the endpoint here is `http://host:port/codec`.
 *
 * It decrypts whatever it is sent, so it has its own listener (CODEC_SERVER_ADDRESS, never the
 * API's public port) and its own authentication, always (the sandbox too): CODEC_SERVER_TOKEN,
 * given as `Authorization: Bearer <token>` (the CLI, a UI that passes a token) or as the path
 * segment after /codec, `http://host:port/codec/<token>` (`uiEndpoint`): the Web UI's codec
 * setting is only an endpoint, so that is how it carries the token. CORS allows the configured
 * Web UI origins only, and a browser request from any other origin is refused outright.
 *
 * Its errors name no key id (the worker's logs do). /codec/encode, which mints ciphertext the
 * workers would accept, is off unless CODEC_SERVER_ENCODE=on. A payload stored in clear (not
 * written by the codec: nothing vouches for it) is shown wrapped in a marker, never as if it had
 * been decrypted. Every call is logged (address, route, payload count, answer; never a payload).
 */
import { createServer, type Server } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { CodecServerConfig } from '../shared/config';
import type { Logger } from '../shared/logger';
import { isEncrypted, PayloadDecryptionError } from '../shared/payload-codec';
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
  /** Serve /codec/encode (CODEC_SERVER_ENCODE=on); off by default. */
  encode?: boolean;
}

/** What the Web UI is shown in place of a payload stored in clear. */
export const CLEAR_PAYLOAD_MARK = 'stored in clear: not written by this service’s codec, nothing vouches for it';

export function createCodecApp({ codec, token, allowedOrigins, log, encode = false }: CodecAppOptions): express.Express {
  if (!token) throw new Error('The codec server needs a token (CODEC_SERVER_TOKEN)');
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    // The token in the path (`/codec/<token>/decode`) is never logged: the route is logged by name.
    res.once('finish', () =>
      log.info(
        {
          ip: req.ip,
          origin: req.header('origin'),
          route: /\/(encode|decode)$/.exec(req.path)?.[1] ?? 'other',
          payloads: res.locals.payloadCount as number | undefined,
          status: res.statusCode,
        },
        'codec call',
      ),
    );
    next();
  });
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
  app.use(requireToken(token));
  app.use(express.json({ limit: BODY_LIMIT, type: () => true }));
  const routes = (name: string) => [`/codec/${name}`, `/codec/:token/${name}`];
  if (encode) {
    app.post(routes('encode'), async (req, res) => {
      res.json({ payloads: await run(req.body, res, (payloads) => codec.encode(payloads)) });
    });
  }
  app.post(routes('decode'), async (req, res) => {
    res.json({
      payloads: await run(req.body, res, async (payloads) => (isEncrypted(payloads[0]) ? codec.decode(payloads) : payloads.map(marked))),
    });
  });
  app.all(encode ? [...routes('encode'), ...routes('decode')] : routes('decode'), allowOnly('POST'));
  app.use((_req, res) =>
    sendError(res, 404, 'not_found', `No such route: the codec server answers POST /codec/decode${encode ? ' and /codec/encode' : ''}`),
  );
  app.use(errorHandler(log));
  return app;
}

/** A payload in clear, wrapped so that the Web UI shows it as such (its JSON value when it has one, else its bytes in base64). */
function marked(payload: Payload): Payload {
  const data = Buffer.from(payload.data ?? new Uint8Array());
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    value = { base64: data.toString('base64') };
  }
  return {
    metadata: { encoding: new TextEncoder().encode('json/plain') },
    data: new TextEncoder().encode(JSON.stringify({ unencryptedPayload: CLEAR_PAYLOAD_MARK, value })),
  };
}

/** What a caller is told of a payload that cannot be decrypted: why, never which key ids exist. */
const DECRYPTION_FAILURES: Record<PayloadDecryptionError['reason'], string> = {
  'no key id': 'is marked encrypted but names no key',
  'key not configured': 'is encrypted with a key this server does not have',
  truncated: 'is truncated',
  'failed authentication': 'failed authentication: it was altered, or encrypted with another key under the same id',
};

/** Each payload on its own, so a payload that cannot be decoded is named by its index. */
async function run(body: unknown, res: express.Response, transform: (payloads: Payload[]) => Promise<Payload[]>): Promise<WirePayload[]> {
  const parsed = payloadsBody.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  res.locals.payloadCount = parsed.data.payloads.length;
  const out: WirePayload[] = [];
  for (const [index, wire] of parsed.data.payloads.entries()) {
    try {
      const [result] = await transform([fromWire(wire)]);
      out.push(toWire(result));
    } catch (err) {
      if (!(err instanceof PayloadDecryptionError)) throw err;
      const field = `payloads.${index}`;
      const message = DECRYPTION_FAILURES[err.reason];
      throw new ApiError(400, 'invalid_payload', `${field}: ${message}`, [{ field, message }]);
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

/**
 * `Authorization: Bearer <token>`, or the token as the path segment after /codec (the Web UI's
 * endpoint), compared in constant time (as digests, so unequal lengths leak nothing either).
 */
function requireToken(token: string): express.RequestHandler {
  const expected = createHash('sha256').update(token).digest();
  return (req, res, next) => {
    const header = /^Bearer +(\S+)$/i.exec(req.header('authorization') ?? '')?.[1];
    const inPath = decoded(/^\/codec\/([^/]+)\/(?:encode|decode)$/.exec(req.path)?.[1]);
    const given = header ?? inPath;
    if (given !== undefined && timingSafeEqual(createHash('sha256').update(given).digest(), expected)) return next();
    res.setHeader('www-authenticate', 'Bearer');
    sendError(res, 401, 'unauthorized', 'The codec server needs Authorization: Bearer <CODEC_SERVER_TOKEN>');
  };
}

export interface CodecServer {
  /** The endpoint to give the CLI (`--codec-endpoint`, with the token as `--codec-auth`); no token in it. */
  endpoint: string;
  /** The endpoint to give the Web UI (`--ui-codec-endpoint`, TEMPORAL_CODEC_ENDPOINT): the token in its path. */
  uiEndpoint(token: string): string;
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
    uiEndpoint: (token) => codecUiEndpoint(`http://${options.host}:${port}/codec`, token),
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The Web UI's codec endpoint: the codec server's, with the token as its last path segment. */
export function codecUiEndpoint(endpoint: string, token: string): string {
  return `${endpoint.replace(/\/$/, '')}/${encodeURIComponent(token)}`;
}

function decoded(segment: string | undefined): string | undefined {
  try {
    return segment === undefined ? undefined : decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
