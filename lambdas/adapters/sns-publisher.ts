import { type MessageAttributeValue, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';

import type { ChatContent } from '../core/chat-message.js';
import { AwsOperationError, callAws } from './errors.js';

/**
 * Status updates and pages over SNS. Incident text is built from alarm names, reasons and config,
 * so it can contain anything; this module makes it fit SNS's rules instead of letting a Publish
 * fail in the middle of an incident.
 */

/** SNS default maximum for body plus message attributes (256 KiB, counted in UTF-8 bytes). */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** SNS wants subjects "less than 100 characters long". */
export const SNS_MAX_SUBJECT_CHARS = 99;

export const PublishRequestSchema = z.object({
  topicArn: z.string().min(1),
  /** Email subject line; sanitized to what SNS accepts (ASCII, one line, < 100 characters). */
  subject: z.string().optional(),
  message: z.string(),
  /** Sent as String message attributes (for subscription filter policies). Empty values are left out. */
  attributes: z.record(z.string(), z.string()).optional(),
});
export type PublishRequest = z.infer<typeof PublishRequestSchema> & {
  /**
   * The chat copy of this message (lambdas/operations/chat-relay.ts): its structured content, or
   * `false` for a message that is a copy of one already relayed. SNS itself never sees it.
   * @default - derived from the subject, message and attributes
   */
  readonly chat?: ChatContent | false;
};

/** A message attribute name SNS would reject. */
export class InvalidMessageAttributeError extends Error {
  override readonly name = 'InvalidMessageAttributeError';
  constructor(
    readonly attributeName: string,
    reason: string,
  ) {
    super(`message attribute name "${attributeName}" is not valid for SNS: ${reason}`);
  }
}

/** Publishes to SNS topics over `@aws-sdk/client-sns`. */
export class SnsPublisher {
  constructor(private readonly client: SNSClient = new SNSClient({})) {}

  /**
   * Publishes one message. The subject is sanitized and the body truncated (with a note saying so)
   * when body and attributes together exceed 256 KiB.
   *
   * @throws InvalidMessageAttributeError for an attribute name SNS rejects
   */
  async publish(request: PublishRequest): Promise<{ messageId: string }> {
    const { topicArn, subject, message, attributes } = PublishRequestSchema.parse(request);
    const messageAttributes = toMessageAttributes(attributes ?? {});
    const cleanSubject = subject === undefined ? '' : sanitizeSubject(subject);
    const body = truncateMessage(message === '' ? '(no message body)' : message, SNS_MAX_MESSAGE_BYTES - attributeBytes(messageAttributes));

    const output = await callAws('SNS Publish', `topic ${topicArn}`, () =>
      this.client.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: body,
          ...(cleanSubject !== '' ? { Subject: cleanSubject } : {}),
          ...(Object.keys(messageAttributes).length > 0 ? { MessageAttributes: messageAttributes } : {}),
        }),
      ),
    );
    if (!output.MessageId) throw new AwsOperationError(`SNS Publish on topic ${topicArn} returned no MessageId`);
    return { messageId: output.MessageId };
  }
}

/**
 * Makes a subject SNS accepts: accents are stripped and other non-ASCII characters become "?",
 * control characters and line breaks become spaces, runs of whitespace collapse to one space, and
 * anything longer than 99 characters is cut and ends with "...".
 */
export function sanitizeSubject(subject: string): string {
  const ascii = subject
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ')
    .replace(/[^\x20-\x7e]/gu, '?')
    .replace(/ +/g, ' ')
    .trim();
  if (ascii.length <= SNS_MAX_SUBJECT_CHARS) return ascii;
  return `${ascii.slice(0, SNS_MAX_SUBJECT_CHARS - 3).trimEnd()}...`;
}

/**
 * Cuts a message to at most `maxBytes` UTF-8 bytes, on a character boundary, and appends a line
 * that says it was truncated and how big it was. Messages that fit are returned unchanged.
 */
export function truncateMessage(message: string, maxBytes: number): string {
  const encoder = new TextEncoder();
  const bytes = encoder.encode(message);
  if (bytes.length <= maxBytes) return message;
  const marker = `\n\n[truncated: the full message was ${bytes.length} bytes, over the SNS limit]`;
  let cut = Math.max(0, maxBytes - encoder.encode(marker).length);
  // Never split a multi-byte character: back off over UTF-8 continuation bytes (10xxxxxx).
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return new TextDecoder().decode(bytes.subarray(0, cut)) + marker;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;

function toMessageAttributes(attributes: Record<string, string>): Record<string, MessageAttributeValue> {
  const result: Record<string, MessageAttributeValue> = {};
  for (const name of Object.keys(attributes).sort()) {
    if (!ATTRIBUTE_NAME.test(name)) throw new InvalidMessageAttributeError(name, 'use 1-256 letters, digits, _ - or .');
    if (/^(aws|amazon)\./i.test(name)) throw new InvalidMessageAttributeError(name, 'the AWS. and Amazon. prefixes are reserved');
    if (name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
      throw new InvalidMessageAttributeError(name, 'it may not start or end with a period or contain two in a row');
    }
    const value = attributes[name]!;
    // SNS rejects empty attribute values; leaving the attribute out is the same to a filter policy.
    if (value === '') continue;
    result[name] = { DataType: 'String', StringValue: value };
  }
  return result;
}

function attributeBytes(attributes: Record<string, MessageAttributeValue>): number {
  const encoder = new TextEncoder();
  let total = 0;
  for (const [name, value] of Object.entries(attributes)) {
    total += encoder.encode(name).length + encoder.encode(value.DataType ?? '').length + encoder.encode(value.StringValue ?? '').length;
  }
  return total;
}
