import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { DRILL_FUNCTION_ARN_PREFIX, WorkflowDefinitionError, definitionFromTemplate, loadWorkflowDefinition, type WorkflowDefinition } from '../../drill/definition.js';
import { LAMBDA_TRANSIENT_ERRORS, TRANSIENT_AWS_ERROR, WORKFLOW_STATES } from '../../lib/constructs/incident-workflow.js';
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
      Verify: 'verify',
      NotifyMitigated: 'notify',
      Escalate: 'escalate',
      CloseIncident: 'close-incident',
    });
    for (const [state, handler] of Object.entries(loaded.handlerByState)) {
      expect(states[state]!.Resource).toBe(`${DRILL_FUNCTION_ARN_PREFIX}${handler}`);
    }
  });

  it('reads the execution context into the state', () => {
    expect(states.ReadExecutionContext).toEqual({
      Type: 'Pass',
      Parameters: {
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
      Escalate: { ResultPath: '$.escalation' },
      CloseIncident: { ResultPath: '$.closed' },
    };
    for (const [name, io] of Object.entries(expected)) {
      expect({ name, ResultPath: states[name]!.ResultPath, Parameters: states[name]!.Parameters }).toEqual({ name, Parameters: undefined, ...io });
    }
  });

  it('follows the incident flow', () => {
    const next = (name: string) => states[name]!.Next as string | undefined;
    expect(next('OpenIncident')).toBe('IsDuplicate');
    expect(states.IsDuplicate).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.incident.duplicate', BooleanEquals: true, Next: 'AlreadyHandled' }],
      Default: 'NotifyInvestigating',
    });
    expect([next('NotifyInvestigating'), next('Triage'), next('Decide')]).toEqual(['Triage', 'Decide', 'CanMitigate']);
    expect(states.CanMitigate).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.hasCandidate', BooleanEquals: true, Next: 'NotifyIdentified' }],
      Default: 'Escalate',
    });
    expect([next('NotifyIdentified'), next('Mitigate'), next('WaitForEffect'), next('Verify')]).toEqual([
      'Mitigate',
      'WaitForEffect',
      'Verify',
      'VerificationOutcome',
    ]);
    expect(states.WaitForEffect).toMatchObject({ Type: 'Wait', TimestampPath: '$.attempt.checkAt' });
    expect(states.WaitBeforeRecheck).toEqual({ Type: 'Wait', TimestampPath: '$.verification.checkAt', Next: 'Verify' });
    expect(states.VerificationOutcome).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.verification.outcome', StringEquals: 'restored', Next: 'NotifyMitigated' },
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
    expect([next('NotifyMitigated'), next('Escalate'), next('CloseIncident')]).toEqual(['CloseIncident', 'CloseIncident', 'Done']);
    expect([states.Done!.Type, states.AlreadyHandled!.Type]).toEqual(['Succeed', 'Succeed']);
  });

  it('retries transient Lambda and AWS errors on every Task', () => {
    for (const name of Object.keys(loaded.handlerByState)) {
      expect({ name, Retry: states[name]!.Retry }).toEqual({
        name,
        Retry: [
          { ErrorEquals: [...LAMBDA_TRANSIENT_ERRORS], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' },
          { ErrorEquals: [TRANSIENT_AWS_ERROR], IntervalSeconds: 5, MaxAttempts: 4, BackoffRate: 2 },
        ],
      });
    }
  });

  it('escalates any failed step, and ends in a Fail state only when escalating or closing itself fails', () => {
    for (const name of Object.keys(loaded.handlerByState)) {
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
});
