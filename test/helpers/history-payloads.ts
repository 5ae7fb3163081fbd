/**
 * A workflow history as text, for searching it (e.g. for card data). In a fetched history every
 * Payload's `data` is encoded bytes, so `JSON.stringify(history)` shows them as numbers or base64
 * and a token inside a workflow input, an activity's input or result, a signal, an update, a
 * memo, a search attribute or a failure's details can never match. This walks the whole history
 * generically, so no event type or field can be forgotten: every Payload found anywhere (anything
 * shaped `{ metadata: { encoding }, data }`) is decoded with the SDK's payload converter, every
 * other string (failure messages and stacks, ids, types) is taken as it is, and any other byte
 * field is read as UTF-8.
 *
 * With payload encryption on, a history fetched from the server holds ciphertext: searched as it
 * is, an encrypted payload's data is not text (random bytes could only match by chance) and is
 * skipped, its metadata still searched — what the raw-history test needs, as the server stores
 * it. `decodeHistory` first decrypts every payload with the service's codec — what a search for
 * what the flow put in its payloads (card tokens must never be there) needs.
 */
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

/** One piece of the history's text and where it is (e.g. `events[7].activityTaskCompletedEventAttributes.result.payloads[0]`). */
export interface HistoryText {
  path: string;
  text: string;
}

const utf8 = new TextDecoder('utf-8');

/** Every text the history holds: the decoded payloads, with the strings inside them, and the rest of the history. */
export function historyTexts(history: temporal.api.history.v1.IHistory): HistoryText[] {
  const texts: HistoryText[] = [{ path: '(the history as JSON)', text: JSON.stringify(history) }];
  collect(history, '', texts);
  return texts;
}

/** Where the history holds `needle`, decoded payloads included: the paths, none when it is nowhere. */
export function findInHistory(history: temporal.api.history.v1.IHistory, needle: string): string[] {
  return [...new Set(historyTexts(history).flatMap(({ path, text }) => (text.includes(needle) ? [path] : [])))];
}

/**
 * Where each field of a request is in the history (numbers as their decimal text): field -> paths,
 * the fields found nowhere left out. Every field, so a new field of the request is searched too.
 */
export function findRequestInHistory(history: temporal.api.history.v1.IHistory, request: object): Record<string, string[]> {
  const texts = historyTexts(history);
  const found: Record<string, string[]> = {};
  for (const [field, value] of Object.entries(request)) {
    if (value === undefined || value === null) continue;
    const needle = String(value);
    const paths = [...new Set(texts.flatMap(({ path, text }) => (text.includes(needle) ? [where(path, text, needle)] : [])))];
    if (paths.length) found[field] = paths;
  }
  return found;
}

/** A find in the history's JSON names its surroundings (which field holds it), so a failing search says where to look. */
function where(path: string, text: string, needle: string): string {
  if (path !== '(the history as JSON)') return path;
  const at = text.indexOf(needle);
  return `${path} near ${JSON.stringify(text.slice(Math.max(0, at - 60), at + needle.length + 20))}`;
}

function collect(value: unknown, path: string, texts: HistoryText[]): void {
  if (typeof value === 'string') {
    texts.push({ path, text: value });
  } else if (value instanceof Uint8Array) {
    texts.push({ path, text: utf8.decode(value) });
  } else if (isPayload(value)) {
    const { text, decoded } = decodePayload(value);
    texts.push({ path, text });
    // The strings inside, one by one: JSON escapes some characters a secret might contain.
    if (decoded !== undefined) collect(decoded, `${path}<decoded>`, texts);
    collect(value.metadata, `${path}.metadata`, texts);
  } else if (value !== null && typeof value === 'object') {
    // Own fields only: a decoded protobuf message keeps its defaults (empty, never a secret) on the prototype.
    for (const [key, child] of Object.entries(value)) collect(child, Array.isArray(value) ? `${path}[${key}]` : join(path, key), texts);
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * The history with every payload anywhere in it decoded by `codec` (decrypted), as the worker and
 * the API see them; a copy, the fetched history untouched. No codec: the history as it is.
 */
export async function decodeHistory<H>(history: H, codec: PayloadCodec | undefined): Promise<H> {
  if (!codec) return history;
  const walk = async (value: unknown): Promise<unknown> => {
    if (isPayload(value)) {
      const [decoded] = await codec.decode([value]);
      return decoded;
    }
    if (value instanceof Uint8Array || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return Promise.all(value.map(walk));
    const copy: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) copy[key] = await walk(child);
    return copy;
  };
  return (await walk(history)) as H;
}

function isPayload(value: unknown): value is Payload {
  if (value === null || typeof value !== 'object') return false;
  const { metadata, data } = value as { metadata?: unknown; data?: unknown };
  return (
    metadata !== null &&
    typeof metadata === 'object' &&
    (metadata as { encoding?: unknown }).encoding instanceof Uint8Array &&
    (data === undefined || data === null || data instanceof Uint8Array)
  );
}

/** The payload as its converter reads it; an encoding the default converter does not know (e.g. protobuf) as its raw bytes. */
function decodePayload(payload: Payload): { text: string; decoded?: unknown } {
  // Ciphertext is not text: without the key it says nothing, and read as UTF-8 it could match a short needle by chance.
  if (payload.metadata?.encoding && utf8.decode(payload.metadata.encoding) === 'binary/encrypted') return { text: '' };
  let decoded: unknown;
  try {
    decoded = defaultPayloadConverter.fromPayload(payload);
  } catch {
    return { text: payload.data ? utf8.decode(payload.data) : '' };
  }
  if (decoded instanceof Uint8Array) return { text: utf8.decode(decoded) };
  return { text: JSON.stringify(decoded) ?? '', decoded };
}
