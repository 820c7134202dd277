import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createTransport } from 'nodemailer';

const FIXTURES = resolve(__dirname, '../fixtures/dsn');

/** What a relay sends back to the envelope sender: a fixture report, filled in, over real SMTP. */
export async function sendDsn(
  port: number,
  fixture: string,
  sent: { returnPath: string; envid: string; messageIdHeader: string },
  to = sent.returnPath,
): Promise<void> {
  const raw = readFileSync(resolve(FIXTURES, fixture), 'utf8')
    .replaceAll('{{RETURN_PATH}}', sent.returnPath)
    .replaceAll('{{ENVID}}', sent.envid)
    .replaceAll('{{MESSAGE_ID}}', sent.messageIdHeader)
    .replace(/\r?\n/g, '\r\n');
  const transport = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ envelope: { from: '', to: [to] }, raw });
  } finally {
    transport.close();
  }
}
