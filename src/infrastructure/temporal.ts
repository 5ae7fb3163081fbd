/** Connections to Temporal (any server: the dev server, a self-hosted cluster or Temporal Cloud), from one config. */
import { readFile } from 'node:fs/promises';
import { Client, Connection, type ClientPlugin } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { TemporalConfig } from '../config';
import { transactionSearchAttributes } from '../domain/search-attributes';
import { dataConverterFor } from './payload-codec';

async function tlsOptions(config: TemporalConfig) {
  if (!config.tls) return undefined;
  const { clientCertPath, clientKeyPath } = config.tls;
  if (!clientCertPath || !clientKeyPath) return true;
  return { clientCertPair: { crt: await readFile(clientCertPath), key: await readFile(clientKeyPath) } };
}

/**
 * The data converter of every client and worker built from `config`: the payload encryption
 * codec when keys are configured (src/infrastructure/payload-codec.ts). Workers, tools and
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
  const connection = await Connection.connect({
    address: config.address,
    tls: await tlsOptions(config),
    apiKey: config.apiKey,
    ...connectOptions,
  });
  return new Client({ connection, namespace: config.namespace, plugins, dataConverter: dataConverterOf(config) });
}

export async function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.address, tls: await tlsOptions(config), apiKey: config.apiKey });
}

/** Fails with a clear message when the namespace lacks the search attributes the flow sets. */
export async function assertSearchAttributesRegistered(client: Client, namespace: string): Promise<void> {
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  const registered = new Set(Object.keys(customAttributes ?? {}));
  const missing = transactionSearchAttributes.filter((key) => !registered.has(key.name));
  if (missing.length > 0) {
    const flags = missing.map((k) => `${k.name}=${k.type}`).join(' ');
    throw new Error(
      `Namespace "${namespace}" lacks the search attributes ${missing.map((k) => k.name).join(', ')}: register them (temporal operator search-attribute create, or --search-attribute ${flags} on the dev server)`,
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
