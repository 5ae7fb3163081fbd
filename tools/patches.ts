/**
 * The flow's patches as the versioning procedure sees them (docs/versioning.md): when each one was
 * introduced, which of them the retirement rule lets us deprecate now, and the workflow bundle
 * with some `patched()` guards taken out (forced on or off) — how the old side of a patch is
 * captured (tools/capture-histories.ts) and how the replay suite shows that removing any one guard
 * fails a stored history (test/patch-coverage.test.ts).
 *
 * `node build/tools/patches.js --oldest-open <ISO|none> --as-of <ISO> --retention <duration>`
 * prints each patch and whether it is retirable now.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ms, { type StringValue } from 'ms';
import { z } from 'zod';
import { bundleWorkflowCode } from '@temporalio/worker';
import { argsOrUsage, parseArgs } from './cli-args';

export interface PatchRecord {
  id: string;
  /** The flow version that introduced it (the folder of test/histories/ whose code first took its new side). */
  version: string;
  /**
   * From when every execution starts on code with the patch: no execution started later can take
   * its old side. Here the commit that introduced it (this service has no production deployment
   * log yet); for a real deployment, the time its rollout finished.
   */
  introduced: string;
  /** The workflow type whose code consults it. */
  workflowType: 'processTransaction' | 'processRefund' | 'reconcileTransactions';
}

/** Every patch of src/workflows/patches.ts (test/patch-coverage.test.ts checks the two lists agree), oldest first. */
export const PATCHES: readonly PatchRecord[] = [
  { id: 'risk-screening', version: 'v2', introduced: '2026-11-25T17:24:44Z', workflowType: 'processTransaction' },
  { id: 'void-when-capture-never-arrived', version: 'v2', introduced: '2026-11-25T18:57:41Z', workflowType: 'processTransaction' },
  { id: 'release-unanswered-authorizations', version: 'v3', introduced: '2026-11-25T19:36:11Z', workflowType: 'processTransaction' },
  { id: 'settle-before-final-status', version: 'v4', introduced: '2026-12-01T20:04:29Z', workflowType: 'processTransaction' },
  { id: 'read-fate-on-any-authorization-failure', version: 'v4', introduced: '2026-12-01T20:04:29Z', workflowType: 'processTransaction' },
  { id: 'reread-unexplained-void-refusals', version: 'v5', introduced: '2026-12-02T02:21:03Z', workflowType: 'processTransaction' },
  { id: 'reread-missing-known-authorization', version: 'v6', introduced: '2026-12-02T05:24:08Z', workflowType: 'processTransaction' },
  { id: 'reread-after-lost-authorization-answers', version: 'v7', introduced: '2026-12-02T08:49:48Z', workflowType: 'processTransaction' },
  { id: 'database-steps-as-local-activities', version: 'v8', introduced: '2026-12-02T11:51:14Z', workflowType: 'processTransaction' },
  { id: 'tell-merchant-of-authorization', version: 'v9', introduced: '2026-12-07T16:08:30Z', workflowType: 'processTransaction' },
  { id: 'zuz-requests-as-local-activities', version: 'v10', introduced: '2026-12-08T04:30:00Z', workflowType: 'processTransaction' },
];

/** What visibility and the namespace say, read at `asOf`. */
export interface NamespaceReading {
  /** The start time of the oldest execution of the patch's workflow type still open at `asOf`; undefined when none was open. */
  oldestOpenStart: Date | undefined;
  /** When that reading was taken. */
  asOf: Date;
  /** The namespace's retention: how long a closed execution's history is kept (and can be reset, replayed). */
  retentionMs: number;
}

export interface Retirement {
  id: string;
  retirable: boolean;
  /** Why, in one sentence. */
  reason: string;
  /** The earliest time it could be retirable on this reading (when the oldest open one started after the patch). */
  retirableFrom?: Date;
}

/**
 * The retirement rule. A patch's old side can be taken only by an execution that started before the
 * patch was introduced. Such an execution is gone once it is closed and its retention has passed.
 * If the oldest execution open at `asOf` started at or after the patch's introduction, every
 * execution that started before it had closed by `asOf`, so none of them is open now (none can
 * start any more) and none is retained after `asOf + retention`. So the patch may be deprecated
 * (`deprecatePatch`, old side removed) at `now` when
 *   (oldest open start at asOf is undefined or >= introduced) and now >= asOf + retention.
 * A reading taken now therefore retires nothing until one retention period later: the reading must be
 * repeated (or kept) that long.
 */
export function retirement(patch: PatchRecord, reading: NamespaceReading, now: Date): Retirement {
  const introduced = new Date(patch.introduced);
  const { oldestOpenStart, asOf, retentionMs } = reading;
  if (asOf.getTime() > now.getTime()) throw new Error(`The reading (${asOf.toISOString()}) is later than now (${now.toISOString()})`);
  if (oldestOpenStart && oldestOpenStart.getTime() < introduced.getTime()) {
    return {
      id: patch.id,
      retirable: false,
      reason: `an execution started ${oldestOpenStart.toISOString()}, before the patch (${patch.introduced}), was open at ${asOf.toISOString()}`,
    };
  }
  const retirableFrom = new Date(asOf.getTime() + retentionMs);
  if (now.getTime() < retirableFrom.getTime()) {
    return {
      id: patch.id,
      retirable: false,
      retirableFrom,
      reason: `no execution from before the patch was open at ${asOf.toISOString()}, but one closed before then may be retained until ${retirableFrom.toISOString()}`,
    };
  }
  return {
    id: patch.id,
    retirable: true,
    retirableFrom,
    reason: `no execution from before the patch was open at ${asOf.toISOString()}, and the retention of any closed before then ended by ${retirableFrom.toISOString()}`,
  };
}

export function retirablePatches(reading: NamespaceReading, now: Date, patches: readonly PatchRecord[] = PATCHES): Retirement[] {
  return patches.map((patch) => retirement(patch, reading, now));
}

/**
 * What a bundle does with a patch's guard: the real `patched()`, or the guard removed (always the
 * new side, or always the old), or `by-workflow-id`: removed the way the run's workflow id says
 * (`<id>#guard:new-side:<patch>` or `#guard:old-side:<patch>`), else the real `patched()`. A replay
 * names its workflow id, so one bundle serves every patch (bundling takes ~10 s).
 */
export type Guard = 'patched' | 'new-side' | 'old-side' | 'by-workflow-id';

/** The workflow id under which a `by-workflow-id` bundle replays a history with `patchId`'s guard removed. */
export function workflowIdWithoutGuard(workflowId: string, patchId: string, side: 'new-side' | 'old-side'): string {
  return `${workflowId}#guard:${side}:${patchId}`;
}

const GUARD_BY_WORKFLOW_ID = `
import { workflowInfo as workflowInfoForGuards } from '@temporalio/workflow';

function guardByWorkflowId(patchId: string, guard: () => boolean): boolean {
  const removed = /#guard:(new-side|old-side):([^#]+)$/.exec(workflowInfoForGuards().workflowId);
  return removed && removed[2] === patchId ? removed[1] === 'new-side' : guard();
}
`;

/**
 * src/workflows/patches.ts with the guards rewritten: each `patched(X_PATCH)` becomes `true`
 * (`new-side`: the guard removed, as a change deployed without it), `false` (`old-side`: the code
 * from before the patch) or stays. Fails if a patch the caller names is not in the source.
 */
export function patchesSourceWith(source: string, guardOf: (patchId: string) => Guard): string {
  const ids = new Map([...source.matchAll(/export const (\w+_PATCH) = '([^']+)'/g)].map(([, name, id]) => [name, id]));
  if (ids.size === 0) throw new Error('No patch constants found in the patches source');
  const guarded = new Set<string>();
  const rewritten = source.replace(/\bpatched\((\w+_PATCH)\)/g, (call, name: string) => {
    const id = ids.get(name);
    if (!id) throw new Error(`patched(${name}): no such patch constant`);
    guarded.add(id);
    const guard = guardOf(id);
    if (guard === 'by-workflow-id') return `guardByWorkflowId(${name}, () => ${call})`;
    return guard === 'new-side' ? 'true' : guard === 'old-side' ? 'false' : call;
  });
  const unguarded = [...ids.values()].filter((id) => !guarded.has(id));
  if (unguarded.length) throw new Error(`No patched() guard found for ${unguarded.join(', ')}`);
  return rewritten.includes('guardByWorkflowId(') ? rewritten + GUARD_BY_WORKFLOW_ID : rewritten;
}

/** The patches in force in the code of the flow just before `patchId` was introduced: the older ones patched, it and the later ones off. */
export function codeBefore(patchId: string): (id: string) => Guard {
  const index = PATCHES.findIndex((p) => p.id === patchId);
  if (index < 0) throw new Error(`Unknown patch ${patchId}`);
  const older = new Set(PATCHES.slice(0, index).map((p) => p.id));
  return (id) => (older.has(id) ? 'patched' : 'old-side');
}

const noop = () => undefined;
const quietBundlerLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };

/**
 * The workflow bundle (from the TypeScript sources under `repository`/src/workflows) with
 * src/workflows/patches.ts rewritten by `guardOf`.
 */
export async function bundleWithGuards(guardOf: (patchId: string) => Guard, repository = process.cwd()): Promise<{ code: string }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NormalModuleReplacementPlugin } = require('webpack') as typeof import('webpack');
  const source = readFileSync(path.join(repository, 'src', 'workflows', 'patches.ts'), 'utf8');
  const replacement = path.join(mkdtempSync(path.join(os.tmpdir(), 'patches-')), 'patches-rewritten.ts');
  writeFileSync(replacement, patchesSourceWith(source, guardOf));
  return bundleWorkflowCode({
    workflowsPath: path.join(repository, 'src', 'workflows'),
    logger: quietBundlerLogger,
    webpackConfigHook: (config) => ({
      ...config,
      // The rewritten module lives outside the repository: its import of @temporalio/workflow resolves from the repository's modules.
      resolve: { ...config.resolve, modules: [...(config.resolve?.modules ?? ['node_modules']), path.join(repository, 'node_modules')] },
      plugins: [...(config.plugins ?? []), new NormalModuleReplacementPlugin(/workflows[\\/]patches(\.ts)?$/, replacement)],
    }),
  });
}

const USAGE = `Usage: node build/tools/patches.js --oldest-open <ISO time|none> [--as-of <ISO time>] [--retention <duration, e.g. 72h>] [--now <ISO time>]
  --oldest-open  start time of the oldest open processTransaction execution (visibility:
                 temporal workflow list --query "WorkflowType='processTransaction' AND ExecutionStatus='Running'" ordered by StartTime), or none
  --as-of        when that reading was taken (default: now)
  --retention    the namespace's retention (temporal operator namespace describe; default 72h, deploy/temporal/create-namespace.sh)`;

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO time');
const Args = z
  .object({
    oldestOpen: z.union([z.literal('none'), isoTime]),
    asOf: isoTime.optional(),
    now: isoTime.optional(),
    retention: z
      .string()
      .default('72h')
      .refine((s) => typeof ms(s as StringValue) === 'number', '--retention must be a duration such as 72h or 3d'),
  })
  .strict();

export function main(argv: readonly string[]): number {
  const args = argsOrUsage((a) => parseArgs(a, Args, { booleanFlags: new Set(), usage: USAGE }), argv);
  if (!args) return 2;
  const now = args.now ? new Date(args.now) : new Date();
  const reading: NamespaceReading = {
    oldestOpenStart: args.oldestOpen === 'none' ? undefined : new Date(args.oldestOpen),
    asOf: args.asOf ? new Date(args.asOf) : now,
    retentionMs: ms(args.retention as StringValue),
  };
  for (const r of retirablePatches(reading, now)) {
    console.log(`${r.retirable ? 'retirable    ' : 'not retirable'}  ${r.id.padEnd(40)} ${r.reason}`);
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
