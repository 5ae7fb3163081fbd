/** What `deploy/compose-env.sh` writes to `.env` (fresh payload keys, the sandbox settings), as variables. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function composeDotEnv(dir: string): Record<string, string> {
  const file = path.join(dir, '.env');
  const run = spawnSync('sh', [path.join(__dirname, '..', '..', 'deploy', 'compose-env.sh'), file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`deploy/compose-env.sh failed: ${run.stderr}`);
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Za-z_]\w*=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}
