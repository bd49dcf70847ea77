import { InvalidParameterException, type MessageAttributeValue, NotFoundException, type PublishCommandInput, type PublishCommandOutput } from '@aws-sdk/client-sns';

import type { VirtualClock } from './clock.js';
import { stableUuid } from './ids.js';
import { type CommandHandler, errorMetadata, type Out, type SimService } from './wire.js';

/**
 * Simulated Amazon SNS: the topics the drill names, and Publish with the validation SNS
 * applies, so a status update that would bounce in production bounces in the drill too.
 */

/** Messages are limited to 256 KB of UTF-8 (262,144 bytes, not characters). */
export const MAX_MESSAGE_BYTES = 262_144;
/** Subjects are ASCII, without line breaks or control characters, and at most 100 characters. */
export const MAX_SUBJECT_CHARS = 100;

/** One message published to a simulated topic. */
export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  readonly messageStructure?: string;
  readonly messageAttributes?: Readonly<Record<string, { DataType: string; StringValue?: string }>>;
  readonly messageGroupId?: string;
  /** Virtual time of the publish (ISO-8601). */
  readonly at: string;
}

/** Options for {@link SimSns}. */
export interface SimSnsOptions {
  readonly clock: VirtualClock;
  /** ARNs of the topics that exist. */
  readonly topicArns: readonly string[];
}

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

function invalid(message: string): InvalidParameterException {
  return new InvalidParameterException({ message: `Invalid parameter: ${message}`, $metadata: errorMetadata(400) });
}

/** Simulated SNS topics. */
export class SimSns implements SimService {
  readonly service = 'sns' as const;
  readonly #clock: VirtualClock;
  readonly #topics: ReadonlySet<string>;
  readonly #published: PublishedMessage[] = [];

  constructor(options: SimSnsOptions) {
    this.#clock = options.clock;
    for (const arn of options.topicArns) {
      if (!TOPIC_ARN.test(arn)) throw new RangeError(`not an SNS topic ARN: ${arn}`);
    }
    this.#topics = new Set(options.topicArns);
  }

  commands(): Readonly<Record<string, CommandHandler>> {
    return { Publish: (i: PublishCommandInput) => this.publish(i) };
  }

  publish(input: PublishCommandInput): Out<PublishCommandOutput> {
    if (input.PhoneNumber !== undefined || input.TargetArn !== undefined) {
      throw invalid('the simulated account publishes to topics only (TopicArn); TargetArn and PhoneNumber are not simulated');
    }
    const topicArn = input.TopicArn;
    if (topicArn === undefined) throw invalid('TopicArn or TargetArn Reason: no value for required parameter');
    if (!TOPIC_ARN.test(topicArn)) throw invalid('TopicArn');
    if (!this.#topics.has(topicArn)) throw new NotFoundException({ message: 'Topic does not exist', $metadata: errorMetadata(404) });
    const message = input.Message;
    if (message === undefined || message.length === 0) throw invalid('Empty message');
    if (Buffer.byteLength(message, 'utf8') > MAX_MESSAGE_BYTES) throw invalid('Message too long');
    if (input.Subject !== undefined) checkSubject(input.Subject);
    if (input.MessageStructure !== undefined) checkStructure(input.MessageStructure, message);
    const fifo = topicArn.endsWith('.fifo');
    if (fifo && !input.MessageGroupId) throw invalid('The MessageGroupId parameter is required for FIFO topics');
    if (!fifo && input.MessageDeduplicationId !== undefined)
      throw invalid('MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type');
    const attributes = input.MessageAttributes ? checkAttributes(input.MessageAttributes) : undefined;
    const seq = this.#published.length + 1;
    const messageId = stableUuid(`sns/${seq}/${topicArn}`);
    this.#published.push({
      messageId,
      topicArn,
      ...(input.Subject !== undefined ? { subject: input.Subject } : {}),
      message,
      ...(input.MessageStructure !== undefined ? { messageStructure: input.MessageStructure } : {}),
      ...(attributes ? { messageAttributes: attributes } : {}),
      ...(input.MessageGroupId !== undefined ? { messageGroupId: input.MessageGroupId } : {}),
      at: this.#clock.now().toISOString(),
    });
    return fifo ? { MessageId: messageId, SequenceNumber: String(seq).padStart(20, '1') } : { MessageId: messageId };
  }

  /** A deep copy of every message published so far, in order. */
  published(): PublishedMessage[] {
    return structuredClone(this.#published);
  }

  /** The topic ARNs that exist. */
  topicArns(): string[] {
    return [...this.#topics];
  }
}

function checkSubject(subject: string): void {
  if (subject.length === 0) throw invalid('Subject');
  if (subject.length > MAX_SUBJECT_CHARS) throw invalid('Subject');
  // Printable ASCII only: no line breaks, no control characters, nothing beyond 0x7E.
  if (!/^[\x20-\x7E]+$/.test(subject)) throw invalid('Subject');
  // It must begin with a letter, digit or punctuation mark, i.e. not with a space.
  if (subject.startsWith(' ')) throw invalid('Subject');
}

function checkStructure(structure: string, message: string): void {
  if (structure !== 'json') throw invalid('MessageStructure');
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalid('Message Structure - JSON message body failed to parse');
  }
  if (parsed === null || typeof parsed !== 'object' || typeof (parsed as Record<string, unknown>)['default'] !== 'string') {
    throw invalid('Message Structure - No default entry in JSON message body');
  }
}

function checkAttributes(attributes: Record<string, MessageAttributeValue>): Record<string, { DataType: string; StringValue?: string }> {
  const out: Record<string, { DataType: string; StringValue?: string }> = {};
  const entries = Object.entries(attributes);
  if (entries.length > 10) throw invalid('Message attributes: the number of attributes must not exceed 10');
  for (const [name, value] of entries) {
    if (!value.DataType || !/^(String|Number|Binary)(\..+)?$/.test(value.DataType)) {
      throw invalid(`Message attribute '${name}' must contain a valid DataType (String, Number or Binary)`);
    }
    if (value.DataType.startsWith('Binary')) {
      if (!value.BinaryValue) throw invalid(`Message attribute '${name}' must contain a non-empty value of type '${value.DataType}'`);
      out[name] = { DataType: value.DataType, StringValue: Buffer.from(value.BinaryValue).toString('base64') };
    } else {
      if (value.StringValue === undefined || value.StringValue === '') {
        throw invalid(`Message attribute '${name}' must contain a non-empty value of type '${value.DataType}'`);
      }
      if (value.DataType.startsWith('Number') && !Number.isFinite(Number(value.StringValue))) {
        throw invalid(`Message attribute '${name}' with type 'Number' must be a valid number`);
      }
      out[name] = { DataType: value.DataType, StringValue: value.StringValue };
    }
  }
  return out;
}
