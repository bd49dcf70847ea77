import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';

import { MIN_SECRET_LENGTH } from '../../../lambdas/core/approval-link.js';
import { APPROVAL_ENDPOINT_TABLE_ACTIONS, APPROVAL_REQUEST_TABLE_ACTIONS, APPROVAL_SECRET_LENGTH } from '../../../lib/constructs/approvals.js';
import { HANDLER_NAMES } from '../../../lib/handlers.js';
import { actionsOf, type CfnResource, functionsByHandler, render, resourcesFor, ROOT, sampleConfig, statementsOf, templateFor } from '../support.js';

const only = <T>(record: Record<string, T>): [string, T] => {
  const entries = Object.entries(record);
  expect(entries).toHaveLength(1);
  return entries[0]!;
};

describe('Approvals', () => {
  let template: Template;
  let secretId: string;
  let tableId: string;
  let endpoint: CfnResource & { logicalId: string };
  let requester: CfnResource & { logicalId: string };
  beforeAll(() => {
    template = templateFor(sampleConfig());
    secretId = only(template.findResources('AWS::SecretsManager::Secret'))[0];
    tableId = only(template.findResources('AWS::DynamoDB::Table'))[0];
    endpoint = functionsByHandler(template)['approval-endpoint']!;
    requester = functionsByHandler(template)['request-approval']!;
  });

  it('generates a long signing secret of letters and digits', () => {
    const [, secret] = only(template.findResources('AWS::SecretsManager::Secret') as Record<string, CfnResource>);
    expect(secret.Properties.GenerateSecretString).toEqual({ PasswordLength: APPROVAL_SECRET_LENGTH, ExcludePunctuation: true, IncludeSpace: false });
    expect(APPROVAL_SECRET_LENGTH).toBeGreaterThanOrEqual(MIN_SECRET_LENGTH);
  });

  it('serves the endpoint from a public function URL (the signed link is the credential), and no other function', () => {
    const [, url] = only(template.findResources('AWS::Lambda::Url') as Record<string, CfnResource>);
    expect(url.Properties).toEqual({ AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': [endpoint.logicalId, 'Arn'] } });
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission') as Record<string, CfnResource>).filter(
      (p) => p.Properties.FunctionName['Fn::GetAtt']?.[0] === endpoint.logicalId,
    );
    // Both halves of a public function URL: InvokeFunctionUrl, and InvokeFunction only through the URL.
    expect(permissions.map((p) => p.Properties).sort((a, b) => String(a.Action).localeCompare(String(b.Action)))).toEqual([
      { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': [endpoint.logicalId, 'Arn'] }, InvokedViaFunctionUrl: true, Principal: '*' },
      { Action: 'lambda:InvokeFunctionUrl', FunctionName: { 'Fn::GetAtt': [endpoint.logicalId, 'Arn'] }, FunctionUrlAuthType: 'NONE', Principal: '*' },
    ]);
  });

  it('caps the endpoint at a few concurrent executions and gives it the table and the secret', () => {
    expect(endpoint.Properties.ReservedConcurrentExecutions).toBe(5);
    expect(endpoint.Properties.Environment.Variables).toMatchObject({ TABLE_NAME: { Ref: tableId }, APPROVAL_SECRET_ARN: { Ref: secretId } });
  });

  it('lets the endpoint read and decide approvals, read the secret, and answer tasks of the incident state machine only', () => {
    const s = statementsOf(template, 'approval-endpoint');
    const [machineId, machine] = only(template.findResources('AWS::StepFunctions::StateMachine') as Record<string, CfnResource>);
    expect(
      actionsOf(s)
        .filter((a) => a.startsWith('dynamodb:'))
        .sort(),
    ).toEqual([...APPROVAL_ENDPOINT_TABLE_ACTIONS].sort());
    expect(resourcesFor(s, 'dynamodb:UpdateItem')).toEqual([`\${${tableId}.Arn}`]);
    expect(resourcesFor(s, 'secretsmanager:GetSecretValue')).toEqual([`\${${secretId}}`]);
    expect(actionsOf(s).filter((a) => a.startsWith('states:'))).toEqual(['states:SendTaskSuccess']);
    // Built from the fixed name, not a Ref to the state machine: a Ref would close a dependency cycle.
    expect(resourcesFor(s, 'states:SendTaskSuccess')).toEqual([
      `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${machine.Properties.StateMachineName}`,
    ]);
    expect(JSON.stringify(s)).not.toContain(machineId);
  });

  it('gives no other function SendTaskSuccess or the secret, except request-approval the secret', () => {
    for (const handler of HANDLER_NAMES) {
      const actions = actionsOf(statementsOf(template, handler));
      if (handler !== 'approval-endpoint') expect({ handler, actions: actions.filter((a) => a.startsWith('states:SendTask')) }).toEqual({ handler, actions: [] });
      if (!['approval-endpoint', 'request-approval'].includes(handler)) {
        expect({ handler, actions: actions.filter((a) => a.startsWith('secretsmanager:')) }).toEqual({ handler, actions: [] });
      }
    }
  });

  it('wires request-approval to the endpoint URL, the secret and both topics, with narrow table actions', () => {
    const [urlId] = only(template.findResources('AWS::Lambda::Url'));
    expect(requester.Properties.Environment.Variables).toMatchObject({
      TABLE_NAME: { Ref: tableId },
      APPROVAL_SECRET_ARN: { Ref: secretId },
      APPROVAL_ENDPOINT_URL: { 'Fn::GetAtt': [urlId, 'FunctionUrl'] },
      STATUS_TOPIC_ARN: { Ref: expect.stringContaining('StatusTopic') },
      ESCALATION_TOPIC_ARN: { Ref: expect.stringContaining('EscalationTopic') },
    });
    const s = statementsOf(template, 'request-approval');
    expect(
      actionsOf(s)
        .filter((a) => a.startsWith('dynamodb:'))
        .sort(),
    ).toEqual([...APPROVAL_REQUEST_TABLE_ACTIONS].sort());
    expect(resourcesFor(s, 'dynamodb:Query')).toEqual([`\${${tableId}.Arn}`]);
    expect(resourcesFor(s, 'secretsmanager:GetSecretValue')).toEqual([`\${${secretId}}`]);
    expect(actionsOf(s)).toEqual(expect.arrayContaining(['kms:GenerateDataKey*', 'sns:Publish']));
  });

  it('grants between them every table action the approval store sends', () => {
    const needed: Record<string, string[]> = {
      GetCommand: ['dynamodb:GetItem'],
      QueryCommand: ['dynamodb:Query'],
      UpdateCommand: ['dynamodb:UpdateItem'],
      // create(): a ConditionCheck on the incident and a Put of the approval.
      TransactWriteCommand: ['dynamodb:ConditionCheckItem', 'dynamodb:PutItem'],
    };
    const source = readFileSync(path.join(ROOT, 'lambdas/store/approvals.ts'), 'utf8');
    const commands = [...new Set(source.match(/\b[A-Z][A-Za-z]+Command\b/g) ?? [])];
    const granted = new Set<string>([...APPROVAL_ENDPOINT_TABLE_ACTIONS, ...APPROVAL_REQUEST_TABLE_ACTIONS]);
    for (const command of commands) {
      expect({ command, known: command in needed }).toEqual({ command, known: true });
      for (const action of needed[command]!) expect(granted).toContain(action);
    }
  });

  it('leaves no dependency cycle between the state machine, request-approval and the endpoint', () => {
    // Template.fromStack (in beforeAll) refuses a template with a dependency cycle; this checks
    // the chain that would close one is really there: state machine → request-approval → URL → endpoint.
    const resources = template.toJSON().Resources as Record<string, CfnResource>;
    const [machineId] = only(template.findResources('AWS::StepFunctions::StateMachine'));
    const [urlId] = only(template.findResources('AWS::Lambda::Url'));
    expect(render(resources[machineId]!.Properties.DefinitionString)).toContain(requester.logicalId);
    expect(JSON.stringify(requester.Properties.Environment)).toContain(urlId);
    expect(JSON.stringify(statementsOf(template, 'approval-endpoint'))).not.toContain(machineId);
  });
});
