/**
 * The committed corpus of real workflow histories (test/histories/<flow version>/<branch>.json),
 * in clear, and test/histories/encrypted/<flow version>-<branch>.json, whose payloads are
 * encrypted with the committed TEST-ONLY key (test/histories/TEST-ONLY-payload-keys.json).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { loadTemporalConfig } from '../../src/shared/config';
import { dataConverterOf } from '../../src/shared/temporal';

export interface StoredHistory {
  file: string;
  version: string;
  workflowId: string;
  branch: string;
  /** Captured with payload encryption on (the TEST-ONLY key). */
  encrypted: boolean;
  history: unknown;
}

const root = path.join(__dirname, '..', 'histories');
const ENCRYPTED_DIR = 'encrypted';

export function storedHistories(): StoredHistory[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.endsWith('.partial'))
    .flatMap((dir) =>
      readdirSync(path.join(root, dir.name))
        .filter((name) => name.endsWith('.json'))
        .map((name) => {
          const file = path.join(root, dir.name, name);
          const stored = JSON.parse(readFileSync(file, 'utf8'));
          return { file: path.relative(process.cwd(), file), version: dir.name, encrypted: dir.name === ENCRYPTED_DIR, ...stored };
        }),
    );
}

/** The data converter that reads every history of the corpus: the service's codec with the TEST-ONLY key (clear payloads pass through). */
export function corpusDataConverter(): DataConverter {
  const { PAYLOAD_ENCRYPTION_KEYS } = JSON.parse(readFileSync(path.join(root, 'TEST-ONLY-payload-keys.json'), 'utf8')) as {
    PAYLOAD_ENCRYPTION_KEYS: string;
  };
  return dataConverterOf(loadTemporalConfig({ PAYLOAD_ENCRYPTION_KEYS }));
}

/**
 * A stored history (proto3 JSON: bytes as base64) with every payload's bytes as bytes, so the
 * payload search (helpers/history-payloads.ts) reads it as it reads a fetched history.
 */
export function payloadBytes(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(payloadBytes);
  if (json === null || typeof json !== 'object') return json;
  const { metadata, data } = json as { metadata?: unknown; data?: unknown };
  const isPayload =
    metadata !== null &&
    typeof metadata === 'object' &&
    typeof (metadata as { encoding?: unknown }).encoding === 'string' &&
    (data === undefined || typeof data === 'string');
  if (isPayload) {
    const bytes = (value: unknown) => Buffer.from(String(value), 'base64');
    return {
      ...json,
      metadata: Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, bytes(value)])),
      data: data === undefined ? undefined : bytes(data),
    };
  }
  return Object.fromEntries(Object.entries(json).map(([key, value]) => [key, payloadBytes(value)]));
}
