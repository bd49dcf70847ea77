import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';

import { FAILURE_NET_RETRY_ATTEMPTS } from '../../../lib/constructs/failure-net.js';
import { type CfnResource, functionsByHandler, render, sampleConfig, templateFor } from '../support.js';

describe('FailureNet', () => {
  let template: Template;
  let rule: CfnResource;
  beforeAll(() => {
    template = templateFor(sampleConfig());
    rule = Object.values(template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.states'] } } }) as Record<string, CfnResource>)[0]!;
  });

  it('pages the escalation topic and has the escalate function record, both retried for 24 hours into one dead-letter queue', () => {
    const targets = rule.Properties.Targets as Record<string, any>[];
    const escalate = functionsByHandler(template)['escalate']!;
    expect(targets.map((t) => render(t.Arn))).toEqual([expect.stringMatching(/^\$\{Notifications\w*EscalationTopic\w*\}$/), `\${${escalate.logicalId}.Arn}`]);
    const dlqs = new Set(targets.map((t) => render(t.DeadLetterConfig.Arn)));
    expect(dlqs.size).toBe(1);
    for (const t of targets) expect(t.RetryPolicy).toEqual({ MaximumRetryAttempts: FAILURE_NET_RETRY_ATTEMPTS, MaximumEventAgeInSeconds: 86_400 });
    expect(targets[0]!.InputTransformer.InputTemplate).toContain('Error: <detail-error>: <detail-cause>');

    const queueId = [...dlqs][0]!.replace(/^\$\{|\.Arn\}$/g, '');
    const queue = (template.findResources('AWS::SQS::Queue') as Record<string, CfnResource>)[queueId]!;
    expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
  });

  it('alarms on any message in the dead-letter queue, paging the escalation topic', () => {
    const queueId = render((rule.Properties.Targets as Record<string, any>[])[0]!.DeadLetterConfig.Arn).replace(/^\$\{|\.Arn\}$/g, '');
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Record<string, CfnResource>).filter((a) =>
      JSON.stringify(a.Properties.Dimensions ?? []).includes(queueId),
    );
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.Properties).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(render(alarms[0]!.Properties.AlarmActions[0])).toMatch(/EscalationTopic/);
  });
});
