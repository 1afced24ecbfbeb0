import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * Real local receivers for the follow-ups' destinations: an HTTP endpoint standing in for Slack's
 * incoming webhooks, and an SMTP server (smtp-server) receiving what nodemailer sends.
 */

export interface SlackRequest {
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
  readonly status: number;
}

export interface SlackReceiver {
  /** Its origin; an incoming webhook's URL is this plus `/services/<team>/<bot>/<token>`. */
  readonly origin: string;
  readonly received: SlackRequest[];
  /** Statuses to answer with, one per request in order; then 200 `ok`, as Slack answers. */
  readonly answers: number[];
  close(): Promise<void>;
}

export async function startSlackReceiver(): Promise<SlackReceiver> {
  const received: SlackRequest[] = [];
  const answers: number[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const status = answers.shift() ?? 200;
      received.push({
        path: request.url ?? '',
        contentType: request.headers['content-type'] ?? '',
        body,
        status,
      });
      // Slack's answers: `ok`, or the error's name (`invalid_payload`, `no_service`, …).
      response.writeHead(status, { 'content-type': 'text/html' }).end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    answers,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface ReceivedMail {
  /** The SMTP envelope. */
  readonly from: string;
  readonly to: string[];
  /** Who authenticated. */
  readonly user: string;
  readonly raw: string;
  /** The reply to DATA: 250, or what the test asked the server to answer. */
  readonly status: number;
}

/** One RCPT TO and the reply it had. */
export interface ReceivedRecipient {
  readonly address: string;
  readonly status: number;
}

export interface SmtpReceiver {
  readonly port: number;
  readonly received: ReceivedMail[];
  /** Replies to DATA, one per message in order, then 250 (accepted). */
  readonly answers: number[];
  /** Every RCPT TO, in order, with its reply: a refused recipient's too. */
  readonly recipients: ReceivedRecipient[];
  /** Replies to RCPT TO by address, one per command naming it in order, then 250 (accepted). */
  readonly recipientAnswers: Map<string, number[]>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback that takes one user and password. Plain text (no STARTTLS on
 * offer), as a local relay would be: the worker requires STARTTLS to any other host.
 */
export async function startSmtpReceiver(user: string, password: string): Promise<SmtpReceiver> {
  const received: ReceivedMail[] = [];
  const answers: number[] = [];
  const recipients: ReceivedRecipient[] = [];
  const recipientAnswers = new Map<string, number[]>();
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) {
        callback(null, { user: auth.username });
      } else
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo({ address }, _session, callback) {
      const status = recipientAnswers.get(address)?.shift() ?? 250;
      recipients.push({ address, status });
      if (status === 250) callback();
      else callback(Object.assign(new Error('Not this one'), { responseCode: status }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const status = answers.shift() ?? 250;
        received.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((address) => address.address),
          user: String(session.user),
          raw: Buffer.concat(chunks).toString('utf8'),
          status,
        });
        if (status === 250) callback();
        else callback(Object.assign(new Error('Not now'), { responseCode: status }));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    received,
    answers,
    recipients,
    recipientAnswers,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface ParsedMail {
  /** Header names in lower case, values unfolded and decoded. */
  readonly headers: ReadonlyMap<string, string>;
  readonly text: string;
  readonly html: string;
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`), as headers carry non-ASCII. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([qb])\?([^?]*)\?=/gi, (_, encoding: string, text: string) =>
      encoding.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('utf8')
        : quotedPrintable(text.replace(/_/g, ' ')),
    );
}

function quotedPrintable(text: string): string {
  const bytes = text
    .replace(/=\r?\n/g, '')
    .split(/(=[0-9A-F]{2})/i)
    .flatMap((part) =>
      /^=[0-9A-F]{2}$/i.test(part)
        ? [Buffer.from([parseInt(part.slice(1), 16)])]
        : [Buffer.from(part, 'latin1')],
    );
  return Buffer.concat(bytes).toString('utf8');
}

function split(entity: string): { headers: Map<string, string>; body: string } {
  const end = entity.indexOf('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of entity
    .slice(0, end)
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(
      line.slice(0, colon).trim().toLowerCase(),
      decodeWords(line.slice(colon + 1).trim()),
    );
  }
  return { headers, body: entity.slice(end + 4) };
}

function decodeBody(headers: ReadonlyMap<string, string>, body: string): string {
  const encoding = headers.get('content-transfer-encoding')?.toLowerCase();
  if (encoding === 'quoted-printable') return quotedPrintable(body);
  if (encoding === 'base64') return Buffer.from(body, 'base64').toString('utf8');
  return body;
}

/** A message with a plain-text and an HTML alternative, as nodemailer writes it. */
export function parseMail(raw: string): ParsedMail {
  const { headers, body } = split(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get('content-type') ?? '')?.[1];
  if (boundary === undefined) throw new Error('expected a multipart message');
  const parts = body
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => split(part.replace(/^\r\n/, '')));
  const alternative = (type: string) => {
    const part = parts.find((found) => found.headers.get('content-type')?.startsWith(type));
    if (part === undefined) throw new Error(`expected a ${type} part`);
    return decodeBody(part.headers, part.body.replace(/\r\n$/, ''));
  };
  return { headers, text: alternative('text/plain'), html: alternative('text/html') };
}
