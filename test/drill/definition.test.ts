import { createRequire } from 'node:module';

import { beforeAll, describe, expect, it } from '@jest/globals';

import {
  definitionFromTemplate,
  DRILL_FUNCTION_ARN_PREFIX,
  LAMBDA_WAIT_FOR_TASK_TOKEN_RESOURCE,
  loadWorkflowDefinition,
  type WorkflowDefinition,
  WorkflowDefinitionError,
} from '../../drill/definition.js';
import {
  APPROVAL_TIMEOUT_SECONDS,
  LAMBDA_CRASH_ERRORS,
  LAMBDA_TRANSIENT_ERRORS,
  MUTATION_IN_PROGRESS_ERROR,
  TRANSIENT_AWS_ERROR,
  WORKFLOW_STATES,
} from '../../lib/constructs/incident-workflow.js';
import { configWith, sampleConfig, templateFor } from '../lib/support.js';

// asl-validator is CommonJS without type declarations.
const aslValidator = createRequire(import.meta.url)('asl-validator') as (
  definition: object,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };

type State = Record<string, any>;

describe('loadWorkflowDefinition', () => {
  let loaded: WorkflowDefinition;
  let states: Record<string, State>;
  beforeAll(() => {
    loaded = loadWorkflowDefinition(sampleConfig());
    states = (loaded.definition as { States: Record<string, State> }).States;
  });

  it('returns a valid Amazon States Language definition', () => {
    // asl-validator writes a default QueryLanguage into every state it checks: give it a copy.
    const result = aslValidator(structuredClone(loaded.definition), { checkPaths: true, checkArn: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('is exactly the definition in the stack template, with function tokens replaced', () => {
    const fromTemplate = definitionFromTemplate(templateFor(sampleConfig()).toJSON() as never);
    expect(loaded).toEqual(fromTemplate);
    expect(JSON.stringify(loaded.definition)).not.toMatch(/Fn::|\$\{Token/);
  });

  it('has every contract state, and only those', () => {
    expect(Object.keys(states).sort()).toEqual(Object.values(WORKFLOW_STATES).sort());
    expect(loaded.definition).toMatchObject({ StartAt: 'ReadExecutionContext' });
  });

  it('maps every Task state to its handler through a fixed local ARN', () => {
    expect(loaded.handlerByState).toEqual({
      OpenIncident: 'open-incident',
      NotifyInvestigating: 'notify',
      Triage: 'triage',
      Decide: 'decide',
      NotifyIdentified: 'notify',
      Mitigate: 'mitigate',
      AwaitApproval: 'request-approval',
      Verify: 'verify',
      NotifyMitigated: 'notify',
      NotifyResolved: 'notify',
      Escalate: 'escalate',
      CloseIncident: 'close-incident',
    });
    for (const [state, handler] of Object.entries(loaded.handlerByState)) {
      if (state === 'AwaitApproval') continue;
      expect(states[state]!.Resource).toBe(`${DRILL_FUNCTION_ARN_PREFIX}${handler}`);
    }
  });

  it('lists AwaitApproval as the one task-token state, invoking request-approval through the callback integration', () => {
    expect(loaded.taskTokenStates).toEqual(['AwaitApproval']);
    expect(states.AwaitApproval).toMatchObject({
      Type: 'Task',
      Resource: LAMBDA_WAIT_FOR_TASK_TOKEN_RESOURCE,
      Parameters: { FunctionName: `${DRILL_FUNCTION_ARN_PREFIX}request-approval` },
    });
    expect(LAMBDA_WAIT_FOR_TASK_TOKEN_RESOURCE).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
  });

  it('asks for approval with the task token and what a human needs, and waits 15 minutes for the decision', () => {
    expect(APPROVAL_TIMEOUT_SECONDS).toBe(900);
    expect(states.AwaitApproval).toMatchObject({
      TimeoutSeconds: 900,
      ResultPath: '$.approval',
      Next: 'ApprovalDecision',
      Parameters: {
        Payload: {
          'taskToken.$': '$$.Task.Token',
          'incidentId.$': '$.incident.incidentId',
          'severity.$': '$.incident.severity',
          'service.$': '$.service',
          'alarmName.$': '$.signal.alarmName',
          'candidate.$': '$.attempt',
          'executionArn.$': '$$.Execution.Id',
          timeoutSeconds: 900,
        },
      },
    });
    // Only the Lambda service's own errors are retried: never a timeout (nobody answered) nor a handler error.
    expect(states.AwaitApproval!.Retry).toEqual([{ ErrorEquals: [...LAMBDA_TRANSIENT_ERRORS], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' }]);
    expect(states.AwaitApproval!.Catch).toEqual([
      { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'ApprovalTimedOut' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Escalate' },
    ]);
  });

  it('goes from Mitigate to the approval gate when the candidate needs a human, and back to Mitigate once approved', () => {
    expect(states.Mitigate!.Next).toBe('NeedsApproval');
    // An alarm that joined before the first change sends the workflow back to triage; an incident that moved on stops it.
    expect(states.NeedsApproval).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.attempt.status', StringEquals: 'needs-approval', Next: 'AwaitApproval' },
        { Variable: '$.attempt.status', StringEquals: 'retriage', Next: 'Triage' },
        { Variable: '$.attempt.status', StringEquals: 'superseded', Next: 'Superseded' },
      ],
      Default: 'WaitForEffect',
    });
    expect(states.ApprovalDecision).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.approval.decision', StringEquals: 'approved', Next: 'Mitigate' }],
      Default: 'ApprovalRejected',
    });
  });

  it('escalates a rejection or a timeout with an error a human can read', () => {
    expect(states.ApprovalRejected).toEqual({
      Type: 'Pass',
      Result: { Error: 'ApprovalRejected', Cause: 'A human rejected the proposed mitigation' },
      ResultPath: '$.error',
      Next: 'Escalate',
    });
    expect(states.ApprovalTimedOut).toEqual({
      Type: 'Pass',
      Result: { Error: 'ApprovalTimedOut', Cause: 'Nobody approved or rejected the proposed mitigation within 15 minutes' },
      ResultPath: '$.error',
      Next: 'TimeoutPolicy',
    });
    // Silence counts as consent only where the service's policy says so for the severity.
    expect(states.TimeoutPolicy).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.attempt.onTimeout', StringEquals: 'proceed', Next: 'ProceedAfterTimeout' }],
      Default: 'Escalate',
    });
    expect(states.ProceedAfterTimeout).toMatchObject({ Type: 'Pass', ResultPath: '$.approval', Next: 'Mitigate' });
  });

  it('reads the execution context into the state', () => {
    expect(states.ReadExecutionContext).toEqual({
      Type: 'Pass',
      Parameters: {
        'incidentId.$': '$.incidentId',
        'signal.$': '$.signal',
        'service.$': '$.service',
        'settings.$': '$.settings',
        execution: { 'id.$': '$$.Execution.Id', 'name.$': '$$.Execution.Name', 'startTime.$': '$$.Execution.StartTime' },
      },
      Next: 'OpenIncident',
    });
  });

  it('writes each Task result under its own key and passes the whole state (or a phase) as input', () => {
    const expected: Record<string, { ResultPath: string | null; Parameters?: object }> = {
      OpenIncident: { ResultPath: '$.incident' },
      NotifyInvestigating: { ResultPath: null, Parameters: { phase: 'Investigating', 'state.$': '$' } },
      Triage: { ResultPath: '$.triage' },
      Decide: { ResultPath: '$.plan' },
      NotifyIdentified: { ResultPath: null, Parameters: { phase: 'Identified', 'state.$': '$' } },
      Mitigate: { ResultPath: '$.attempt' },
      Verify: { ResultPath: '$.verification' },
      NotifyMitigated: { ResultPath: null, Parameters: { phase: 'Mitigated', 'state.$': '$' } },
      NotifyResolved: { ResultPath: null, Parameters: { phase: 'Resolved', 'state.$': '$' } },
      Escalate: { ResultPath: '$.escalation' },
      CloseIncident: { ResultPath: '$.closed' },
    };
    for (const [name, io] of Object.entries(expected)) {
      expect({ name, ResultPath: states[name]!.ResultPath, Parameters: states[name]!.Parameters }).toEqual({ name, Parameters: undefined, ...io });
    }
    expect(Object.keys(expected).sort()).toEqual(
      Object.keys(loaded.handlerByState)
        .filter((n) => !loaded.taskTokenStates.includes(n))
        .sort(),
    );
  });

  it('follows the incident flow', () => {
    const next = (name: string) => states[name]!.Next as string | undefined;
    expect(next('OpenIncident')).toBe('Admission');
    // An execution whose incident moved on stops; one opened past the cap on open incidents pages at once.
    expect(states.Admission).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.incident.mode', StringEquals: 'superseded', Next: 'Superseded' },
        { Variable: '$.incident.mode', StringEquals: 'capped', Next: 'Escalate' },
      ],
      Default: 'NotifyInvestigating',
    });
    expect([next('NotifyInvestigating'), next('Triage'), next('Decide')]).toEqual(['Triage', 'Decide', 'CanMitigate']);
    expect(states.CanMitigate).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.hasCandidate', BooleanEquals: true, Next: 'NotifyIdentified' }],
      Default: 'Escalate',
    });
    expect([next('NotifyIdentified'), next('Mitigate'), next('WaitForEffect'), next('Verify')]).toEqual(['Mitigate', 'NeedsApproval', 'Verify', 'VerificationOutcome']);
    expect(states.WaitForEffect).toMatchObject({ Type: 'Wait', TimestampPath: '$.attempt.checkAt' });
    expect(states.WaitBeforeRecheck).toEqual({ Type: 'Wait', TimestampPath: '$.verification.checkAt', Next: 'Verify' });
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
    // Verified OK: one Wait for the whole watch period, then a last check that resolves it (or finds it superseded).
    expect(states.WaitForWatch).toEqual({ Type: 'Wait', TimestampPath: '$.verification.checkAt', Next: 'Verify' });
    expect([next('NotifyMitigated'), next('NotifyResolved'), next('Escalate'), next('CloseIncident')]).toEqual(['WaitForWatch', 'CloseIncident', 'CloseIncident', 'Done']);
    expect([states.Done!.Type, states.Superseded!.Type]).toEqual(['Succeed', 'Succeed']);
  });

  it('retries transient Lambda and AWS errors on every Task that invokes its function directly', () => {
    for (const name of Object.keys(loaded.handlerByState).filter((n) => !loaded.taskTokenStates.includes(n))) {
      expect({ name, Retry: states[name]!.Retry }).toEqual({
        name,
        Retry: [
          { ErrorEquals: [...LAMBDA_TRANSIENT_ERRORS], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' },
          { ErrorEquals: [TRANSIENT_AWS_ERROR], IntervalSeconds: 5, MaxAttempts: 4, BackoffRate: 2 },
          // Mitigate only: a claim another attempt holds, and a crashed attempt (reconciled by the retry).
          ...(name === 'Mitigate'
            ? [
                { ErrorEquals: [MUTATION_IN_PROGRESS_ERROR], IntervalSeconds: 15, MaxAttempts: 8, BackoffRate: 1.5 },
                { ErrorEquals: [...LAMBDA_CRASH_ERRORS], IntervalSeconds: 10, MaxAttempts: 3, BackoffRate: 2 },
              ]
            : []),
        ],
      });
    }
  });

  it('escalates any failed step, goes on past a failed status update, and ends in a Fail state only when escalating or closing itself fails', () => {
    const afterUpdate: Record<string, string> = { NotifyInvestigating: 'Triage', NotifyIdentified: 'Mitigate', NotifyMitigated: 'WaitForWatch', NotifyResolved: 'CloseIncident' };
    for (const name of Object.keys(loaded.handlerByState).filter((n) => !loaded.taskTokenStates.includes(n))) {
      if (afterUpdate[name]) {
        expect({ name, Catch: states[name]!.Catch }).toEqual({ name, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.notifyError', Next: afterUpdate[name] }] });
        continue;
      }
      const target = name === 'Escalate' ? 'EscalationFailed' : name === 'CloseIncident' ? 'CloseFailed' : 'Escalate';
      expect({ name, Catch: states[name]!.Catch }).toEqual({ name, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: target }] });
    }
    expect(states.EscalationFailed).toMatchObject({ Type: 'Fail', Error: 'Tourniquet.EscalationFailed', Cause: expect.stringContaining('escalat') });
    expect(states.CloseFailed).toMatchObject({ Type: 'Fail', Error: 'Tourniquet.CloseFailed', Cause: expect.stringContaining('closed') });
  });

  it('is the same for every config: the definition names handlers, never configured resources', () => {
    const other = loadWorkflowDefinition(configWith((raw) => ((raw.stage = 'staging'), delete raw.services[0].resources.ecs)));
    expect(other).toEqual(loaded);
  });
});

describe('definitionFromTemplate', () => {
  const fn = (handler: string) => ({ Type: 'AWS::Lambda::Function', Properties: {}, Metadata: { 'tourniquet:handler': handler } });
  const machine = (definitionString: unknown) => ({ Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: definitionString } });
  const task = (resource: unknown) => ({
    'Fn::Join': ['', ['{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"', resource, '","End":true}}}']],
  });

  it('resolves function ARNs by the tourniquet:handler metadata', () => {
    const result = definitionFromTemplate({ Resources: { Fn1: fn('triage'), M: machine(task({ 'Fn::GetAtt': ['Fn1', 'Arn'] })) } });
    expect(result.handlerByState).toEqual({ A: 'triage' });
  });

  it('refuses a template without a state machine, or with two', () => {
    expect(() => definitionFromTemplate({ Resources: { Fn1: fn('triage') } })).toThrow(/exactly one AWS::StepFunctions::StateMachine.*found 0/);
    const twice = machine(task({ 'Fn::GetAtt': ['Fn1', 'Arn'] }));
    expect(() => definitionFromTemplate({ Resources: { Fn1: fn('triage'), M1: twice, M2: twice } })).toThrow(/found 2/);
  });

  it('refuses a token it cannot resolve, naming it', () => {
    const unknown = { Resources: { Fn1: fn('triage'), M: machine(task({ 'Fn::GetAtt': ['SomethingElse', 'Arn'] })) } };
    expect(() => definitionFromTemplate(unknown)).toThrow(WorkflowDefinitionError);
    expect(() => definitionFromTemplate(unknown)).toThrow(/SomethingElse/);
  });

  it('refuses functions without handler metadata and Tasks that are not Tourniquet functions', () => {
    const noMeta = { Resources: { Fn1: { Type: 'AWS::Lambda::Function', Properties: {} }, M: machine(task('x')) } };
    expect(() => definitionFromTemplate(noMeta)).toThrow(/tourniquet:handler/);
    const foreign = { Resources: { Fn1: fn('triage'), M: machine(task('arn:aws:states:::sqs:sendMessage')) } };
    expect(() => definitionFromTemplate(foreign)).toThrow(/Task state "A" does not invoke a Tourniquet function/);
  });

  const integration = (resource: string, functionName: unknown) => ({
    'Fn::Join': [
      '',
      [
        '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:',
        { Ref: 'AWS::Partition' },
        `:states:::${resource}","Parameters":{"FunctionName":"`,
        functionName,
        '","Payload":{"taskToken.$":"$$.Task.Token"}},"End":true}}}',
      ],
    ],
  });

  it('maps a .waitForTaskToken Task to the function in Parameters.FunctionName and lists it as a task-token state', () => {
    const result = definitionFromTemplate({
      Resources: { Fn1: fn('request-approval'), M: machine(integration('lambda:invoke.waitForTaskToken', { 'Fn::GetAtt': ['Fn1', 'Arn'] })) },
    });
    expect(result.handlerByState).toEqual({ A: 'request-approval' });
    expect(result.taskTokenStates).toEqual(['A']);
    expect(result.definition).toMatchObject({ States: { A: { Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken' } } });
  });

  it('refuses the request-response Lambda integration (its result is wrapped, unlike the drill handlers) and foreign callback targets', () => {
    const plain = { Resources: { Fn1: fn('triage'), M: machine(integration('lambda:invoke', { 'Fn::GetAtt': ['Fn1', 'Arn'] })) } };
    expect(() => definitionFromTemplate(plain)).toThrow(/Task state "A" does not invoke a Tourniquet function/);
    const foreign = { Resources: { Fn1: fn('triage'), M: machine(integration('lambda:invoke.waitForTaskToken', 'arn:aws:lambda:us-east-1:1:function:x')) } };
    expect(() => definitionFromTemplate(foreign)).toThrow(/FunctionName "arn:aws:lambda:us-east-1:1:function:x"/);
  });
});
