import { readFileSync } from 'node:fs';

import { describe, expect, it } from '@jest/globals';
import { Template } from 'aws-cdk-lib/assertions';

import { fastStack, sampleConfig } from './support.js';

/**
 * The logical IDs (and types) of the standalone stack's resources and outputs for the sample config,
 * taken from a synth just before its body moved into the `Tourniquet` construct. A resource whose
 * logical ID changes is replaced on the next deploy (the incident table with its data), so none may.
 */
const BEFORE = JSON.parse(readFileSync(new URL('./embedding-logical-ids.json', import.meta.url), 'utf8')) as {
  resources: Record<string, string>;
  outputs: string[];
};

describe('TourniquetStack holds one Tourniquet construct (id Default)', () => {
  const stack = fastStack(sampleConfig());
  const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string }>; Outputs: Record<string, unknown> };

  it('keeps every logical ID the stack had before the move, with the same type', () => {
    const now = Object.fromEntries(Object.entries(template.Resources).map(([id, r]) => [id, r.Type]));
    expect(Object.keys(BEFORE.resources).length).toBeGreaterThan(100);
    for (const [id, type] of Object.entries(BEFORE.resources)) expect({ id, type: now[id] }).toEqual({ id, type });
    // The ones a replacement would hurt most, by name.
    expect(now.IncidentTable6A6B881D).toBe('AWS::DynamoDB::Table');
    expect(now.WorkflowStateMachine8F1B1C15).toBe('AWS::StepFunctions::StateMachine');
  });

  it('keeps the output names the CLI reads with --stack', () => {
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(BEFORE.outputs));
    expect(BEFORE.outputs).toEqual(expect.arrayContaining(['IncidentTableName', 'StatusTopicArn', 'DeploymentStrategyId', 'MitigateRoleArn']));
  });

  it('re-exposes the construct and its parts on the stack', () => {
    expect(stack.tourniquet.node.id).toBe('Default');
    expect(stack.table).toBe(stack.tourniquet.table);
    expect(stack.functions).toBe(stack.tourniquet.functions);
  });
});
