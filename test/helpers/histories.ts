/** The committed corpus of real workflow histories (test/histories/<flow version>/<branch>.json). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface StoredHistory {
  file: string;
  version: string;
  workflowId: string;
  branch: string;
  history: unknown;
}

const root = path.join(__dirname, '..', 'histories');

export function storedHistories(): StoredHistory[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.endsWith('.partial'))
    .flatMap((dir) =>
      readdirSync(path.join(root, dir.name))
        .filter((name) => name.endsWith('.json'))
        .map((name) => {
          const file = path.join(root, dir.name, name);
          const stored = JSON.parse(readFileSync(file, 'utf8'));
          return { file: path.relative(process.cwd(), file), version: dir.name, ...stored };
        }),
    );
}
