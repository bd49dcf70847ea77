import { beforeAll, describe, expect, it } from '@jest/globals';
import { Match, type Template } from 'aws-cdk-lib/assertions';

import { chunkByLength, MAX_ALARM_NAMES_CHARS_PER_RULE } from '../../../lib/constructs/alarm-intake.js';
import { actionsOf, type CfnResource, configWith, functionsByHandler, resourcesFor, sampleConfig, statementsOf, templateFor } from '../support.js';

const alarmRules = (template: Template) =>
  Object.values(template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.cloudwatch'] } } }) as Record<string, CfnResource>);

describe('AlarmIntake', () => {
  let template: Template;
  beforeAll(() => {
    template = templateFor(sampleConfig());
  });

  it('routes every state change (ALARM and OK) of the configured incident and symptom alarms to the starter, and only those', () => {
    const rules = alarmRules(template);
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: {
        alarmName: ['checkout-5xx-rate', 'checkout-p99-latency', 'recommendations-api-errors', 'checkout-us-east-1-health', 'checkout-request-flood', 'checkout-cpu-high'],
      },
    });
  });

  it('names an alarm once even when it is a symptom of two services', () => {
    const shared = templateFor(
      configWith((raw) => {
        raw.services.push({ name: 'payments', alarms: [{ name: 'payments-5xx-rate' }], symptomAlarms: { saturation: ['checkout-cpu-high'] } });
      }),
    );
    const names = alarmRules(shared).flatMap((r) => r.Properties.EventPattern.detail.alarmName as string[]);
    expect(names.filter((n) => n === 'checkout-cpu-high')).toHaveLength(1);
    expect(names).toContain('payments-5xx-rate');
  });

  it('lets the starter read and write the incident table (items, and the episode index by name), and nothing broader', () => {
    const tableId = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0]!;
    const s = statementsOf(template, 'start-execution');
    expect([...new Set(actionsOf(s).filter((a) => a.startsWith('dynamodb:')))].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(resourcesFor(s, 'dynamodb:Query').sort()).toEqual([`\${${tableId}.Arn}`, `\${${tableId}.Arn}/index/gsi1`]);
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']) expect(resourcesFor(s, action)).toEqual([`\${${tableId}.Arn}`]);
    const env = functionsByHandler(template)['start-execution']!.Properties.Environment.Variables as Record<string, unknown>;
    expect(env.TABLE_NAME).toEqual({ Ref: tableId });
  });

  it('retries delivery and keeps undeliverable events in an encrypted, TLS-only dead-letter queue', () => {
    const starterId = functionsByHandler(template)['start-execution']!.logicalId;
    const queueId = Object.keys(template.findResources('AWS::SQS::Queue'))[0]!;
    expect(alarmRules(template)[0]!.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [starterId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      }),
    ]);
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('sends invocations the starter failed to the same queue, and pages when the queue is not empty', () => {
    const queueId = Object.keys(template.findResources('AWS::SQS::Queue'))[0]!;
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    const escalationId = Object.entries(template.findResources('AWS::SNS::Topic') as Record<string, CfnResource>).find(
      ([, t]) => t.Properties.DisplayName === 'Tourniquet escalation',
    )![0];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: escalationId }],
    });
  });

  it('offers a KMS-encrypted SNS topic for alarm actions, subscribed by the starter', () => {
    const starterId = functionsByHandler(template)['start-execution']!.logicalId;
    const topics = template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'Tourniquet alarm intake' } });
    const topicId = Object.keys(topics)[0]!;
    expect((topics[topicId] as CfnResource).Properties.KmsMasterKeyId).toBeDefined();
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: topicId },
      Endpoint: { 'Fn::GetAtt': [starterId, 'Arn'] },
    });
  });

  it('splits a long alarm list over several rules, each within the event-pattern size quota', () => {
    const many = templateFor(
      configWith((raw) => {
        raw.services[0].alarms = Array.from({ length: 60 }, (_, i) => ({ name: `checkout-alarm-with-a-rather-long-name-${String(i).padStart(3, '0')}` }));
      }),
    );
    const rules = alarmRules(many);
    expect(rules.length).toBeGreaterThan(1);
    const names = rules.flatMap((r) => r.Properties.EventPattern.detail.alarmName as string[]);
    // The 60 incident alarms and the 4 symptom alarms of the sample service.
    expect(names).toHaveLength(64);
    expect(new Set(names).size).toBe(64);
    for (const rule of rules) expect(JSON.stringify(rule.Properties.EventPattern).length).toBeLessThanOrEqual(2048);
  });
});

describe('chunkByLength', () => {
  it('keeps order and never exceeds the budget', () => {
    const names = ['aaaa', 'bbbb', 'cccc', 'dddd', 'eeee'];
    const chunks = chunkByLength(names, 15);
    expect(chunks.flat()).toEqual(names);
    for (const chunk of chunks) expect(chunk.reduce((n, s) => n + JSON.stringify(s).length + 1, 0)).toBeLessThanOrEqual(15);
    expect(chunks).toEqual([['aaaa', 'bbbb'], ['cccc', 'dddd'], ['eeee']]);
  });

  it('puts a name longer than the budget in a chunk of its own rather than dropping it', () => {
    expect(chunkByLength(['x'.repeat(30), 'y'], 10)).toEqual([['x'.repeat(30)], ['y']]);
  });

  it('returns no chunk for no names', () => {
    expect(chunkByLength([], MAX_ALARM_NAMES_CHARS_PER_RULE)).toEqual([]);
  });
});
