import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createTransport, Transporter } from 'nodemailer';

// Beside this file under test/, or in the source tree when compiled into dist/test/ (the scale bench runs the replay).
const FIXTURES = [resolve(__dirname, '../fixtures/dsn'), resolve(__dirname, '../../../test/fixtures/dsn')].find((dir) =>
  existsSync(dir),
)!;

export interface SentMail {
  returnPath: string;
  envid: string;
  messageIdHeader: string;
}

/** A fixture report, filled in for one mail. */
function filled(fixture: string, sent: SentMail): string {
  return readFileSync(resolve(FIXTURES, fixture), 'utf8')
    .replaceAll('{{RETURN_PATH}}', sent.returnPath)
    .replaceAll('{{ENVID}}', sent.envid)
    .replaceAll('{{MESSAGE_ID}}', sent.messageIdHeader)
    .replace(/\r?\n/g, '\r\n');
}

/** What a relay sends back to the envelope sender: a fixture report, filled in, over real SMTP. */
export async function sendDsn(port: number, fixture: string, sent: SentMail, to = sent.returnPath): Promise<void> {
  const sender = dsnSender(port);
  try {
    await sender.send(fixture, sent, to);
  } finally {
    sender.close();
  }
}

/** Many reports over a few kept-open connections, as a busy relay sends them. */
export function dsnSender(
  port: number,
  connections = 2,
): { send(fixture: string, sent: SentMail, to?: string): Promise<void>; close(): void } {
  const transport: Transporter = createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: connections,
  });
  return {
    async send(fixture, sent, to = sent.returnPath) {
      await transport.sendMail({ envelope: { from: '', to: [to] }, raw: filled(fixture, sent) });
    },
    close: () => transport.close(),
  };
}
