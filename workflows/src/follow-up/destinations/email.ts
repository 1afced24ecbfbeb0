import { createHash } from 'node:crypto';
import type { SmtpSettings } from '@rapport/config';
import { CodedError } from '@rapport/schema';
import {
  createTransport,
  type NodemailerError,
  type SendMailOptions,
  type SMTPTransportOptions,
} from 'nodemailer';
import type { FollowUpMessage } from '../message.js';

export type EmailErrorCode =
  /**
   * The server refused for good (a 5xx reply, to the message or to any one recipient; no
   * credentials): it will fare the same again.
   */
  | 'EMAIL_REJECTED'
  /**
   * A transient reply (4xx, to the message or to some recipients), no answer, a timeout: worth
   * retrying.
   */
  | 'EMAIL_FAILED';

/**
 * Its message names the server without its user or password and never quotes the server's
 * reply: an activity's failure is written into the workflow's history and logged, and a reply can
 * echo what it was sent (an AUTH line carries the password).
 */
export class EmailError extends CodedError<EmailErrorCode> {
  constructor(code: EmailErrorCode, message: string) {
    super(code, message, { retriable: code === 'EMAIL_FAILED' });
  }
}

/** Which step of which follow-up a message is: what makes its Message-ID. */
export interface EmailIdentity {
  readonly followUpId: string;
  readonly step: number;
}

/**
 * `<rapport.<hash of the follow-up>[.<step>]@<the sender's domain>>`: the same on every attempt,
 * so a retried send that the server had in fact accepted reads as the same message to mail
 * systems that de-duplicate, not a second one. Hashed because a follow-up id (`followup:<customer
 * id>:…`) holds characters a Message-ID cannot.
 */
function messageIds({ followUpId, step }: EmailIdentity, from: string) {
  const thread = createHash('sha256').update(followUpId).digest('hex').slice(0, 32);
  const domain = from.slice(from.lastIndexOf('@') + 1);
  return {
    message: `<rapport.${thread}.${step}@${domain}>`,
    thread: `<rapport.${thread}@${domain}>`,
  };
}

const html = (raw: string) =>
  raw
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** The message as plain text: the same parts, in the same order, as the HTML and Slack's. */
export function emailText(message: FollowUpMessage): string {
  return [
    message.title,
    message.what,
    message.ask,
    message.facts.map(([label, value]) => `${label}: ${value}`).join('\n'),
    `Open on the Rapport dashboard: ${message.link}`,
    message.origin,
  ].join('\n\n');
}

/** The message as HTML, every text escaped. */
export function emailHtml(message: FollowUpMessage): string {
  const rows = message.facts
    .map(([label, value]) => `<tr><th align="left">${html(label)}</th><td>${html(value)}</td></tr>`)
    .join('');
  return [
    '<!doctype html><html><body>',
    `<h2>${html(message.title)}</h2>`,
    `<p><strong>${html(message.what)}</strong></p>`,
    `<p>${html(message.ask)}</p>`,
    `<table cellpadding="4">${rows}</table>`,
    `<p><a href="${html(message.link)}">Open on the Rapport dashboard</a></p>`,
    `<p><small>${html(message.origin)}</small></p>`,
    '</body></html>',
  ].join('\n');
}

/**
 * The email nodemailer sends: both bodies, a stable Message-ID, the follow-up's thread in
 * `References` (so one follow-up's messages group as one conversation), and `Auto-Submitted` so
 * that auto-responders (out of office) do not answer it (RFC 3834).
 */
export function emailOf(
  message: FollowUpMessage,
  addressing: { readonly from: string; readonly to: readonly string[] },
  identity: EmailIdentity,
): SendMailOptions {
  const ids = messageIds(identity, addressing.from);
  return {
    from: { name: 'Rapport', address: addressing.from },
    to: [...addressing.to],
    subject: message.summary,
    text: emailText(message),
    html: emailHtml(message),
    messageId: ids.message,
    references: ids.thread,
    headers: {
      'Auto-Submitted': 'auto-generated',
      'X-Rapport-Follow-Up': identity.followUpId,
      'X-Rapport-Step': String(identity.step),
    },
  };
}

export interface EmailDelivery {
  /** The list's name (`email:<name>`): how errors name it. */
  readonly name: string;
  readonly smtp: SmtpSettings;
  readonly mail: SendMailOptions;
  /** The whole send's limit, and each of its waits' (connecting, the greeting, the socket). */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * One attempt: one connection, one message; throws EmailError when it was not accepted, for every
 * recipient: nodemailer sends to those the server took and resolves, naming the others in
 * `rejected`, which is a failure here too (a list that was not told is not delivered to).
 */
export async function sendEmail(delivery: EmailDelivery): Promise<void> {
  const { smtp, timeoutMs } = delivery;
  const target = `email:${delivery.name} ${smtp.shown}`;
  // Typed as the SMTP transport's, so that its result is typed too (given inline, the object picks
  // createTransport's catch-all overload, whose result is `any`).
  const options: SMTPTransportOptions = {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.implicitTls,
    requireTLS: smtp.requireStartTls,
    ...(smtp.auth === undefined ? {} : { auth: smtp.auth }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // The message is built from text only: nothing in it may make nodemailer read a file or URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  const transport = createTransport(options);
  const limit = AbortSignal.timeout(timeoutMs);
  const info = await transport
    .sendMail({
      ...delivery.mail,
      signal: delivery.signal === undefined ? limit : AbortSignal.any([limit, delivery.signal]),
    })
    .catch((error: unknown) => {
      throw emailError(target, error as NodemailerError);
    })
    .finally(() => transport.close());
  if (info.rejected.length > 0) {
    throw refusedError(target, info.rejectedErrors ?? [], {
      refused: info.rejected.length,
      of: info.accepted.length + info.rejected.length,
    });
  }
}

/** What a send that nodemailer failed throws. */
function emailError(target: string, error: NodemailerError): EmailError {
  // Every recipient refused: nodemailer reports a transient refusal in preference to a permanent
  // one, but one recipient refused for good is refused again on every retry.
  const { rejected, rejectedErrors } = error;
  if (rejected !== undefined && rejected.length > 0 && rejectedErrors !== undefined) {
    return refusedError(target, rejectedErrors, { refused: rejected.length, of: rejected.length });
  }
  return replyError(target, error);
}

/**
 * A reply that refuses for good (5xx but 503, as nodemailer reads RFC 5321) or no credentials is
 * not retried; a transient reply, a lost connection or a timeout is.
 */
function replyError(target: string, error: NodemailerError): EmailError {
  if (error.responseCode !== undefined) {
    // The command, not the reply: only nodemailer's own names of commands (`RCPT TO`, `DATA`).
    const command = /^[A-Z ]+$/.test(error.command ?? '') ? ` to ${error.command}` : '';
    return new EmailError(
      error.permanent === true ? 'EMAIL_REJECTED' : 'EMAIL_FAILED',
      `${target} answered ${error.responseCode}${command}`,
    );
  }
  const code = error.code ?? 'error';
  const detail = error.originalCode ?? error.timeoutType;
  return new EmailError(
    code === 'ENOAUTH' ? 'EMAIL_REJECTED' : 'EMAIL_FAILED',
    `${target} failed: ${code}${detail === undefined ? '' : ` (${detail})`}`,
  );
}

/**
 * Some recipients refused (their RCPT TO, or an LMTP server's reply to the message): the message
 * is refused for good when any one of them was (a retry would be refused the same), else retried,
 * the recipients who had it getting it again under the same Message-ID. Classified by the reply as
 * any other, and counted, not named: the addresses stay out of the workflow's history.
 */
function refusedError(
  target: string,
  refusals: readonly NodemailerError[],
  count: { readonly refused: number; readonly of: number },
): EmailError {
  const refusal =
    refusals.find((error) => error.permanent === true) ??
    refusals.find((error) => error.responseCode !== undefined);
  const recipients = `for ${count.refused} of ${count.of} recipients`;
  if (refusal === undefined) {
    // Refused without a reply to read: nothing says it is for good.
    return new EmailError('EMAIL_FAILED', `${target} refused ${recipients}`);
  }
  const error = replyError(target, refusal);
  return new EmailError(error.code, `${error.message} ${recipients}`);
}
