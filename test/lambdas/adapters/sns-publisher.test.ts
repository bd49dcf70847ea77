import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { AwsAccessDeniedError, AwsResourceNotFoundError, TransientAwsError } from '../../../lambdas/adapters/errors.js';
import { InvalidMessageAttributeError, sanitizeSubject, SNS_MAX_MESSAGE_BYTES, SnsPublisher, truncateMessage } from '../../../lambdas/adapters/sns-publisher.js';
import { sdkError } from './sdk-errors.js';

const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:tourniquet-status-prod';
const utf8Length = (s: string) => new TextEncoder().encode(s).length;

describe('SnsPublisher.publish', () => {
  const publisher = new SnsPublisher(sns as unknown as SNSClient);

  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  });

  it('publishes subject, message and String attributes', async () => {
    const result = await publisher.publish({
      topicArn: TOPIC,
      subject: '[SEV2] Mitigated: checkout 5xx rate',
      message: 'Status: Mitigated\nSeverity: SEV2',
      attributes: { status: 'Mitigated', severity: 'SEV2', incidentId: 'inc-1' },
    });

    expect(result).toEqual({ messageId: 'msg-1' });
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([
      {
        TopicArn: TOPIC,
        Subject: '[SEV2] Mitigated: checkout 5xx rate',
        Message: 'Status: Mitigated\nSeverity: SEV2',
        MessageAttributes: {
          incidentId: { DataType: 'String', StringValue: 'inc-1' },
          severity: { DataType: 'String', StringValue: 'SEV2' },
          status: { DataType: 'String', StringValue: 'Mitigated' },
        },
      },
    ]);
  });

  it('sends no Subject or MessageAttributes when there are none', async () => {
    await publisher.publish({ topicArn: TOPIC, message: 'hello' });

    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toEqual({ TopicArn: TOPIC, Message: 'hello' });
  });

  it('sanitizes the subject it sends', async () => {
    await publisher.publish({ topicArn: TOPIC, subject: 'Résumé:\n  café\tdown ✅', message: 'm' });

    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Subject).toBe('Resume: cafe down ?');
  });

  it('leaves an attribute with an empty value out (SNS rejects empty values)', async () => {
    await publisher.publish({ topicArn: TOPIC, message: 'm', attributes: { status: 'Resolved', note: '' } });

    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.MessageAttributes).toEqual({ status: { DataType: 'String', StringValue: 'Resolved' } });
  });

  it.each([
    ['with a space', 'bad name'],
    ['with a reserved prefix', 'AWS.trace'],
    ['with two periods in a row', 'a..b'],
  ])('refuses an attribute name %s without calling SNS', async (_what, name) => {
    await expect(publisher.publish({ topicArn: TOPIC, message: 'm', attributes: { [name]: 'x' } })).rejects.toThrow(InvalidMessageAttributeError);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('truncates a message so that body and attributes fit in 256 KiB, saying so', async () => {
    const attributes = { incidentId: 'inc-1' };
    await publisher.publish({ topicArn: TOPIC, message: 'é'.repeat(200_000), attributes });

    const sent = sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!;
    const attributeBytes = utf8Length('incidentId') + utf8Length('String') + utf8Length('inc-1');
    expect(utf8Length(sent)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES - attributeBytes);
    expect(utf8Length(sent)).toBeGreaterThan(SNS_MAX_MESSAGE_BYTES - attributeBytes - 200);
    expect(sent).toMatch(/\[truncated: the full message was 400000 bytes, over the SNS limit\]$/);
    expect(sent).not.toContain('\uFFFD');
  });

  it('maps SNS throttling to TransientAwsError', async () => {
    sns.on(PublishCommand).rejects(sdkError('ThrottledException', 'Rate exceeded'));

    await expect(publisher.publish({ topicArn: TOPIC, message: 'm' })).rejects.toThrow(TransientAwsError);
  });

  it('maps an authorization error to AwsAccessDeniedError', async () => {
    sns.on(PublishCommand).rejects(sdkError('AuthorizationErrorException', 'not authorized to perform: SNS:Publish', { status: 403 }));

    await expect(publisher.publish({ topicArn: TOPIC, message: 'm' })).rejects.toThrow(/SNS Publish on topic arn:aws:sns:.*tourniquet-status-prod failed/);
    await expect(publisher.publish({ topicArn: TOPIC, message: 'm' })).rejects.toThrow(AwsAccessDeniedError);
  });

  it('maps a missing topic to AwsResourceNotFoundError', async () => {
    sns.on(PublishCommand).rejects(sdkError('NotFoundException', 'Topic does not exist', { status: 404 }));

    await expect(publisher.publish({ topicArn: TOPIC, message: 'm' })).rejects.toThrow(AwsResourceNotFoundError);
  });
});

describe('sanitizeSubject', () => {
  it('keeps a clean subject as it is', () => {
    expect(sanitizeSubject('[SEV1] Investigating: checkout 5xx rate')).toBe('[SEV1] Investigating: checkout 5xx rate');
  });

  it('turns line breaks and control characters into single spaces and trims', () => {
    expect(sanitizeSubject('  a\r\nb\u0007c  \u2028 d ')).toBe('a b c d');
  });

  it('replaces non-ASCII characters, stripping accents first', () => {
    expect(sanitizeSubject('Zürich → Paris 🚨')).toBe('Zurich ? Paris ?');
  });

  it('cuts subjects to fewer than 100 characters, ending with "..."', () => {
    const subject = sanitizeSubject(`[SEV2] ${'x'.repeat(200)}`);
    expect(subject).toHaveLength(99);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('keeps a subject of exactly 99 characters whole', () => {
    const subject = 'y'.repeat(99);
    expect(sanitizeSubject(subject)).toBe(subject);
  });
});

describe('truncateMessage', () => {
  it('returns a message that fits unchanged', () => {
    expect(truncateMessage('short', 100)).toBe('short');
  });

  it('never splits a multi-byte character', () => {
    const out = truncateMessage('€'.repeat(100), 120);
    expect(utf8Length(out)).toBeLessThanOrEqual(120);
    expect(out).not.toContain('\uFFFD');
    expect(out.startsWith('€')).toBe(true);
  });
});
