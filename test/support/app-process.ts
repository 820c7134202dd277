import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(__dirname, '..', '..');

/** Builds dist/ when it is missing or older than the sources (scripts/ensure-built.mjs), as `npm start` does. */
export function ensureBuilt(): void {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'ensure-built.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`build failed:\n${result.stdout}\n${result.stderr}`);
}

/**
 * The built app (`node dist/src/main.js`, what `npm run start:prod` runs) as a process of its
 * own, with only the environment given: signals reach it as they would in a container.
 */
export class AppProcess {
  readonly lines: string[] = [];
  private child?: ChildProcess;
  private exit?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    private readonly env: Record<string, string>,
    readonly url = `http://127.0.0.1:${env.PORT}`,
  ) {}

  start(): void {
    this.child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!])
      createInterface({ input: stream }).on('line', (line) => this.lines.push(line));
    this.exit = new Promise((resolve) => this.child!.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Waits until /health/ready answers 200 (or the process exits, or the time is up). */
  async ready(timeoutMs = 60_000): Promise<unknown> {
    const until = Date.now() + timeoutMs;
    let exited = false;
    void this.exit!.then(() => (exited = true));
    for (;;) {
      if (exited) throw new Error(`the app exited before it was ready:\n${this.lines.join('\n')}`);
      try {
        const res = await fetch(`${this.url}/health/ready`);
        if (res.ok) return res.json();
      } catch {
        // not listening yet
      }
      if (Date.now() > until) throw new Error(`not ready within ${timeoutMs} ms:\n${this.lines.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child!.kill(signal);
  }

  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exit!;
  }

  /** For afterAll: whatever state the test left it in. */
  async kill(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exit;
    }
  }
}
