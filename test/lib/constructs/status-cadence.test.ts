import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';

import { STATUS_CADENCE_HANDLER } from '../../../lib/handlers.js';
import { actionsOf, type CfnResource, configWith, fastStack, functionsByHandler, resourcesFor, sampleConfig, statementsOf, templateFor } from '../support.js';

const logicalIdOf = (template: Template, type: string, match: (r: CfnResource) => boolean = () => true): string => {
  const found = Object.entries(template.findResources(type) as Record<string, CfnResource>).filter(([, r]) => match(r));
  expect(found).toHaveLength(1);
  return found[0]![0];
};

describe('StatusCadence', () => {
  let template: Template;
  let fnId: string;
  let tableId: string;
  beforeAll(() => {
    template = templateFor(sampleConfig());
    fnId = functionsByHandler(template)[STATUS_CADENCE_HANDLER]!.logicalId;
    tableId = logicalIdOf(template, 'AWS::DynamoDB::Table');
  });

  it('invokes the cadence function from an EventBridge schedule every 5 minutes', () => {
    // The readiness check has a schedule of its own: this one is the schedule that targets the cadence function.
    const schedules = Object.values(template.findResources('AWS::Events::Rule') as Record<string, CfnResource>).filter(
      (r) => r.Properties.ScheduleExpression && JSON.stringify(r.Properties.Targets).includes(`"${fnId}"`),
    );
    expect(schedules).toHaveLength(1);
    expect(schedules[0]!.Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [expect.objectContaining({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
    // A failed run is retried by the next scheduled one, not by Lambda.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 300,
    });
  });

  it('gives the function the table name, both topics and the chat topic, nothing else of its own, and the config layer', () => {
    const statusTopicId = logicalIdOf(template, 'AWS::SNS::Topic', (t) => t.Properties.DisplayName === 'Tourniquet status');
    const escalationTopicId = logicalIdOf(template, 'AWS::SNS::Topic', (t) => t.Properties.DisplayName === 'Tourniquet escalation');
    const fn = functionsByHandler(template)[STATUS_CADENCE_HANDLER]!;
    const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
    const own = Object.fromEntries(Object.entries(variables).filter(([k]) => !k.startsWith('POWERTOOLS_') && k !== 'NODE_OPTIONS'));
    const chatTopicId = logicalIdOf(template, 'AWS::SNS::Topic', (t) => t.Properties.DisplayName === 'Tourniquet chat');
    expect(own).toEqual({
      TABLE_NAME: { Ref: tableId },
      STATUS_TOPIC_ARN: { Ref: statusTopicId },
      ESCALATION_TOPIC_ARN: { Ref: escalationTopicId },
      CHAT_TOPIC_ARN: { Ref: chatTopicId },
    });
    expect(fn.Properties.Layers).toEqual([{ Ref: logicalIdOf(template, 'AWS::Lambda::LayerVersion') }]);
  });

  it('lets the function read, query and write items of the table and query gsi1 by name, and nothing broader', () => {
    const s = statementsOf(template, STATUS_CADENCE_HANDLER);
    expect([...new Set(actionsOf(s).filter((a) => a.startsWith('dynamodb:')))].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(resourcesFor(s, 'dynamodb:Query').sort()).toEqual([`\${${tableId}.Arn}`, `\${${tableId}.Arn}/index/gsi1`]);
    expect(resourcesFor(s, 'dynamodb:GetItem')).toEqual([`\${${tableId}.Arn}`]);
    expect(resourcesFor(s, 'dynamodb:UpdateItem')).toEqual([`\${${tableId}.Arn}`]);
    expect(resourcesFor(s, 'dynamodb:PutItem')).toEqual([`\${${tableId}.Arn}`]);
    expect(actionsOf(s)).not.toContain('dynamodb:DeleteItem');
  });

  it('lets the function publish to the status topic (updates), the escalation topic (pages) and the chat topic (their chat copies) only, with the topic key', () => {
    const statusTopicId = logicalIdOf(template, 'AWS::SNS::Topic', (t) => t.Properties.DisplayName === 'Tourniquet status');
    const escalationTopicId = logicalIdOf(template, 'AWS::SNS::Topic', (t) => t.Properties.DisplayName === 'Tourniquet escalation');
    const chatTopicId = logicalIdOf(template, 'AWS::SNS::Topic', (t) => t.Properties.DisplayName === 'Tourniquet chat');
    const keyId = logicalIdOf(template, 'AWS::KMS::Key', (k) => k.Properties.Description === 'Tourniquet status and escalation topics');
    const s = statementsOf(template, STATUS_CADENCE_HANDLER);
    expect(resourcesFor(s, 'sns:Publish').sort()).toEqual([`\${${statusTopicId}}`, `\${${escalationTopicId}}`, `\${${chatTopicId}}`].sort());
    expect([...new Set(resourcesFor(s, 'kms:GenerateDataKey*'))]).toEqual([`\${${keyId}.Arn}`]);
    expect([...new Set(resourcesFor(s, 'kms:Decrypt'))]).toEqual([`\${${keyId}.Arn}`]);
    expect(actionsOf(s).filter((a) => /^(sns|kms|dynamodb|logs|xray):/.test(a) === false)).toEqual([]);
  });

  it('compiles the cadence overrides, page timers and alarm texts (with each alarm’s runbook), and only those, into the function', () => {
    expect(fastStack(sampleConfig()).statusCadence.settings).toEqual({
      updateCadenceMinutes: {},
      lifecycle: { repageMinutes: {}, acknowledgedReminderMinutes: 1440 },
      alarms: [
        {
          name: 'checkout-5xx-rate',
          summary: '5xx rate',
          impact: 'Some customers see errors when they pay for their basket.',
          runbook: 'https://runbooks.example.com/checkout/5xx-rate',
        },
        // No runbook of its own: the service's.
        { name: 'checkout-p99-latency', summary: 'p99 latency', impact: 'Checkout is slow for some customers.', runbook: 'https://runbooks.example.com/checkout' },
      ],
    });
    const overridden = fastStack(configWith((raw) => (raw.updateCadenceMinutes = { SEV1: 15, SEV4: 720 })));
    expect(overridden.statusCadence.settings.updateCadenceMinutes).toEqual({ SEV1: 15, SEV4: 720 });
    const timers = fastStack(configWith((raw) => (raw.lifecycle = { repageMinutes: { SEV1: 10 }, acknowledgedReminderMinutes: 720, maxOpenIncidents: 4 })));
    expect(timers.statusCadence.settings.lifecycle).toEqual({ repageMinutes: { SEV1: 10 }, acknowledgedReminderMinutes: 720 });
  });

  it('passes cdk-nag with cadence overrides configured', () => {
    const stack = fastStack(configWith((raw) => (raw.updateCadenceMinutes = { SEV1: 15 })));
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});
