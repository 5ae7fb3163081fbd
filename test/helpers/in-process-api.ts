/**
 * The API in this process over a database of the test's, for tests that never reach Temporal (its
 * client's connection is lazy, to a closed port) or replace the one client call they make.
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { createApp } from '../../src/api/app';
import type { ApiKey } from '../../src/shared/config';
import type { Database } from '../../src/shared/database';

export interface InProcessApi {
  url: string;
  client: Client;
  close(): Promise<void>;
}

export async function startInProcessApi(options: {
  db: Database;
  apiKeys: ApiKey[];
  operatorKeys?: string[];
  taskQueue?: string;
  /** Replaces the client's calls the test wants to see (e.g. workflow.start) before the app is built. */
  prepare?: (client: Client) => void;
}): Promise<InProcessApi> {
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 100 }) });
  options.prepare?.(client);
  const app = createApp({
    client,
    db: options.db,
    taskQueue: options.taskQueue ?? 'unused',
    config: {
      apiKeys: options.apiKeys,
      operatorKeys: options.operatorKeys ?? [],
      webhook: { privateKey: 'test-zuz-private-key', maxAgeMs: 60_000 },
    },
    log: pino({ level: 'silent' }),
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    client,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
