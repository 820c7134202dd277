import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './ports';

export interface OidcAccount {
  email: string;
  name: string;
  holdfast_role?: string | string[];
  holdfast_offices?: string[];
}

/** The test's own OpenID provider (oidc-provider-server.mjs), on a loopback port. */
export class LocalOidcProvider {
  private child?: ChildProcess;
  issuer = '';
  readonly clientId = 'holdfast-console';
  readonly clientSecret = 'holdfast-console-secret-for-tests';
  readonly stderr: string[] = [];

  async start(redirectUri: string, accounts: Record<string, OidcAccount>): Promise<void> {
    const port = await freePort();
    this.issuer = `http://127.0.0.1:${port}`;
    this.child = spawn(
      process.execPath,
      [
        join(__dirname, 'oidc-provider-server.mjs'),
        String(port),
        this.clientId,
        this.clientSecret,
        redirectUri,
        JSON.stringify(accounts),
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.child.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    const lines = createInterface({ input: this.child.stdout! });
    lines.on('line', (line) => {
      if (line === 'changed') this.changed.shift()?.();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`OpenID provider did not start: ${this.stderr.join('')}`)), 20_000);
      lines.on('line', (line) => {
        if (line === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
      this.child!.once('exit', (code) => reject(new Error(`OpenID provider exited ${code}: ${this.stderr.join('')}`)));
    });
  }

  private readonly changed: Array<() => void> = [];

  /** Adds or changes accounts at the running provider (a directory change); resolves once it has them. */
  setAccounts(accounts: Record<string, OidcAccount>): Promise<void> {
    return new Promise((resolve) => {
      this.changed.push(resolve);
      this.child!.stdin!.write(`${JSON.stringify(accounts)}\n`);
    });
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child!.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}
