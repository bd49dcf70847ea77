import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import type { TourniquetConfig } from '../lambdas/core/config.js';
import { createTourniquetApp } from '../lib/app.js';
import { HANDLER_METADATA_KEY } from '../lib/handlers.js';

/**
 * The state machine definition the drill runs, taken from the synthesized CloudFormation template:
 * the same definition `cdk synth` deploys, with the Lambda ARN tokens replaced by fixed local ARNs.
 */

/** Account and region of the drill's fixed function ARNs. */
export const DRILL_FUNCTION_ARN_PREFIX = 'arn:aws:lambda:us-east-1:123456789012:function:';

/** The pseudo parameters a definition may use, as the drill renders them (same account and region as the functions). */
const DRILL_PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** Resource of a Lambda Task using the callback pattern (`integrationPattern: WAIT_FOR_TASK_TOKEN`). */
export const LAMBDA_WAIT_FOR_TASK_TOKEN_RESOURCE = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

export interface WorkflowDefinition {
  /** The Amazon States Language definition, as plain JSON. */
  definition: object;
  /** Task state name → handler name (`lambdas/handlers/<name>.ts`). */
  handlerByState: Record<string, string>;
  /**
   * Task states that wait for a task token (Resource {@link LAMBDA_WAIT_FOR_TASK_TOKEN_RESOURCE},
   * the function in `Parameters.FunctionName`). Deployed, Step Functions invokes the function with
   * `Parameters.Payload` as its event (the task token is in it, from `$$.Task.Token`) and the
   * state's result is the output someone later sends with SendTaskSuccess, not the function's
   * return value. The drill overrides these states: its handler gets the state's effective input,
   * `{ FunctionName, Payload }`, unwraps `Payload`, runs the handler, and answers the token itself.
   */
  taskTokenStates: string[];
}

/** The synthesized template did not contain what the drill needs (or contained something it cannot resolve). */
export class WorkflowDefinitionError extends Error {
  override readonly name = 'WorkflowDefinitionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

/**
 * Synthesizes the Tourniquet stack for `config` in-process (bundling skipped) and returns its state
 * machine definition as plain ASL JSON, plus which handler each Task state runs.
 *
 * @throws WorkflowDefinitionError when the template has no (or several) state machines, a Task
 * resource is not a Tourniquet function, or the definition contains a token it cannot resolve.
 */
export function loadWorkflowDefinition(config: TourniquetConfig): WorkflowDefinition {
  const outdir = mkdtempSync(path.join(tmpdir(), 'tourniquet-synth-'));
  try {
    // Neither bundling nor CDK's template validation changes the definition; both only cost time here.
    const { app, stack } = createTourniquetApp(config, {
      skipBundling: true,
      validateTemplate: false,
      appProps: { outdir, treeMetadata: false },
    });
    const template = app.synth().getStackArtifact(stack.artifactId).template as { Resources?: Record<string, CfnResource> };
    return definitionFromTemplate(template);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The template half of {@link loadWorkflowDefinition}, separate so it can be tested on hand-made templates. */
export function definitionFromTemplate(template: { Resources?: Record<string, CfnResource> }): WorkflowDefinition {
  const resources = template.Resources ?? {};

  const handlerByLogicalId = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    const handler = resource.Metadata?.[HANDLER_METADATA_KEY];
    if (resource.Type === 'AWS::Lambda::Function' && typeof handler === 'string') handlerByLogicalId.set(logicalId, handler);
  }
  if (handlerByLogicalId.size === 0) {
    throw new WorkflowDefinitionError(`no AWS::Lambda::Function carries "${HANDLER_METADATA_KEY}" metadata`);
  }

  const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) {
    throw new WorkflowDefinitionError(`expected exactly one AWS::StepFunctions::StateMachine in the template, found ${machines.length}`);
  }
  const [machineId, machine] = machines[0]!;
  const definitionString = machine.Properties?.DefinitionString;
  if (definitionString === undefined) {
    throw new WorkflowDefinitionError(`state machine ${machineId} has no DefinitionString`);
  }

  const text = renderDefinitionString(definitionString, handlerByLogicalId, machineId);
  let definition: { States?: Record<string, { Type?: string; Resource?: string; Parameters?: { FunctionName?: unknown } }> };
  try {
    definition = JSON.parse(text) as typeof definition;
  } catch (cause) {
    throw new WorkflowDefinitionError(`state machine ${machineId}: the rendered definition is not valid JSON`, { cause });
  }
  if (!definition.States || Object.keys(definition.States).length === 0) {
    throw new WorkflowDefinitionError(`state machine ${machineId}: the definition has no States`);
  }

  const handlerByState: Record<string, string> = {};
  const taskTokenStates: string[] = [];
  for (const [stateName, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const waitsForToken = state.Resource === LAMBDA_WAIT_FOR_TASK_TOKEN_RESOURCE;
    // Direct invocation names the function as the Resource; the callback integration names it in Parameters.
    const functionArn = waitsForToken ? state.Parameters?.FunctionName : state.Resource;
    if (typeof functionArn !== 'string' || !functionArn.startsWith(DRILL_FUNCTION_ARN_PREFIX)) {
      throw new WorkflowDefinitionError(
        `Task state "${stateName}" does not invoke a Tourniquet function (Resource ${JSON.stringify(state.Resource)}` +
          `${waitsForToken ? `, FunctionName ${JSON.stringify(functionArn)}` : ''}): Tasks must invoke a function directly or through ${LAMBDA_WAIT_FOR_TASK_TOKEN_RESOURCE}`,
      );
    }
    handlerByState[stateName] = functionArn.slice(DRILL_FUNCTION_ARN_PREFIX.length);
    if (waitsForToken) taskTokenStates.push(stateName);
  }
  if (Object.keys(handlerByState).length === 0) {
    throw new WorkflowDefinitionError(`state machine ${machineId}: the definition has no Task states`);
  }
  return { definition, handlerByState, taskTokenStates };
}

/**
 * Resolves a DefinitionString (a literal, or `Fn::Join` of literals, function `Fn::GetAtt`s and
 * pseudo-parameter `Ref`s such as the partition in `arn:${AWS::Partition}:states:::lambda:...`) to text.
 */
function renderDefinitionString(value: unknown, handlerByLogicalId: ReadonlyMap<string, string>, machineId: string): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: unknown })?.['Fn::Join'];
  if (!Array.isArray(join) || join.length !== 2 || typeof join[0] !== 'string' || !Array.isArray(join[1])) {
    throw new WorkflowDefinitionError(`state machine ${machineId}: DefinitionString is neither a string nor an Fn::Join (${JSON.stringify(value)})`);
  }
  const [separator, parts] = join as [string, unknown[]];
  return parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: unknown })?.Ref;
      if (typeof ref === 'string' && ref in DRILL_PSEUDO_PARAMETERS) return DRILL_PSEUDO_PARAMETERS[ref]!;
      const getAtt = (part as { 'Fn::GetAtt'?: unknown })?.['Fn::GetAtt'];
      if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string') {
        const handler = handlerByLogicalId.get(getAtt[0]);
        if (handler !== undefined) return `${DRILL_FUNCTION_ARN_PREFIX}${handler}`;
      }
      throw new WorkflowDefinitionError(
        `state machine ${machineId}: cannot resolve ${JSON.stringify(part)} in the definition (only ARNs of functions with "${HANDLER_METADATA_KEY}" metadata and pseudo parameters are known)`,
      );
    })
    .join(separator);
}
