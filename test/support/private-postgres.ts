import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, Interface } from 'node:readline';
import { freePort } from './ports';

/**
 * A PostgreSQL server for one test file alone (the shared test server must not be paused or
 * stopped under the other suites): started in a child process (private-postgres-server.mjs), stopped
 * and started again on request, its processes found for SIGSTOP/SIGCONT.
 */
export class PrivatePostgres {
  private child?: ChildProcessWithoutNullStreams;
  private lines?: Interface;
  private dir = '';
  private port = 0;

  get url(): string {
    return `postgres://holdfast:holdfast@127.0.0.1:${this.port}/holdfast`;
  }

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'holdfast-private-pg-'));
    chmodSync(this.dir, 0o755); // as root, PostgreSQL runs as its own user and must reach the data dir
    this.port = await freePort();
    this.child = spawn(
      process.execPath,
      [join(__dirname, 'private-postgres-server.mjs'), join(this.dir, 'data'), String(this.port)],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.lines = createInterface({ input: this.child.stdout });
    await this.answer('ready', 60_000);
  }

  async stop(): Promise<void> {
    this.child!.stdin.write('stop\n');
    await this.answer('stopped');
  }

  async restart(): Promise<void> {
    this.child!.stdin.write('start\n');
    await this.answer('started');
  }

  /** The postmaster and every process it started (backends, checkpointer, WAL writer …). */
  pids(): number[] {
    const postmaster = Number(readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((pid) => {
        try {
          // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    return [postmaster, ...children];
  }

  async close(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((r) => this.child!.once('exit', r));
      this.child.stdin.write('exit\n');
      await exited;
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private answer(expected: string, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      let stderr = '';
      const onErr = (chunk: Buffer) => (stderr += chunk.toString());
      const timer = setTimeout(
        () => done(new Error(`private PostgreSQL: no "${expected}" within ${timeoutMs} ms ${stderr}`)),
        timeoutMs,
      );
      const onLine = (line: string) => line === expected && done();
      const onExit = (code: number | null) => done(new Error(`private PostgreSQL exited (${code}) ${stderr}`));
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.lines!.off('line', onLine);
        this.child!.stderr.off('data', onErr);
        this.child!.off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      this.lines!.on('line', onLine);
      this.child!.stderr.on('data', onErr);
      this.child!.once('exit', onExit);
    });
  }
}
