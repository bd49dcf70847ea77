import { readFileSync } from 'node:fs';

import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { NO_METRICS } from '../../../lambdas/adapters/memory-metrics.js';
import { SnsPublisher } from '../../../lambdas/adapters/sns-publisher.js';
import { parseConfig } from '../../../lambdas/core/config.js';
import { createStartExecutionHandler } from '../../../lambdas/handlers/start-execution.js';
import { IncidentStore } from '../../../lambdas/store/incident-store.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';

/**
 * The starter's handler: an alarm event it can read goes to admitSignals (test/lambdas/operations/start-execution.test.ts)
 * with executions started through Step Functions; one it cannot read is reported.
 */

const db = useDynamoDbLocal();
const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Tourniquet-prod';
const ESCALATION_TOPIC = 'arn:aws:sns:us-east-1:123456789012:escalation';
const T0 = Date.parse('2026-11-23T03:10:00.000Z');

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/events/eventbridge-single-metric.json', import.meta.url), 'utf8'));
const config = parseConfig(readFileSync(new URL('../../../tourniquet.config.json', import.meta.url), 'utf8'), 'sample config');

/** The EventBridge event of the checkout 5xx alarm entering ALARM at T0. */
function alarmEvent(alarmName: string) {
  const at = new Date(T0).toISOString();
  return {
    ...fixture,
    time: at,
    resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`],
    detail: { ...fixture.detail, alarmName, previousState: { ...fixture.detail.previousState, value: 'OK' }, state: { ...fixture.detail.state, value: 'ALARM', timestamp: at } },
  };
}

async function setup() {
  const clock = () => new Date(T0 + 5_000);
  const store = new IncidentStore({ tableName: await db.newTable(), client: db.client, clock });
  const handler = createStartExecutionHandler({
    config,
    store,
    sfn: sfn as unknown as SFNClient,
    stateMachineArn: STATE_MACHINE,
    publisher: new SnsPublisher(sns as unknown as SNSClient),
    escalationTopicArn: ESCALATION_TOPIC,
    metrics: NO_METRICS,
    clock,
  });
  const started = () => sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
  const published = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
  return { store, handler, started, published };
}

beforeEach(() => {
  sfn.reset();
  sns.reset();
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
  sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
});

describe('start-execution handler', () => {
  it('admits a readable alarm event and starts its workflow on the configured state machine', async () => {
    const ctx = await setup();
    const summary = await ctx.handler(alarmEvent('checkout-5xx-rate'));
    expect(summary).toMatchObject({ started: [expect.stringMatching(/^checkout-5xx-rate-/)], unknownAlarms: [], ignored: [] });
    expect(ctx.started()).toEqual([expect.objectContaining({ stateMachineArn: STATE_MACHINE, name: summary.started[0] })]);
    expect(await ctx.store.listIncidents()).toHaveLength(1);
  });

  it('reports an event it cannot read instead of dropping it, naming the alarm when it can', async () => {
    const ctx = await setup();
    await ctx.handler({ source: 'aws.ec2', 'detail-type': 'x' });
    const broken = alarmEvent('checkout-5xx-rate');
    await ctx.handler({ ...broken, detail: { ...broken.detail, state: { value: 'ALARM' } } });
    expect(ctx.started()).toHaveLength(0);
    const [first, second] = ctx.published();
    expect(first).toMatchObject({ TopicArn: ESCALATION_TOPIC, Subject: '[Tourniquet] Alarm event rejected: alarm name unreadable' });
    expect(first!.Message).toMatch(/could not be read/);
    expect(second!.Subject).toBe('[Tourniquet] Alarm event rejected: checkout-5xx-rate');
    expect(second!.Message).toContain('"alarmName":"checkout-5xx-rate"');
    // The page names the log entry that keeps the whole event; the same event always gets the same id.
    expect(second!.Message).toMatch(/under rawEventId raw-[0-9a-f]{12}\./);
  });

  it('names the alarm of a malformed SNS-delivered alarm notification', async () => {
    const ctx = await setup();
    const message = JSON.stringify({ AlarmName: 'checkout-5xx-rate', NewStateValue: 'SIDEWAYS' });
    await ctx.handler({ Records: [{ EventSource: 'aws:sns', Sns: { Message: message } }] });
    expect(ctx.published()[0]!.Subject).toBe('[Tourniquet] Alarm event rejected: checkout-5xx-rate');
    expect(ctx.started()).toHaveLength(0);
  });

  it('answers a rejected event with an empty summary', async () => {
    const ctx = await setup();
    expect(await ctx.handler({ source: 'aws.ec2', 'detail-type': 'x' })).toEqual({
      started: [],
      alreadyRunning: [],
      joined: [],
      reopened: [],
      paged: [],
      duplicates: [],
      ignored: [],
      unknownAlarms: [],
    });
  });

  it('fails the invocation when the rejected event cannot be reported, so it reaches the dead-letter queue', async () => {
    const ctx = await setup();
    sns.on(PublishCommand).rejects(Object.assign(new Error('SNS down'), { name: 'InternalErrorException' }));
    await expect(ctx.handler({ source: 'aws.ec2', 'detail-type': 'x' })).rejects.toThrow();
  });
});
