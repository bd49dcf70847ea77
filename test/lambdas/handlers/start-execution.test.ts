import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { createStartExecutionHandler } from '../../../lambdas/handlers/start-execution.js';
import { sampleConfig } from '../../fixtures/workflow.js';

const event = JSON.parse(readFileSync(new URL('../../fixtures/events/eventbridge-single-metric.json', import.meta.url), 'utf8'));
const checkoutEvent = {
  ...event,
  resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx-rate'],
  detail: { ...event.detail, alarmName: 'checkout-5xx-rate', state: { ...event.detail.state, value: 'ALARM' } },
};

function setup(send: (command: unknown) => Promise<unknown> = async () => ({})) {
  const sent: StartExecutionCommand[] = [];
  const published: { topicArn: string; subject?: string; message: string }[] = [];
  const handler = createStartExecutionHandler({
    config: sampleConfig,
    sfn: { send: (async (command: StartExecutionCommand) => { sent.push(command); return send(command); }) as never },
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Tourniquet-prod',
    publisher: { publish: async (r) => { published.push(r); return { messageId: 'm' }; } },
    escalationTopicArn: 'arn:aws:sns:us-east-1:123456789012:escalation',
  });
  return { handler, sent, published };
}

describe('start-execution', () => {
  it('starts one deterministically named execution with the service slice and settings', async () => {
    const { handler, sent } = setup();
    const summary = await handler(checkoutEvent);
    expect(summary.started).toHaveLength(1);
    const input = sent[0]!.input;
    expect(input.name).toMatch(/^checkout-5xx-rate-\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(JSON.parse(input.input!)).toMatchObject({ signal: { alarmName: 'checkout-5xx-rate', state: 'ALARM' }, service: { name: 'checkout' }, settings: { changeWindowMinutes: 30, dryRun: false } });
    const again = setup();
    await again.handler(checkoutEvent);
    expect(again.sent[0]!.input.name).toBe(input.name);
  });

  it('treats ExecutionAlreadyExists as a duplicate delivery, not an error', async () => {
    const { handler } = setup(async () => {
      throw new ExecutionAlreadyExists({ message: 'exists', $metadata: {} });
    });
    expect(await handler(checkoutEvent)).toMatchObject({ started: [], alreadyRunning: [expect.stringMatching(/^checkout-5xx-rate-/)] });
  });

  it('reports an unconfigured alarm to the escalation topic and opens nothing', async () => {
    const { handler, sent, published } = setup();
    const summary = await handler({ ...checkoutEvent, resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:other'], detail: { ...checkoutEvent.detail, alarmName: 'other' } });
    expect(summary.unknownAlarms).toEqual(['other']);
    expect(sent).toHaveLength(0);
    expect(published[0]).toMatchObject({ topicArn: 'arn:aws:sns:us-east-1:123456789012:escalation', subject: '[Tourniquet] Unconfigured alarm: other' });
  });

  it('reports a malformed event instead of dropping it', async () => {
    const { handler, sent, published } = setup();
    await handler({ source: 'aws.ec2', 'detail-type': 'x' });
    expect(sent).toHaveLength(0);
    expect(published[0]!.subject).toBe('[Tourniquet] Alarm event rejected');
    expect(published[0]!.message).toMatch(/could not be read/);
  });

  it('ignores transitions to OK', async () => {
    const { handler, sent } = setup();
    const summary = await handler({ ...checkoutEvent, detail: { ...checkoutEvent.detail, state: { ...checkoutEvent.detail.state, value: 'OK' } } });
    expect(summary.ignored).toEqual(['checkout-5xx-rate (OK)']);
    expect(sent).toHaveLength(0);
  });
});
