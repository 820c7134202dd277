import { connect as connectTcp, Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/**
 * Asks an SMTP server what it offers: greeting, EHLO, QUIT, nothing sent. For the start-up check
 * of our relay (does it announce DSN?). `smtps://` is implicit TLS; with `smtp://` the
 * extensions are read before STARTTLS, which is where a relay lists them too.
 */
export async function readEhloExtensions(url: string, heloName: string, timeoutMs = 5000): Promise<string[]> {
  const target = new URL(url);
  const secure = target.protocol === 'smtps:';
  const port = Number(target.port || (secure ? 465 : 25));
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const socket: Socket = secure
    ? connectTls({ host, port, servername: host, rejectUnauthorized: false })
    : connectTcp({ host, port });
  socket.setEncoding('utf8');
  let buffer = '';
  let waiting: ((reply: { code: number; lines: string[] }) => void) | undefined;
  let failed: ((err: Error) => void) | undefined;
  const replies: Array<{ code: number; lines: string[] }> = [];
  let pending: string[] = [];
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, end).replace(/\r$/, '');
      buffer = buffer.slice(end + 1);
      pending.push(line.slice(4));
      // The last line of a reply has a space after the code ("250 SIZE"), the others a dash.
      if (line.charAt(3) !== '-') {
        replies.push({ code: Number.parseInt(line.slice(0, 3), 10), lines: pending });
        pending = [];
      }
    }
    if (waiting && replies.length) waiting(replies.shift()!);
  });
  const reply = () =>
    new Promise<{ code: number; lines: string[] }>((resolve, reject) => {
      if (replies.length) return resolve(replies.shift()!);
      waiting = (r) => {
        waiting = undefined;
        resolve(r);
      };
      failed = reject;
    });
  socket.on('error', (err) => failed?.(err));
  socket.on('close', () => failed?.(new Error('connection closed')));
  const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  try {
    const greeting = await reply();
    if (greeting.code !== 220) throw new Error(`greeting ${greeting.code} ${greeting.lines.join(' ')}`);
    socket.write(`EHLO ${heloName}\r\n`);
    const ehlo = await reply();
    if (ehlo.code !== 250) throw new Error(`EHLO answered ${ehlo.code} ${ehlo.lines.join(' ')}`);
    socket.write('QUIT\r\n');
    // The first line is the server's name; the rest are its extensions.
    return ehlo.lines.slice(1).map((l) => l.trim());
  } finally {
    clearTimeout(timer);
    failed = undefined;
    socket.end();
    socket.destroy();
  }
}

/** Whether EHLO lines (nodemailer's `info.ehlo`, or `readEhloExtensions`) announce DSN (RFC 3461). */
export function announcesDsn(ehloLines: readonly string[] | undefined): boolean {
  return (ehloLines ?? []).some((line) => /^DSN\b/i.test(line.trim()));
}
