import { createServer, Server } from 'node:net';
import { announcesDsn, readEhloExtensions } from './relay-ehlo';

describe('announcesDsn', () => {
  it.each<[string, string[] | undefined, boolean]>([
    [
      "Postfix's EHLO",
      ['PIPELINING', 'SIZE 10240000', 'VRFY', 'ETRN', 'ENHANCEDSTATUSCODES', '8BITMIME', 'DSN', 'SMTPUTF8', 'CHUNKING'],
      true,
    ],
    ['lower case', ['pipelining', 'dsn'], true],
    [
      'DSN taken out (smtpd_discard_ehlo_keywords = dsn)',
      ['PIPELINING', 'SIZE 10240000', 'ENHANCEDSTATUSCODES', '8BITMIME'],
      false,
    ],
    ['a keyword that only starts with the letters', ['DSNX'], false],
    ['no EHLO seen', undefined, false],
  ])('%s', (_name, lines, expected) => {
    expect(announcesDsn(lines)).toBe(expected);
  });
});

describe('readEhloExtensions against a real socket', () => {
  let server: Server;
  let port = 0;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((socket) => {
      socket.write('220 relay.stadt.example ESMTP\r\n');
      socket.on('data', (d) => {
        const line = d.toString().trim();
        seen.push(line);
        if (line.startsWith('EHLO')) socket.write('250-relay.stadt.example\r\n250-PIPELINING\r\n250-DSN\r\n250 SMTPUTF8\r\n');
        if (line === 'QUIT') socket.end('221 2.0.0 Bye\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads the extensions (without the server name), says EHLO with our name and quits', async () => {
    expect(await readEhloExtensions(`smtp://127.0.0.1:${port}`, 'bounce.stadt.example')).toEqual([
      'PIPELINING',
      'DSN',
      'SMTPUTF8',
    ]);
    expect(seen.slice(0, 1)).toEqual(['EHLO bounce.stadt.example']);
  });

  it('a closed port is an error, not a hang', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(readEhloExtensions(`smtp://127.0.0.1:${closedPort}`, 'x', 1000)).rejects.toThrow(/ECONNREFUSED/);
  });
});
