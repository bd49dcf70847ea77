import { AppConfigClient, GetHostedConfigurationVersionCommand, type GetHostedConfigurationVersionCommandOutput, ListDeploymentsCommand } from '@aws-sdk/client-appconfig';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { flagEnabled, notifyPublishes, probeFlagOff, probeIncident, probeStatusPublish, probeTimeline, type TimelineItem, timelineVerdict } from '../../../e2e/aws/checks.js';
import { createNotifyHandler } from '../../../lambdas/handlers/notify.js';
import { workflowState } from '../../fixtures/workflow.js';
import { fakePublisher } from '../../support/approvals.js';

const appconfig = mockClient(AppConfigClient);
const documents = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
beforeEach(() => {
  appconfig.reset();
  documents.reset();
  sfn.reset();
});

const docs = () => DynamoDBDocumentClient.from(new DynamoDBClient({}));
const TARGET = { applicationId: 'app1abc', environmentId: 'env1abc', configurationProfileId: 'prf1abc', flag: 'new-checkout-flow' };
const flags = (enabled: boolean) =>
  new TextEncoder().encode(
    JSON.stringify({ version: '1', flags: { 'new-checkout-flow': { name: 'x' } }, values: { 'new-checkout-flow': { enabled } } }),
  ) as GetHostedConfigurationVersionCommandOutput['Content'];
const TABLE = 'Tourniquet-awst-test01-IncidentTable';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:Tourniquet-awst-test01:alarm-1';

describe('flag off in the deployed configuration', () => {
  it('reads the enabled value of a FeatureFlags document, and nothing from anything else', () => {
    expect(flagEnabled(JSON.stringify({ values: { f: { enabled: false } } }), 'f')).toBe(false);
    expect(flagEnabled(JSON.stringify({ values: { f: { enabled: true } } }), 'f')).toBe(true);
    expect(flagEnabled(JSON.stringify({ values: { g: { enabled: false } } }), 'f')).toBeUndefined();
    expect(flagEnabled(JSON.stringify({ values: { f: { enabled: 'false' } } }), 'f')).toBeUndefined();
    expect(flagEnabled('not json', 'f')).toBeUndefined();
    expect(flagEnabled('null', 'f')).toBeUndefined();
  });

  it('passes when the newest deployment is COMPLETE and its version has the flag off', async () => {
    const completedAt = new Date('2026-11-28T06:01:30Z');
    // Out of order on purpose: the newest is found by number.
    appconfig.on(ListDeploymentsCommand).resolves({
      Items: [
        { DeploymentNumber: 1, ConfigurationVersion: '1', State: 'COMPLETE' },
        { DeploymentNumber: 2, ConfigurationVersion: '2', State: 'COMPLETE', CompletedAt: completedAt },
      ],
    });
    appconfig.on(GetHostedConfigurationVersionCommand, { VersionNumber: 2 }).resolves({ Content: flags(false) });
    appconfig.on(GetHostedConfigurationVersionCommand, { VersionNumber: 1 }).resolves({ Content: flags(true) });
    await expect(probeFlagOff(new AppConfigClient({}), TARGET)).resolves.toEqual({ done: true, value: { deploymentNumber: 2, configurationVersion: '2', completedAt } });
    expect(appconfig.commandCalls(ListDeploymentsCommand)[0]!.args[0].input).toMatchObject({ ApplicationId: 'app1abc', EnvironmentId: 'env1abc' });
    expect(appconfig.commandCalls(GetHostedConfigurationVersionCommand)[0]!.args[0].input).toEqual({
      ApplicationId: 'app1abc',
      ConfigurationProfileId: 'prf1abc',
      VersionNumber: 2,
    });
  });

  it('does not pass while the kill switch is still deploying, nor with the flag still on', async () => {
    appconfig.on(ListDeploymentsCommand).resolves({
      Items: [
        { DeploymentNumber: 1, ConfigurationVersion: '1', State: 'COMPLETE' },
        { DeploymentNumber: 2, ConfigurationVersion: '2', State: 'DEPLOYING' },
      ],
    });
    await expect(probeFlagOff(new AppConfigClient({}), TARGET)).resolves.toEqual({ done: false, seen: 'deployment #2 (version 2) is DEPLOYING' });
    expect(appconfig.commandCalls(GetHostedConfigurationVersionCommand)).toHaveLength(0);

    appconfig.on(ListDeploymentsCommand).resolves({ Items: [{ DeploymentNumber: 1, ConfigurationVersion: '1', State: 'COMPLETE' }] });
    appconfig.on(GetHostedConfigurationVersionCommand).resolves({ Content: flags(true) });
    await expect(probeFlagOff(new AppConfigClient({}), TARGET)).resolves.toEqual({ done: false, seen: 'deployment #1 (version 1) is COMPLETE with new-checkout-flow on' });
  });

  it('reads every page of deployments', async () => {
    appconfig
      .on(ListDeploymentsCommand)
      .resolvesOnce({ Items: [{ DeploymentNumber: 1, ConfigurationVersion: '1', State: 'COMPLETE' }], NextToken: 'page2' })
      .resolvesOnce({ Items: [{ DeploymentNumber: 2, ConfigurationVersion: '2', State: 'COMPLETE' }] });
    appconfig.on(GetHostedConfigurationVersionCommand).resolves({ Content: flags(false) });
    await expect(probeFlagOff(new AppConfigClient({}), TARGET)).resolves.toMatchObject({ done: true, value: { deploymentNumber: 2 } });
    expect(appconfig.commandCalls(ListDeploymentsCommand)[1]!.args[0].input.NextToken).toBe('page2');
  });

  it('says so when the environment has no deployment', async () => {
    appconfig.on(ListDeploymentsCommand).resolves({ Items: [] });
    await expect(probeFlagOff(new AppConfigClient({}), TARGET)).resolves.toEqual({ done: false, seen: 'no deployment in the environment' });
  });
});

describe('incident in the real table', () => {
  const ALARM = 'tourniquet-aws-test-awst-test01-checkout-errors';
  const incidentItem = {
    pk: 'INCIDENT#inc-1',
    sk: 'META',
    incidentId: 'inc-1',
    alarmName: ALARM,
    status: 'MITIGATING',
    openedAt: '2026-11-28T06:00:12.000Z',
    execution: { id: EXECUTION },
  };

  it('follows the episode pointer to the incident item, with consistent reads', async () => {
    documents.on(GetCommand, { Key: { pk: 'EPISODE#checkout', sk: 'CURRENT' } }).resolves({ Item: { incidentId: 'inc-1' } });
    documents.on(GetCommand, { Key: { pk: 'INCIDENT#inc-1', sk: 'META' } }).resolves({ Item: incidentItem });
    await expect(probeIncident(docs(), TABLE, 'checkout', ALARM)).resolves.toEqual({
      done: true,
      value: { incidentId: 'inc-1', status: 'MITIGATING', alarmName: ALARM, openedAt: '2026-11-28T06:00:12.000Z', executionArn: EXECUTION },
    });
    for (const call of documents.commandCalls(GetCommand)) expect(call.args[0].input).toMatchObject({ TableName: TABLE, ConsistentRead: true });
  });

  it('is not there without an episode, nor when another alarm opened it', async () => {
    documents.on(GetCommand).resolves({});
    await expect(probeIncident(docs(), TABLE, 'checkout', ALARM)).resolves.toEqual({ done: false, seen: 'no episode for service checkout yet' });
    documents.on(GetCommand, { Key: { pk: 'EPISODE#checkout', sk: 'CURRENT' } }).resolves({ Item: { incidentId: 'inc-1' } });
    documents.on(GetCommand, { Key: { pk: 'INCIDENT#inc-1', sk: 'META' } }).resolves({ Item: { ...incidentItem, alarmName: 'someone-else' } });
    await expect(probeIncident(docs(), TABLE, 'checkout', ALARM)).resolves.toEqual({
      done: false,
      seen: `incident inc-1 was opened by someone-else, not ${ALARM}`,
    });
  });
});

const opened: TimelineItem = { at: '2026-11-28T06:00:12.000Z', kind: 'incident-opened', message: 'Opened' };
const applied: TimelineItem = {
  at: '2026-11-28T06:00:40.000Z',
  kind: 'mitigation',
  message: 'Applied: feature-flag-off on flag new-checkout-flow. Deployed version 2',
  data: { type: 'feature-flag-off' },
};
const notified: TimelineItem = {
  at: '2026-11-28T06:00:14.000Z',
  kind: 'notification',
  message: 'Status update sent: [SEV3] Investigating',
  data: { status: 'Investigating', messageId: 'm-1' },
};

describe('the timeline', () => {
  it('passes with the incident opened, the kill switch applied and a status update sent', () => {
    expect(timelineVerdict([opened, notified, applied], 'feature-flag-off')).toEqual({ done: true });
    expect(timelineVerdict([opened], 'feature-flag-off')).toEqual({ done: false, missing: ['mitigation feature-flag-off applied', 'notification with an SNS MessageId'] });
    // A mitigation that failed, or another one, is not the kill switch applied.
    const failed = { ...applied, message: 'Failed: feature-flag-off on flag new-checkout-flow: AccessDenied' };
    expect(timelineVerdict([opened, notified, failed], 'feature-flag-off')).toEqual({ done: false, missing: ['mitigation feature-flag-off applied'] });
    expect(timelineVerdict([opened, notified, { ...applied, data: { type: 'ecs-rollback' } }], 'feature-flag-off')).toMatchObject({ done: false });
  });

  it("queries the incident's EVENT# items, every page, consistently", async () => {
    documents
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ pk: 'INCIDENT#inc-1', sk: 'EVENT#1', ...opened }], LastEvaluatedKey: { pk: 'INCIDENT#inc-1', sk: 'EVENT#1' } })
      .resolvesOnce({ Items: [{ pk: 'INCIDENT#inc-1', sk: 'EVENT#2', ...notified }] });
    await expect(probeTimeline(docs(), TABLE, 'inc-1', 'feature-flag-off')).resolves.toEqual({
      done: false,
      seen: '2 event(s) (incident-opened, notification); missing mitigation feature-flag-off applied',
    });
    const [first, second] = documents.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(first).toMatchObject({
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :event)',
      ExpressionAttributeValues: { ':pk': 'INCIDENT#inc-1', ':event': 'EVENT#' },
      ConsistentRead: true,
    });
    expect(second!.ExclusiveStartKey).toEqual({ pk: 'INCIDENT#inc-1', sk: 'EVENT#1' });
  });
});

/** A history as Step Functions records a Lambda task whose Resource is the function ARN. */
function history(): HistoryEvent[] {
  const at = new Date('2026-11-28T06:00:13Z');
  return [
    { id: 1, type: 'ExecutionStarted', timestamp: at },
    { id: 2, type: 'TaskStateEntered', timestamp: at, stateEnteredEventDetails: { name: 'OpenIncident' } },
    { id: 3, type: 'LambdaFunctionSucceeded', timestamp: at, lambdaFunctionSucceededEventDetails: { output: JSON.stringify({ incidentId: 'inc-1', messageId: 'not-a-notify' }) } },
    { id: 4, type: 'TaskStateEntered', timestamp: at, stateEnteredEventDetails: { name: 'NotifyInvestigating' } },
    { id: 5, type: 'LambdaFunctionScheduled', timestamp: at },
    {
      id: 6,
      type: 'LambdaFunctionSucceeded',
      timestamp: at,
      lambdaFunctionSucceededEventDetails: { output: JSON.stringify({ status: 'Investigating', subject: '[SEV3] Investigating: checkout errors', messageId: 'm-1' }) },
    },
    { id: 7, type: 'TaskStateExited', timestamp: at, stateExitedEventDetails: { name: 'NotifyInvestigating', output: '{}' } },
    { id: 8, type: 'TaskStateEntered', timestamp: at, stateEnteredEventDetails: { name: 'NotifyIdentified' } },
    // The same task through arn:aws:states:::lambda:invoke: the return value sits under Payload.
    {
      id: 9,
      type: 'TaskSucceeded',
      timestamp: at,
      taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: JSON.stringify({ Payload: { messageId: 'm-2' } }) },
    },
  ];
}

describe("the status update's SNS publish in the execution history", () => {
  it('finds the MessageIds the Notify states returned, and only theirs', () => {
    // Shuffled: events are put back in id order.
    expect(notifyPublishes([...history()].reverse())).toEqual([
      { state: 'NotifyInvestigating', messageId: 'm-1', subject: '[SEV3] Investigating: checkout errors' },
      { state: 'NotifyIdentified', messageId: 'm-2' },
    ]);
    const failed: HistoryEvent[] = [
      { id: 1, type: 'TaskStateEntered', timestamp: new Date(), stateEnteredEventDetails: { name: 'NotifyInvestigating' } },
      { id: 2, type: 'LambdaFunctionFailed', timestamp: new Date(), lambdaFunctionFailedEventDetails: { error: 'InvalidParameter' } },
    ];
    expect(notifyPublishes(failed)).toEqual([]);
  });

  it('passes only when a MessageId of the history is the one the timeline recorded', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: history() });
    await expect(probeStatusPublish(new SFNClient({}), EXECUTION, [opened, notified])).resolves.toEqual({
      done: true,
      value: { state: 'NotifyInvestigating', messageId: 'm-1', subject: '[SEV3] Investigating: checkout errors' },
    });
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[0]!.args[0].input).toMatchObject({ executionArn: EXECUTION, includeExecutionData: true });
    const elsewhere = { ...notified, data: { messageId: 'm-9' } };
    await expect(probeStatusPublish(new SFNClient({}), EXECUTION, [opened, elsewhere])).resolves.toEqual({
      done: false,
      seen: 'history MessageIds m-1, m-2 are not on the timeline',
    });
  });

  it('reads every page of the history', async () => {
    const events = history();
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: events.slice(0, 4), nextToken: 't2' })
      .resolvesOnce({ events: events.slice(4) });
    await expect(probeStatusPublish(new SFNClient({}), EXECUTION, [notified])).resolves.toMatchObject({ done: true, value: { messageId: 'm-1' } });
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[1]!.args[0].input.nextToken).toBe('t2');
  });

  it('says what it saw when no Notify state has published yet', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: history().slice(0, 3) });
    await expect(probeStatusPublish(new SFNClient({}), EXECUTION, [opened])).resolves.toEqual({
      done: false,
      seen: '3 history event(s), no Notify state returned a MessageId yet',
    });
  });
});

describe('the contract with the notify function', () => {
  it('reads the MessageId from exactly what notify returns and what it writes on the timeline', async () => {
    const timeline: TimelineItem[] = [];
    const notify = createNotifyHandler({
      store: {
        appendTimeline: async (_id: string, event: TimelineItem) => {
          timeline.push(event);
        },
        updateIncident: async () => undefined,
      } as never,
      publisher: fakePublisher(),
      statusTopicArn: 'arn:aws:sns:eu-west-1:123456789012:status',
      clock: () => new Date('2026-11-28T06:00:14Z'),
    });
    const returned = await notify({ phase: 'Investigating', state: workflowState() });
    // Step Functions records this return value, as JSON, in the task's LambdaFunctionSucceeded event.
    const events: HistoryEvent[] = [
      { id: 1, type: 'TaskStateEntered', timestamp: new Date(), stateEnteredEventDetails: { name: 'NotifyInvestigating' } },
      { id: 2, type: 'LambdaFunctionSucceeded', timestamp: new Date(), lambdaFunctionSucceededEventDetails: { output: JSON.stringify(returned) } },
    ];
    expect(notifyPublishes(events)).toEqual([{ state: 'NotifyInvestigating', messageId: 'msg-1', subject: returned.subject }]);
    expect(timelineVerdict(timeline, 'feature-flag-off')).toEqual({ done: false, missing: ['incident-opened', 'mitigation feature-flag-off applied'] });
    sfn.on(GetExecutionHistoryCommand).resolves({ events });
    await expect(probeStatusPublish(new SFNClient({}), EXECUTION, timeline)).resolves.toMatchObject({ done: true, value: { messageId: 'msg-1' } });
  });
});
