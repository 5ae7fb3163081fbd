/** Connections to Temporal (any server: the dev server, a self-hosted cluster or Temporal Cloud), from one config. */
import { isIP } from 'node:net';
import { checkServerIdentity, connect as tlsConnect } from 'node:tls';
import { Client, Connection, type ClientPlugin, type TLSConfig } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { ConfigError, type TemporalConfig } from './config';
import { transactionSearchAttributes } from '../transaction/search-attributes';
import { dataConverterFor } from './payload-codec';

/** What every connection of `config` is opened with: TLS off (`false`, even with an API key) unless the config says TLS. */
function connectionOptions(config: TemporalConfig) {
  return { address: config.address, tls: config.tls ?? false, apiKey: config.apiKey, metadata: config.grpcMetadata };
}

/** Node's names for "the server's certificate does not chain to a CA this client trusts". */
const UNTRUSTED_SERVER = new Set([
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** What to change for a failed TLS handshake, by Node's error code. */
function tlsAdvice(code: string | undefined, serverName: string): string {
  if (code && UNTRUSTED_SERVER.has(code)) {
    return 'the server certificate is not signed by a CA this client trusts: set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it';
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the server certificate does not name "${serverName}": set TEMPORAL_TLS_SERVER_NAME to a name it holds`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'the server certificate is out of its validity period';
  if (/CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|HANDSHAKE_FAILURE|CERTIFICATE_UNKNOWN/.test(code ?? '')) {
    return 'the server wants a client certificate it trusts (mTLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH';
  }
  return 'check TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME and the client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH)';
}

/**
 * Why a TLS handshake with the frontend fails, found by one handshake of Node's own (the TLS
 * grpc-js uses): the SDK reports only "Failed to connect before the deadline". Without TLS
 * configured: whether the server wants TLS. Undefined when the handshake succeeds (or, without
 * TLS, fails as plaintext servers make it fail) or the address does not answer.
 */
function tlsHandshakeProblem(config: TemporalConfig, tls: TLSConfig | undefined): Promise<string | undefined> {
  const at = config.address.lastIndexOf(':');
  const host = config.address.slice(0, at);
  const serverName = tls?.serverNameOverride ?? host;
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host,
      port: Number(config.address.slice(at + 1)),
      servername: isIP(serverName) ? undefined : serverName,
      // Without TLS configured, only: does the server speak TLS at all?
      rejectUnauthorized: !!tls,
      checkServerIdentity: (_host, certificate) => checkServerIdentity(serverName, certificate),
      ca: tls?.serverRootCACertificate && Buffer.from(tls.serverRootCACertificate),
      cert: tls?.clientCertPair && Buffer.from(tls.clientCertPair.crt),
      key: tls?.clientCertPair && Buffer.from(tls.clientCertPair.key),
      ALPNProtocols: ['h2'],
    });
    const done = (problem?: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => done(), 3000);
    const speaksTls = 'the server speaks TLS (as Temporal Cloud does): set TEMPORAL_TLS=true, or the TEMPORAL_TLS_* settings it needs';
    // With TLS 1.3 the server refuses a missing client certificate only after the client's handshake is done.
    socket.once('secureConnect', () => (tls ? setTimeout(() => done(), 500) : done(speaksTls)));
    socket.once('error', (err: NodeJS.ErrnoException & { reason?: string }) => {
      if (!tls) return done(/ALERT|CERTIFICATE/.test(err.code ?? '') ? speaksTls : undefined);
      if (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET' || err.code === 'ENOTFOUND') return done();
      // OpenSSL's errors carry their reason apart ("tlsv13 alert certificate required") from a message of internals.
      const reason = err.reason ?? err.message;
      done(`TLS handshake failed: ${reason}${err.code ? ` (${err.code})` : ''}: ${tlsAdvice(err.code, serverName)}`);
    });
  });
}

/**
 * A failed first connection, said with what it was attempted with (the address, TLS or not,
 * where the settings came from) and, for TLS, why the handshake fails and what to set.
 */
async function connectionFailure(config: TemporalConfig, err: unknown): Promise<Error> {
  const cause = err instanceof Error ? err.message : String(err);
  const tls = config.tls;
  const attempted = tls
    ? [
        `TLS with ${tls.serverRootCACertificate ? 'the CA of TEMPORAL_TLS_SERVER_CA_CERT_PATH/_DATA' : 'the system CAs (no TEMPORAL_TLS_SERVER_CA_CERT_PATH)'}`,
        ...(tls.serverNameOverride ? [`server name ${tls.serverNameOverride}`] : []),
        tls.clientCertPair ? 'a client certificate' : 'no client certificate',
      ].join(', ')
    : 'no TLS';
  const problem = await tlsHandshakeProblem(config, tls);
  return new Error(
    `Cannot connect to Temporal at ${config.address} (${attempted}; settings from ${config.source}): ${cause}${problem ? `; ${problem}` : ''}`,
    { cause: err },
  );
}

/**
 * The data converter of every client and worker built from `config`: the payload encryption
 * codec when keys are configured (src/shared/payload-codec.ts). Workers, tools and
 * tests take it from here, so nothing that reads or writes payloads can forget the codec.
 */
export function dataConverterOf(config: Pick<TemporalConfig, 'payloadEncryption'>): DataConverter {
  return dataConverterFor(config.payloadEncryption);
}

/** `plugins`: e.g. tracing, which propagates the caller's trace into the workflows it starts. */
export async function connectClient(
  config: TemporalConfig,
  plugins: ClientPlugin[] = [],
  connectOptions: { connectTimeout?: number } = {},
): Promise<Client> {
  const connection = await Connection.connect({ ...connectionOptions(config), ...connectOptions }).catch(async (err: unknown) => {
    throw await connectionFailure(config, err);
  });
  return new Client({ connection, namespace: config.namespace, plugins, dataConverter: dataConverterOf(config) });
}

export async function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config)).catch(async (err: unknown) => {
    throw await connectionFailure(config, err);
  });
}

/** The names the `temporal` CLI, `tcld` and the dev server's `--search-attribute` give the search attribute types. */
const TYPE_NAMES: Record<string, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** How to create the flow's search attributes in `namespace`: self-hosted, on Temporal Cloud, on the dev server. */
export function searchAttributesHowTo(namespace: string, keys = transactionSearchAttributes): string {
  const typed = keys.map((k) => `${k.name}=${TYPE_NAMES[k.type] ?? k.type}`);
  return [
    `self-hosted: temporal operator search-attribute create --namespace ${namespace} ${keys.map((k) => `--name ${k.name} --type ${TYPE_NAMES[k.type] ?? k.type}`).join(' ')}`,
    `Temporal Cloud: tcld namespace search-attributes add --namespace ${namespace} ${typed.map((t) => `--search-attribute ${t}`).join(' ')} (or the Cloud UI: Namespaces > ${namespace} > Custom Search Attributes)`,
    `dev server: temporal server start-dev ${typed.map((t) => `--search-attribute ${t}`).join(' ')}`,
  ].join('; ');
}

/** gRPC codes with which a server refuses the OperatorService: Temporal Cloud does not offer it to workers. */
const OPERATOR_SERVICE_REFUSED: Record<number, string> = { 7: 'PERMISSION_DENIED', 12: 'UNIMPLEMENTED' };

/**
 * Fails with a clear message (a ConfigError: the namespace must be changed, not the code) when
 * the namespace lacks the search attributes the flow sets, or when the server does not let the
 * worker look (Temporal Cloud): TEMPORAL_SEARCH_ATTRIBUTE_CHECK=off skips the check there.
 */
export async function assertSearchAttributesRegistered(client: Client, namespace: string): Promise<void> {
  let customAttributes: Record<string, unknown> | null | undefined;
  try {
    ({ customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace }));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const refused = typeof code === 'number' ? OPERATOR_SERVICE_REFUSED[code] : undefined;
    if (!refused) throw err;
    const listed = transactionSearchAttributes.map((k) => `${k.name} (${TYPE_NAMES[k.type] ?? k.type})`).join(', ');
    throw new ConfigError(
      `Cannot check that namespace "${namespace}" has the search attributes the flow sets (${listed}): the server does not offer the OperatorService to this client (${refused}: ${(err as { details?: string }).details ?? (err as Error).message}), as Temporal Cloud does not. ` +
        `Create them once (${searchAttributesHowTo(namespace)}), then set TEMPORAL_SEARCH_ATTRIBUTE_CHECK=off to start the worker without this check.`,
    );
  }
  const registered = new Set(Object.keys(customAttributes ?? {}));
  const missing = transactionSearchAttributes.filter((key) => !registered.has(key.name));
  if (missing.length > 0) {
    throw new ConfigError(
      `Namespace "${namespace}" lacks the search attributes ${missing.map((k) => k.name).join(', ')}: create them (${searchAttributesHowTo(namespace, missing)})`,
    );
  }
}

/** Readiness: does the Temporal frontend answer within two seconds? */
export async function isTemporalReachable(client: Client): Promise<boolean> {
  try {
    await client.connection.withDeadline(Date.now() + 2000, () => client.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}

/** gRPC status codes that mean "Temporal could not be reached or did not answer in time", not "Temporal said no". */
const UNREACHABLE_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/** Whether an error from a Temporal call means the server was unreachable (so a retry later may work). */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let cause: unknown = err, depth = 0; cause && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'number' && UNREACHABLE_CODES.has(code)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}
