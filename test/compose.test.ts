/**
 * docker-compose.temporal.yml is the README's production-like Temporal. Nothing runs it in CI
 * (no Docker here), so this test holds it to what the README and the code promise: the
 * services, pinned images, published ports, start order, the namespace's search attributes and
 * the `pos` database behind the README's DATABASE_URL.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { transactionSearchAttributes } from '../src/domain/search-attributes';

interface ComposeService {
  image?: string;
  ports?: Array<string | number | { target: number; published?: string | number }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  environment?: string[] | Record<string, string | number | null>;
  command?: string | string[];
}

const root = path.join(__dirname, '..');
// merge: compose files use YAML merge keys (`<<: *anchor`), which YAML 1.2 leaves off by default.
const compose = parse(readFileSync(path.join(root, 'docker-compose.temporal.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const README_DATABASE_URL = 'DATABASE_URL=postgres://temporal:temporal@localhost:5432/pos';

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.temporal.yml has no service "${name}"`);
  return found;
}

/** `ports` in either compose syntax, as "host:container" pairs. */
function publishedPorts(name: string): string[] {
  return (service(name).ports ?? []).map((port) =>
    typeof port === 'object' ? `${port.published}:${port.target}` : String(port).replace(/^(?:[\d.]+:)?(\d+:\d+)(?:\/tcp)?$/, '$1'),
  );
}

/** `environment` in either compose syntax (mapping or KEY=value list). */
function environment(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
  const entries = Array.isArray(env) ? env.map((line) => line.split(/=(.*)/s).slice(0, 2)) : Object.entries(env);
  return Object.fromEntries(entries.map(([key, value]) => [key, String(value ?? '')]));
}

function commandText(name: string): string {
  const command = service(name).command ?? '';
  return Array.isArray(command) ? command.join(' ') : command;
}

/** SearchAttributeType.KEYWORD_LIST -> "KeywordList": the spelling the temporal CLI's --type takes. */
function cliType(type: string): string {
  return type
    .split('_')
    .map((word) => word.charAt(0) + word.slice(1).toLowerCase())
    .join('');
}

test('it defines the services the README describes', () => {
  expect(Object.keys(compose.services)).toEqual(
    expect.arrayContaining(['postgresql', 'temporal-schema-setup', 'temporal', 'temporal-create-namespace', 'temporal-ui']),
  );
});

test.each([
  ['postgresql', 'postgres'],
  ['temporal-schema-setup', 'temporalio/admin-tools'],
  ['temporal', 'temporalio/server'],
  ['temporal-create-namespace', 'temporalio/admin-tools'],
  ['temporal-ui', 'temporalio/ui'],
])('%s runs %s at a pinned tag', (name, repository) => {
  const [image, tag] = (service(name).image ?? '').split(':');
  expect(image).toBe(repository);
  // A version, not `latest` or nothing: a moving tag lets `docker compose pull` change Temporal under the service.
  expect(tag).toMatch(/^\d[\w.-]*$/);
});

test.each([
  ['temporal', '7233:7233'],
  ['temporal-ui', '8080:8080'],
  ['postgresql', '5432:5432'],
])('%s publishes %s', (name, mapping) => {
  expect(publishedPorts(name)).toContain(mapping);
});

test('the Temporal server starts only after the schema setup has completed successfully', () => {
  expect(service('temporal').depends_on).toMatchObject({
    'temporal-schema-setup': { condition: 'service_completed_successfully' },
  });
});

test('the namespace job registers exactly the search attributes the code uses, with their types', () => {
  const registered = [...commandText('temporal-create-namespace').matchAll(/--name\s+(\w+)\s+--type\s+(\w+)/g)].map(
    ([, name, type]) => `${name}:${type}`,
  );
  const expected = transactionSearchAttributes.map((key) => `${key.name}:${cliType(key.type)}`);
  expect(registered.sort()).toEqual(expected.sort());
});

test("PostgreSQL creates the `pos` database, with the credentials of the README's DATABASE_URL", () => {
  expect(readme).toContain(README_DATABASE_URL);
  const url = new URL(README_DATABASE_URL.slice('DATABASE_URL='.length));
  const postgres = environment('postgresql');

  expect(postgres.POSTGRES_DB).toBe(url.pathname.slice(1));
  expect(postgres.POSTGRES_USER).toBe(url.username);
  expect(postgres.POSTGRES_PASSWORD).toBe(url.password);
  expect(publishedPorts('postgresql')).toContain(`${url.port}:5432`);
});

test('Temporal and its schema setup log in to PostgreSQL with the credentials it was created with', () => {
  const { POSTGRES_USER, POSTGRES_PASSWORD } = environment('postgresql');
  expect(environment('temporal')).toMatchObject({ POSTGRES_USER, POSTGRES_PWD: POSTGRES_PASSWORD, POSTGRES_SEEDS: 'postgresql' });
  // The schema job's sql tool takes its login on the command line, not from the environment.
  expect(commandText('temporal-schema-setup')).toContain(`--ep postgresql -p 5432 -u ${POSTGRES_USER} --pw ${POSTGRES_PASSWORD}`);
});
