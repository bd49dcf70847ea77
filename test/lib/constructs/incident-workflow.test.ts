import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import { definitionFromTemplate } from '../../../drill/definition.js';
import { UNHANDLED_EXECUTION_STATUSES } from '../../../lib/constructs/failure-net.js';
import { WORKFLOW_HANDLERS } from '../../../lib/handlers.js';
import { type CfnResource, functionsByHandler, render, sampleConfig, templateFor } from '../support.js';

describe('IncidentWorkflow', () => {
  let template: Template;
  let machine: CfnResource;
  beforeAll(() => {
    template = templateFor(sampleConfig());
    machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine') as Record<string, CfnResource>)[0]!;
  });

  it('is a Standard state machine named after the stage, with X-Ray tracing', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    expect(machine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      StateMachineName: 'Tourniquet-prod',
      TracingConfiguration: { Enabled: true },
    });
  });

  it('logs every event with execution data to a vended-logs group kept for one month', () => {
    const logGroupId = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] as string;
    expect(machine.Properties.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
    const group = (template.findResources('AWS::Logs::LogGroup') as Record<string, CfnResource>)[logGroupId]!;
    expect(group.Properties).toEqual({ LogGroupName: '/aws/vendedlogs/states/Tourniquet-prod-incident-workflow', RetentionInDays: 30 });
  });

  it('times out after 6 hours, uses JSONPath, and starts by reading the execution context', () => {
    const { definition } = definitionFromTemplate(template.toJSON() as never);
    expect(definition).toMatchObject({ StartAt: 'ReadExecutionContext', TimeoutSeconds: 6 * 3600 });
    expect(JSON.stringify(definition)).not.toContain('JSONata');
  });

  it('invokes each Task function directly (payloadResponseOnly), AwaitApproval through the callback integration, and only workflow functions', () => {
    const text = render(machine.Properties.DefinitionString);
    // The one integration Resource in the definition is AwaitApproval's.
    expect(text.match(/arn:\$\{AWS::Partition\}:states:::[A-Za-z:.]+/g)).toEqual(['arn:${AWS::Partition}:states:::lambda:invoke.waitForTaskToken']);
    const fns = functionsByHandler(template);
    const roleId = machine.Properties.RoleArn['Fn::GetAtt'][0] as string;
    const policies = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, CfnResource>).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId),
    );
    const invoked = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string; Resource: unknown[] }[])
      .filter((s) => s.Action === 'lambda:InvokeFunction')
      .flatMap((s) => s.Resource.map(render));
    const expected = Object.entries(fns)
      .filter(([handler]) => (WORKFLOW_HANDLERS as readonly string[]).includes(handler))
      .flatMap(([, fn]) => [`\${${fn.logicalId}.Arn}`, `\${${fn.logicalId}.Arn}:*`]);
    expect(invoked.sort()).toEqual(expected.sort());
    expect(invoked.join(' ')).not.toContain(fns['approval-endpoint']!.logicalId);
    expect(invoked.join(' ')).not.toContain(fns['start-execution']!.logicalId);
  });
});

describe('FailureNet', () => {
  it('pages the escalation topic with a readable message when an execution fails, times out or is aborted', () => {
    const template = templateFor(sampleConfig());
    const machineId = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'))[0]!;
    const escalationId = Object.entries(template.findResources('AWS::SNS::Topic') as Record<string, CfnResource>).find(
      ([, t]) => t.Properties.DisplayName === 'Tourniquet escalation',
    )![0];
    const rules = Object.values(
      template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.states'] } } }) as Record<string, CfnResource>,
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0]!;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: [...UNHANDLED_EXECUTION_STATUSES], stateMachineArn: [{ Ref: machineId }] },
    });
    expect(UNHANDLED_EXECUTION_STATUSES).toEqual(['FAILED', 'TIMED_OUT', 'ABORTED']);
    const target = rule.Properties.Targets[0];
    expect(target.Arn).toEqual({ Ref: escalationId });
    expect(target.InputTransformer.InputPathsMap).toMatchObject({ 'detail-name': '$.detail.name', 'detail-status': '$.detail.status' });
    expect(target.InputTransformer.InputTemplate).toContain('Tourniquet workflow <detail-name> ended <detail-status>: a human must check the incident');
  });
});
