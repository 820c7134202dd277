import { ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';

const run = promisify(execFile);
const POSTFIX = '/usr/sbin/postfix';
const POSTQUEUE = '/usr/sbin/postqueue';
const MASTER_CF = '/usr/share/postfix/master.cf.dist';

/**
 * The example relay configuration from README ("The city's mail relay"): the lines between the
 * `<!-- postfix-example -->` marker and the end of the code block after it. The tests run Postfix
 * with exactly these lines, so README's example is what the suite tests.
 */
export function readmePostfixExample(): string {
  const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
  const match = /<!-- postfix-example -->\s*```[a-z]*\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('README.md has no <!-- postfix-example --> code block');
  return match[1];
}

export interface PostfixRelayOptions {
  /** Where Postfix sends everything (the internet, here one fake MX on loopback). */
  mxPort: number;
  /** holdfast's bounce listener: reports go there. */
  bouncePort: number;
  bounceDomain: string;
  /** Lines appended after README's example (what a test changes, e.g. `smtpd_discard_ehlo_keywords = dsn`). */
  extra?: string;
}

/**
 * Debian's Postfix as the city's relay, a private instance on loopback: its own config, queue
 * and data directories under a temporary folder, started in the foreground and stopped by the
 * test. README's example configuration, with holdfast's address replaced by the test's ports,
 * plus what a private instance on a test machine needs (no DNS, short retry times).
 */
export class PostfixRelay {
  readonly dir = mkdtempSync(join(tmpdir(), 'holdfast-postfix-'));
  port = 0;
  private master?: ChildProcess;

  get logFile(): string {
    return join(this.dir, 'maillog');
  }

  /** What Postfix logged so far. */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  constructor(private readonly options: PostfixRelayOptions) {}

  get configDir(): string {
    return join(this.dir, 'etc');
  }

  async start(): Promise<string> {
    if (!existsSync(POSTFIX))
      throw new Error('Postfix is not installed: `apt-get install -y postfix` (.ci/run installs it when missing)');
    this.port = await freePort();
    const etc = this.configDir;
    mkdirSync(etc, { recursive: true });
    for (const sub of ['spool', 'data']) mkdirSync(join(this.dir, sub), { recursive: true });
    chmodSync(this.dir, 0o755);
    const overridden = new Set(
      (this.options.extra ?? '')
        .split('\n')
        .map((l) => /^\s*([a-z_]+)\s*=/.exec(l)?.[1])
        .filter(Boolean),
    );
    const example = readmePostfixExample()
      .replaceAll('bounce.stadt.example', this.options.bounceDomain)
      .replaceAll('[holdfast.intern]:2525', `[127.0.0.1]:${this.options.bouncePort}`)
      .split('\n')
      // A key the test sets itself replaces README's line (Postfix would warn about the repeat).
      .map((l) => (overridden.has(/^\s*([a-z_]+)\s*=/.exec(l)?.[1] ?? '') ? `# (set below) ${l}` : l))
      .join('\n');
    writeFileSync(
      join(etc, 'main.cf'),
      [
        '# --- README example (Installing for a city: the mail relay) ---',
        example,
        '# --- a private instance on loopback for the test ---',
        'compatibility_level = 3.6',
        `queue_directory = ${join(this.dir, 'spool')}`,
        `data_directory = ${join(this.dir, 'data')}`,
        'mail_owner = postfix',
        'setgid_group = postdrop',
        'inet_interfaces = 127.0.0.1',
        'inet_protocols = ipv4',
        'myhostname = relay.stadt.example',
        'mydestination =',
        'alias_maps =',
        'alias_database =',
        // The internet is one fake MX; DNS is off.
        `relayhost = [127.0.0.1]:${this.options.mxPort}`,
        'disable_dns_lookups = yes',
        'smtp_host_lookup = native',
        'smtp_tls_security_level = none',
        'maillog_file = /dev/stdout',
        // Retry within seconds instead of minutes; the test also flushes the queue when it wants a retry.
        'minimal_backoff_time = 10s',
        'maximal_backoff_time = 20s',
        'queue_run_delay = 5s',
        this.options.extra ?? '',
      ].join('\n') + '\n',
    );
    // The package's own master.cf (what /etc/postfix/master.cf is made from on install).
    const master = readFileSync(MASTER_CF, 'utf8')
      .split('\n')
      .map((line) => {
        if (/^smtp\s+inet\s/.test(line)) return `127.0.0.1:${this.port} inet n - n - - smtpd`;
        // No chroot: the private instance has no copy of /etc in its queue directory.
        const fields = line.split(/\s+/);
        if (/^[a-z]/.test(line) && fields.length >= 8 && fields[4] === 'y') {
          fields[4] = 'n';
          return fields.join(' ');
        }
        return line;
      })
      .join('\n');
    writeFileSync(join(etc, 'master.cf'), master);
    await run(POSTFIX, ['-c', etc, 'set-permissions']).catch(async () => {
      // set-permissions wants the postfix user's directories; retry after chown of the data dir.
      await run('chown', ['-R', 'postfix', join(this.dir, 'data')]);
      await run(POSTFIX, ['-c', etc, 'set-permissions']);
    });
    await run(POSTFIX, ['-c', etc, 'check']);
    // Postfix's log goes to a file (with a pipe for stdout, postfix-script gives up silently).
    const logFd = openSync(this.logFile, 'a');
    this.master = spawn(POSTFIX, ['-c', etc, 'start-fg'], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    await this.waitForGreeting();
    return `smtp://127.0.0.1:${this.port}`;
  }

  private async waitForGreeting(): Promise<void> {
    const until = Date.now() + 20_000;
    for (;;) {
      const ok = await new Promise<boolean>((done) => {
        const socket = connect(this.port, '127.0.0.1');
        socket.once('data', (d: Buffer) => {
          socket.destroy();
          done(d.toString().startsWith('220'));
        });
        socket.once('error', () => done(false));
      });
      if (ok) return;
      if (Date.now() > until) throw new Error(`Postfix did not answer on port ${this.port}:\n${this.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Tries every deferred mail now (`postqueue -f`), instead of waiting for the next retry. */
  async flush(): Promise<void> {
    await run(POSTQUEUE, ['-c', this.configDir, '-f']);
  }

  /** How many mails sit in the queue (`postqueue -j`: one JSON line per mail). */
  async queued(): Promise<number> {
    const { stdout } = await run(POSTQUEUE, ['-c', this.configDir, '-j']);
    return stdout.split('\n').filter((l) => l.trim().startsWith('{')).length;
  }

  async stop(): Promise<void> {
    if (this.master) {
      await run(POSTFIX, ['-c', this.configDir, 'stop']).catch(() => undefined);
      await new Promise<void>((done) => {
        if (this.master!.exitCode !== null) return done();
        const timer = setTimeout(() => {
          this.master!.kill('SIGKILL');
          done();
        }, 10_000);
        this.master!.once('exit', () => {
          clearTimeout(timer);
          done();
        });
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
