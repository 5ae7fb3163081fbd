/**
 * Bench-only preload (`node --require .../no-keep-alive.js dist/worker.js`): replaces the
 * global fetch's connection pool with one that opens a new connection per request, to measure
 * what undici's default keep-alive (already on: its global Agent reuses connections, idle ones
 * for 4 s) is worth. It reaches undici's global-dispatcher slot, which Node's fetch reads on
 * every call; `pipelining: 0` is undici's documented switch for "no keep-alive".
 */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

type AgentConstructor = new (options: { pipelining: number }) => unknown;

// Node creates its default Agent on the first fetch; make one, then swap in a like Agent without keep-alive.
void fetch('data:,').then(() => {
  const slot = globalThis as unknown as Record<symbol, { constructor: AgentConstructor } | undefined>;
  const agent = slot[GLOBAL_DISPATCHER];
  if (agent) slot[GLOBAL_DISPATCHER] = new agent.constructor({ pipelining: 0 }) as { constructor: AgentConstructor };
});
