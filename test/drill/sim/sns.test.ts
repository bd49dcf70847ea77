import { InvalidParameterException, NotFoundException, PublishCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from '@jest/globals';

import { at, ESCALATION_TOPIC, fixtureAccount, STATUS_TOPIC } from './fixture.js';

describe('simulated SNS Publish', () => {
  it('publishes to a known topic, returns a MessageId and keeps the message with its virtual time', async () => {
    const account = fixtureAccount();
    account.clock.advanceTo(at(90));
    const { sns } = account.clients();
    const out = await sns.send(new PublishCommand({ TopicArn: STATUS_TOPIC, Subject: '[SEV2] Investigating: checkout 5xx rate', Message: 'Status: Investigating' }));
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    await sns.send(new PublishCommand({ TopicArn: ESCALATION_TOPIC, Message: 'page', MessageAttributes: { severity: { DataType: 'String', StringValue: 'SEV2' } } }));
    expect(account.published()).toEqual([
      { messageId: out.MessageId, topicArn: STATUS_TOPIC, subject: '[SEV2] Investigating: checkout 5xx rate', message: 'Status: Investigating', at: at(90).toISOString() },
      expect.objectContaining({ topicArn: ESCALATION_TOPIC, messageAttributes: { severity: { DataType: 'String', StringValue: 'SEV2' } } }),
    ]);
  });

  it('answers NotFoundException for a topic that does not exist', async () => {
    const { sns } = fixtureAccount().clients();
    const other = 'arn:aws:sns:us-east-1:123456789012:somebody-else';
    await expect(sns.send(new PublishCommand({ TopicArn: other, Message: 'x' }))).rejects.toBeInstanceOf(NotFoundException);
  });

  it('validates the subject like SNS: at most 100 printable ASCII characters on one line', async () => {
    const { sns } = fixtureAccount().clients();
    const publish = (Subject: string) => sns.send(new PublishCommand({ TopicArn: STATUS_TOPIC, Subject, Message: 'x' }));
    await expect(publish('a'.repeat(100))).resolves.toHaveProperty('MessageId');
    await expect(publish('a'.repeat(101))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(publish('Checkout – broken')).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(publish('two\nlines')).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(publish('')).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('limits messages to 256 KB of UTF-8 and refuses empty ones', async () => {
    const account = fixtureAccount();
    const { sns } = account.clients();
    const publish = (Message: string) => sns.send(new PublishCommand({ TopicArn: STATUS_TOPIC, Message }));
    await expect(publish('x'.repeat(262_144))).resolves.toHaveProperty('MessageId');
    await expect(publish('x'.repeat(262_145))).rejects.toBeInstanceOf(InvalidParameterException);
    // 131,073 two-byte characters: fewer characters than the limit, more bytes.
    await expect(publish('é'.repeat(131_073))).rejects.toThrow('Invalid parameter: Message too long');
    await expect(publish('')).rejects.toThrow('Invalid parameter: Empty message');
    expect(account.published()).toHaveLength(1);
  });

  it('checks json message structure', async () => {
    const { sns } = fixtureAccount().clients();
    const publish = (Message: string) => sns.send(new PublishCommand({ TopicArn: STATUS_TOPIC, Message, MessageStructure: 'json' }));
    await expect(publish(JSON.stringify({ default: 'hi', email: 'hello' }))).resolves.toHaveProperty('MessageId');
    await expect(publish(JSON.stringify({ email: 'hello' }))).rejects.toBeInstanceOf(InvalidParameterException);
  });
});
