import { describe, expect, it } from '@jest/globals';

import { MemoryMetricsSink } from '../../../lambdas/adapters/memory-metrics.js';
import type { PublishRequest } from '../../../lambdas/adapters/sns-publisher.js';
import { ChatRelay } from '../../../lambdas/operations/chat-relay.js';

const STATUS = 'arn:aws:sns:us-east-1:123456789012:status';
const ESCALATION = 'arn:aws:sns:us-east-1:123456789012:escalation';
const APPROVERS = 'arn:aws:sns:us-east-1:123456789012:approvers';
const CHAT = 'arn:aws:sns:us-east-1:123456789012:chat';

/** A publisher that records what it was asked, and fails the topics in `failing`. */
function fakeSns(failing: readonly string[] = []) {
  const sent: PublishRequest[] = [];
  return {
    sent,
    async publish(request: PublishRequest) {
      if (failing.includes(request.topicArn)) throw Object.assign(new Error(`SNS Publish on topic ${request.topicArn} failed`), { name: 'AwsOperationError' });
      sent.push(request);
      return { messageId: `m-${sent.length}` };
    },
  };
}

const relayOver = (sns: ReturnType<typeof fakeSns>, metrics = new MemoryMetricsSink()) => ({
  metrics,
  relay: new ChatRelay(sns, { chatTopicArn: CHAT, relayed: [STATUS, ESCALATION], metrics }),
});

const update: PublishRequest = {
  topicArn: STATUS,
  subject: '[SEV2][Identified] checkout: 5xx rate',
  message: 'Incident Update: inc-1',
  attributes: { incidentId: 'inc-1', status: 'Identified', severity: 'SEV2' },
  chat: { title: '[SEV2][Identified] checkout: 5xx rate', description: '*Runbook:* https://runbooks.example.com/checkout', threadId: 'inc-1' },
};

describe('ChatRelay', () => {
  it('publishes the email copy first, then the Chatbot copy with the same attributes, and returns the email copy', async () => {
    const sns = fakeSns();
    const { relay } = relayOver(sns);
    expect(await relay.publish(update)).toEqual({ messageId: 'm-1' });
    expect(sns.sent.map((r) => r.topicArn)).toEqual([STATUS, CHAT]);
    // SNS never sees the chat field of the email copy.
    expect(sns.sent[0]).not.toHaveProperty('chat');
    expect(sns.sent[1]!.attributes).toEqual(update.attributes);
    expect(sns.sent[1]!.subject).toBeUndefined();
    expect(JSON.parse(sns.sent[1]!.message)).toMatchObject({ version: '1.0', source: 'custom', content: { title: update.subject }, metadata: { threadId: 'inc-1' } });
  });

  it('a failing chat topic is logged and counted; the status update still goes out and nothing is thrown', async () => {
    const sns = fakeSns([CHAT]);
    const { relay, metrics } = relayOver(sns);
    await expect(relay.publish(update)).resolves.toEqual({ messageId: 'm-1' });
    expect(sns.sent.map((r) => r.topicArn)).toEqual([STATUS]);
    expect(metrics.find('ChatPublishFailures')).toEqual([expect.objectContaining({ value: 1, dimensions: { service: 'Tourniquet' } })]);
  });

  it('a failed email publish throws as is and sends no chat copy (the retry sends both, once)', async () => {
    const sns = fakeSns([ESCALATION]);
    const { relay, metrics } = relayOver(sns);
    await expect(relay.publish({ ...update, topicArn: ESCALATION })).rejects.toThrow('SNS Publish on topic');
    expect(sns.sent).toEqual([]);
    expect(metrics.records).toEqual([]);
  });

  it('relays neither the approvers topic (signed links) nor a message marked chat: false (a copy already relayed)', async () => {
    const sns = fakeSns();
    const { relay } = relayOver(sns);
    await relay.publish({ ...update, topicArn: APPROVERS });
    await relay.publish({ ...update, topicArn: STATUS, chat: false });
    expect(sns.sent.map((r) => r.topicArn)).toEqual([APPROVERS, STATUS]);
  });

  it('derives the chat copy of a message that brings none from its subject, text and attributes', async () => {
    const sns = fakeSns();
    const { relay } = relayOver(sns);
    await relay.publish({ topicArn: ESCALATION, subject: '[Tourniquet] Alarm event rejected: x', message: 'An alarm event reached Tourniquet but could not be read.' });
    const body = JSON.parse(sns.sent[1]!.message);
    expect(body.content.title).toBe('[Tourniquet] Alarm event rejected: x');
    expect(body.content.description).toContain('could not be read');
  });
});
