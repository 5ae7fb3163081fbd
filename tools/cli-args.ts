/**
 * The command lines of the tools (`npm run chaos`, `npm run bench`): `--name value`,
 * `--name=value` and bare boolean flags, kebab-case names mapped to a zod schema's camelCase
 * keys. A wrong flag or value stops the tool with what is wrong and its usage.
 */
import { z } from 'zod';

export class ArgsError extends Error {
  override name = 'ArgsError';
}

/**
 * `--name` of the integer option `name`: a number, and a whole one. A bound given no message of its
 * own names the flag too (zod would otherwise give it this schema's message, "must be a number").
 */
export const integer = (name: string) =>
  z.coerce
    .number({
      // Typed as any issue: zod passes this schema's checks' issues here too, not only the invalid type.
      error: (issue: z.core.$ZodRawIssue) => {
        if (issue.code === 'too_big') return `--${name} must be <= ${String(issue.maximum)}`;
        if (issue.code === 'too_small') return `--${name} must be >= ${String(issue.minimum)}`;
        return `--${name} must be a number`;
      },
    })
    .int(`--${name} must be an integer`);

export function parseArgs<Schema extends z.ZodType>(
  argv: readonly string[],
  schema: Schema,
  { booleanFlags, usage }: { booleanFlags: ReadonlySet<string>; usage: string },
): z.infer<Schema> {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (!token.startsWith('--')) throw new ArgsError(`Unexpected argument "${token}"\n${usage}`);
    const [flag, inline] = token.slice(2).split(/=(.*)/s, 2);
    const name = flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
    if (booleanFlags.has(name)) {
      raw[name] = inline === undefined ? true : inline === 'true';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ArgsError(`--${flag} needs a value\n${usage}`);
    raw[name] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown option(s): ${issue.keys.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`
        : issue.message,
    );
    throw new ArgsError(`${lines.join('\n')}\n${usage}`);
  }
  return parsed.data;
}

/** The tools' entry: the parsed arguments, or undefined after printing what is wrong (the caller exits 2). */
export function argsOrUsage<T>(parse: (argv: readonly string[]) => T, argv: readonly string[]): T | undefined {
  try {
    return parse(argv);
  } catch (err) {
    if (!(err instanceof ArgsError)) throw err;
    console.error(err.message);
    return undefined;
  }
}

/**
 * Runs a tool's `main` and exits with its code: 1, after printing the error (after `crashPrefix`,
 * if given), if it threw. The exit is explicit because a tool's clients and workers may keep
 * handles open after it is done.
 */
export function runToolMain(main: () => Promise<number | void>, crashPrefix?: string): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (err: unknown) => {
      if (crashPrefix) console.error(crashPrefix, err);
      else console.error(err);
      process.exit(1);
    },
  );
}
