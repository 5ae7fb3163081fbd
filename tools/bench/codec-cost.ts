/**
 * What payload encryption costs per transaction: the payloads of one measured flow history, as
 * the server stores them (encrypted), decrypted and encrypted again by the service's codec many
 * times over, timed as this process's CPU. A transaction's payloads are each encrypted once (by
 * the client or a worker) and decrypted about once per reader (a worker replaying, the API's
 * query); the figure is one pass of each over the whole history, the order of magnitude to weigh
 * against the flow's CPU per transaction in the same table.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { HistoryEvent } from './histories';

export interface CodecCost {
  /** Encrypted payloads in the history (inputs, results, signals, updates, memo, summaries, failures). */
  payloads: number;
  /** Their size once decrypted, bytes. */
  plaintextBytes: number;
  /** CPU µs to decrypt, then to encrypt, all of them once (mean over the iterations). */
  decodeMicros: number;
  encodeMicros: number;
  iterations: number;
}

const ENCRYPTED = 'binary/encrypted';

export async function codecCost(
  codec: PayloadCodec | undefined,
  events: readonly HistoryEvent[],
  iterations = 200,
): Promise<CodecCost | null> {
  const encrypted = encryptedPayloads(events);
  if (!codec || encrypted.length === 0) return null;
  const plain = await codec.decode(encrypted);
  // Warm up (JIT, key schedule), then time.
  for (let i = 0; i < 10; i++) await codec.encode(await codec.decode(encrypted));
  const decodeMicros = await cpuMicros(iterations, () => codec.decode(encrypted));
  const encodeMicros = await cpuMicros(iterations, () => codec.encode(plain));
  return {
    payloads: encrypted.length,
    plaintextBytes: plain.reduce((sum, payload) => sum + (payload.data?.length ?? 0), 0),
    decodeMicros: Math.round(decodeMicros * 10) / 10,
    encodeMicros: Math.round(encodeMicros * 10) / 10,
    iterations,
  };
}

async function cpuMicros(iterations: number, run: () => Promise<unknown>): Promise<number> {
  const started = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await run();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / iterations;
}

/** Every encrypted payload anywhere in the events (one walk, no event type forgotten). */
function encryptedPayloads(events: readonly HistoryEvent[]): Payload[] {
  const found: Payload[] = [];
  const walk = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    const encoding = (value as Payload).metadata?.encoding;
    if (encoding instanceof Uint8Array && Buffer.from(encoding).toString() === ENCRYPTED) {
      found.push(value);
      return;
    }
    for (const child of Object.values(value)) walk(child);
  };
  for (const event of events) walk(event);
  return found;
}
