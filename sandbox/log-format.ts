/**
 * `npm start`'s log format: human-readable lines when stdout is a terminal, JSON lines otherwise;
 * an explicit LOG_FORMAT wins. Imported before anything creates the logger (it imports nothing).
 */
export function sandboxLogFormat(env: Record<string, string | undefined>, stdoutIsTty: boolean): string {
  return env.LOG_FORMAT || (stdoutIsTty ? 'pretty' : 'json');
}

process.env.LOG_FORMAT = sandboxLogFormat(process.env, process.stdout.isTTY === true);
