import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** A scriptable SMS gateway on loopback: records what it is sent, answers what the test says. */
export class FakeSmsGateway {
  readonly received: Array<{ to: string; text: string; reference: string; authorization?: string }> = [];
  status = 202;
  private server?: Server;
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (this.status < 300) this.received.push({ ...JSON.parse(body), authorization: req.headers.authorization });
        res
          .writeHead(this.status, { 'content-type': 'application/json' })
          .end(JSON.stringify(this.status < 300 ? { id: `sms-${this.received.length}` } : { error: 'refused' }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/messages`;
    return this.url;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
