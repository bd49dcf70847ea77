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

  it('logs every event, without execution data (no task token in a log), to a vended-logs group kept for one month', () => {
    const logGroupId = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] as string;
    expect(machine.Properties.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
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

  it('shows the waiting AwaitApproval task as a proposal: what, on which resource, why, risk, expiry, and how to answer', () => {
    const definition = JSON.parse(render(machine.Properties.DefinitionString)) as { States: Record<string, any> };
    const payload = definition.States.AwaitApproval.Parameters.Payload;
    expect(payload['taskToken.$']).toBe('$$.Task.Token');
    expect(payload.proposal).toEqual({
      'what.$': "States.Format('{} on {}', $.attempt.type, $.attempt.target)",
      'resource.$': '$.attempt.target',
      'why.$': '$.attempt.rationale',
      'risk.$': '$.attempt.risk',
      'severity.$': '$.incident.severity',
      expires: '15 minutes after AwaitApproval was entered (the approval record and its links carry the exact time)',
      'ifNobodyAnswers.$': '$.attempt.onTimeout',
      'approve.$': "States.Format('npx tourniquet approve {} --reason <why> --table <IncidentTableName stack output> --region ${AWS::Region}', $.incident.incidentId)",
      'reject.$': "States.Format('npx tourniquet reject {} --reason <why> --table <IncidentTableName stack output> --region ${AWS::Region}', $.incident.incidentId)",
      orUseTheLinks: 'the Approve / Reject links in the approvers email open a confirmation page; only its form decides',
    });
    expect(definition.States.AwaitApproval.TimeoutSeconds).toBe(900);
  });
});

describe('IncidentWorkflow: the episode lifecycle', () => {
  type State = Record<string, any>;
  let states: Record<string, State>;
  beforeAll(() => {
    states = (definitionFromTemplate(templateFor(sampleConfig()).toJSON() as never).definition as { States: Record<string, State> }).States;
  });

  it('admits the execution after OpenIncident: a superseded one stops, a capped one pages, the rest investigate', () => {
    expect(states.OpenIncident).toMatchObject({ Type: 'Task', ResultPath: '$.incident', Next: 'Admission' });
    expect(states.Admission).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.incident.mode', StringEquals: 'superseded', Next: 'Superseded' },
        { Variable: '$.incident.mode', StringEquals: 'capped', Next: 'Escalate' },
      ],
      Default: 'NotifyInvestigating',
    });
    expect(states.Superseded).toMatchObject({ Type: 'Succeed' });
  });

  it('after Mitigate: waits for a human, triages again when an alarm joined, stops when superseded, else waits for the effect', () => {
    expect(states.NeedsApproval).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.attempt.status', StringEquals: 'needs-approval', Next: 'AwaitApproval' },
        { Variable: '$.attempt.status', StringEquals: 'retriage', Next: 'Triage' },
        { Variable: '$.attempt.status', StringEquals: 'superseded', Next: 'Superseded' },
      ],
      Default: 'WaitForEffect',
    });
  });

  it('after Verify: watching → Mitigated update and one Wait for the watch period, then Verify again; resolved → Resolved update and close', () => {
    expect(states.VerificationOutcome).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.verification.outcome', StringEquals: 'watching', Next: 'NotifyMitigated' },
        { Variable: '$.verification.outcome', StringEquals: 'resolved', Next: 'NotifyResolved' },
        { Variable: '$.verification.outcome', StringEquals: 'superseded', Next: 'Superseded' },
        { Variable: '$.verification.outcome', StringEquals: 'pending', Next: 'WaitBeforeRecheck' },
        {
          And: [
            { Variable: '$.verification.outcome', StringEquals: 'failed' },
            { Variable: '$.verification.hasNext', BooleanEquals: true },
          ],
          Next: 'Mitigate',
        },
      ],
      Default: 'Escalate',
    });
    expect(states.NotifyMitigated).toMatchObject({ Type: 'Task', Parameters: { phase: 'Mitigated', 'state.$': '$' }, ResultPath: null, Next: 'WaitForWatch' });
    expect(states.WaitForWatch).toEqual({ Type: 'Wait', TimestampPath: '$.verification.checkAt', Next: 'Verify' });
    expect(states.NotifyResolved).toMatchObject({ Type: 'Task', Parameters: { phase: 'Resolved', 'state.$': '$' }, ResultPath: null, Next: 'CloseIncident' });
    expect(states.Escalate).toMatchObject({ Next: 'CloseIncident' });
    expect(states.CloseIncident).toMatchObject({ Next: 'Done' });
  });

  it('gives every Task state a Retry and a Catch: no execution ends silently', () => {
    const tasks = Object.entries(states).filter(([, state]) => state.Type === 'Task');
    expect(tasks.map(([name]) => name)).toEqual(expect.arrayContaining(['OpenIncident', 'NotifyMitigated', 'NotifyResolved', 'Verify', 'Mitigate']));
    for (const [name, state] of tasks) {
      expect({ name, retries: (state.Retry ?? []).length > 0 }).toEqual({ name, retries: true });
      expect({ name, catches: (state.Catch ?? []).some((c: { ErrorEquals: string[] }) => c.ErrorEquals.includes('States.ALL')) }).toEqual({ name, catches: true });
    }
    // A Resolved update that cannot be sent does not undo the resolution: the incident is still closed.
    expect(states.NotifyResolved!.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.notifyError', Next: 'CloseIncident' }]);
    expect(states.Verify!.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Escalate' }]);
  });
});

describe('FailureNet', () => {
  it('pages the escalation topic with a readable message when an execution fails, times out or is aborted', () => {
    const template = templateFor(sampleConfig());
    const machineId = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'))[0]!;
    const escalationId = Object.entries(template.findResources('AWS::SNS::Topic') as Record<string, CfnResource>).find(
      ([, t]) => t.Properties.DisplayName === 'Tourniquet escalation',
    )![0];
    const rules = Object.values(template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.states'] } } }) as Record<string, CfnResource>);
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
