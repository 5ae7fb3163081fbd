/**
 * The command lines of the tools (`npm run chaos`, `npm run bench`, `npm run simulate`, ...):
 * parsed by Node's own `util.parseArgs` (`--name value`, `--name=value`, bare boolean flags), the
 * options being the keys of the tool's zod schema in kebab-case, which then checks the values.
 * `--help` (or `-h`) prints the usage and exits 0; a wrong flag or value stops the tool with what
 * is wrong and its usage (exit 2).
 */
import { parseArgs as parseCommandLine } from 'node:util';
import { z } from 'zod';

export class ArgsError extends Error {
  override name = 'ArgsError';
}

/** `--help`: not an error, but it ends the parse the same way. */
export class HelpRequested extends ArgsError {
  override name = 'HelpRequested';
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

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** util.parseArgs's errors, in the tools' words. */
function describeParseError(err: unknown): string {
  const { code, message } = err as { code?: string; message?: string };
  const quoted = /'([^']*)'/.exec(message ?? '')?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option(s): ${quoted}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      // "Option '--seed <value>' argument missing", "Option '--quick' does not take an argument", or ambiguous
      if (/argument missing/.test(message ?? '')) return `${quoted.split(' ')[0]} needs a value`;
      if (/does not take an argument/.test(message ?? '')) return `${quoted.split(' ')[0]} takes no value`;
      return message ?? String(err);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `Unexpected argument "${quoted}"`;
    default:
      throw err;
  }
}

export function parseArgs<Schema extends z.ZodType>(
  argv: readonly string[],
  schema: Schema,
  { booleanFlags, usage }: { booleanFlags: ReadonlySet<string>; usage: string },
): z.infer<Schema> {
  const keys = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const key of keys) options[kebab(key)] = { type: booleanFlags.has(key) ? 'boolean' : 'string' };
  // A boolean flag may also be written --flag=true or --flag=false, which util.parseArgs refuses.
  const raw: Record<string, unknown> = {};
  const args = argv.filter((token) => {
    const match = /^--([^=]+)=(true|false)$/.exec(token);
    if (!match || options[match[1]]?.type !== 'boolean') return true;
    raw[camel(match[1])] = match[2] === 'true';
    return false;
  });
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseCommandLine({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ArgsError(`${describeParseError(err)}\n${usage}`);
  }
  if (values.help) throw new HelpRequested(usage);
  for (const [flag, value] of Object.entries(values)) raw[camel(flag)] = value;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys' ? `unknown option(s): ${issue.keys.map((k) => `--${kebab(k)}`).join(', ')}` : issue.message,
    );
    throw new ArgsError(`${lines.join('\n')}\n${usage}`);
  }
  return parsed.data;
}

/**
 * The tools' entry: the parsed arguments, or undefined after printing what is wrong (the caller
 * exits 2). `--help` prints the usage and exits 0 here, before the tool starts anything.
 */
export function argsOrUsage<T>(parse: (argv: readonly string[]) => T, argv: readonly string[]): T | undefined {
  try {
    return parse(argv);
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(err.message);
      process.exit(0);
    }
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
