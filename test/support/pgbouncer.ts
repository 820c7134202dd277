import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './ports';

export const PGBOUNCER = '/usr/sbin/pgbouncer';

/** The installed PgBouncer's version, e.g. `1.18.0`. */
export function pgbouncerVersion(): string {
  return /PgBouncer (\d+\.\d+\.\d+)/.exec(execFileSync(PGBOUNCER, ['--version']).toString())![1];
}

/**
 * Debian's PgBouncer in front of one database, in transaction-pooling mode with a small server
 * pool (so the app's connections really share server sessions), on a loopback port of its own.
 * Clients log in as anyone (auth_type any); PgBouncer logs in to PostgreSQL as the URL's user.
 */
export class Pgbouncer {
  private child?: ChildProcess;
  private dir = '';
  private port = 0;

  constructor(
    private readonly directUrl: string,
    private readonly poolSize = 3,
  ) {}

  get url(): string {
    const direct = new URL(this.directUrl);
    return `postgres://app@127.0.0.1:${this.port}${direct.pathname}`;
  }

  get log(): string {
    return readFileSync(join(this.dir, 'pgbouncer.log'), 'utf8');
  }

  async start(): Promise<void> {
    const direct = new URL(this.directUrl);
    const database = direct.pathname.slice(1);
    this.dir = mkdtempSync(join(tmpdir(), 'holdfast-pgbouncer-'));
    chmodSync(this.dir, 0o777); // run as root, PgBouncer drops to nobody and writes its log here
    this.port = await freePort();
    writeFileSync(
      join(this.dir, 'pgbouncer.ini'),
      [
        '[databases]',
        `${database} = host=${direct.hostname} port=${direct.port} dbname=${database} user=${decodeURIComponent(direct.username)} password=${decodeURIComponent(direct.password)}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${this.port}`,
        'unix_socket_dir =',
        'auth_type = any',
        'pool_mode = transaction',
        `default_pool_size = ${this.poolSize}`,
        'max_client_conn = 200',
        `logfile = ${join(this.dir, 'pgbouncer.log')}`,
        `pidfile = ${join(this.dir, 'pgbouncer.pid')}`,
        '',
      ].join('\n'),
    );
    chmodSync(join(this.dir, 'pgbouncer.ini'), 0o644);
    const asRoot = process.getuid?.() === 0;
    this.child = spawn(PGBOUNCER, [...(asRoot ? ['-u', 'nobody'] : []), join(this.dir, 'pgbouncer.ini')], { stdio: 'ignore' });
    for (let i = 0; ; i++) {
      try {
        const client = new Client({ connectionString: this.url });
        await client.connect();
        await client.end();
        return;
      } catch (err) {
        if (i > 100 || this.child.exitCode !== null) throw new Error(`PgBouncer did not start: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((r) => this.child!.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
