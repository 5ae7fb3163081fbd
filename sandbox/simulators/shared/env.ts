/** Reading a simulator's configuration from the environment, with zod, failing loudly. */
import { z } from 'zod';

export type EnvResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** A TCP port; 0 asks the OS for a free one. Blank counts as unset, so the default applies. */
export function portVariable(defaultPort: number) {
  return z.preprocess(
    blankAsUndefined,
    z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(0).max(65535)).default(defaultPort),
  );
}

export function blankAsUndefined(value: unknown): unknown {
  return typeof value === 'string' && value.trim() === '' ? undefined : value;
}

export function parseEnv<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv): EnvResult<T> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return { ok: true, value: parsed.data };
  const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  return { ok: false, message: `Invalid environment:\n${problems.join('\n')}` };
}

/** For the standalone entry points: a bad value is a startup error, not something to guess around. */
export function valueOrExit<T>(result: EnvResult<T>): T {
  if (result.ok) return result.value;
  console.error(result.message);
  process.exit(1);
}

/** Runs `stop` once on SIGINT or SIGTERM, then exits. */
export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', handle);
  process.once('SIGTERM', handle);
}
