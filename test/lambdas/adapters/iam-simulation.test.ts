import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { AwsAccessDeniedError } from '../../../lambdas/adapters/errors.js';
import { IamPolicySimulator } from '../../../lambdas/adapters/iam-simulation.js';
import { sdkError } from './sdk-errors.js';

const iam = mockClient(IAMClient);
const ROLE = 'arn:aws:iam::123456789012:role/Tourniquet-prod-MitigateRole';
const SERVICE = 'arn:aws:ecs:us-east-1:123456789012:service/shop-prod/checkout';
const ZONE = 'arn:aws:route53:::hostedzone/Z0SHOP0EXAMPLE';
const simulator = () => new IamPolicySimulator(new IAMClient({ region: 'us-east-1' }));

describe('IamPolicySimulator.simulate', () => {
  beforeEach(() => {
    iam.reset();
  });

  it('reads the per-resource decisions IAM gives under one result per action', async () => {
    iam.on(SimulatePrincipalPolicyCommand).resolves({
      EvaluationResults: [
        {
          EvalActionName: 'ecs:UpdateService',
          EvalDecision: 'implicitDeny',
          ResourceSpecificResults: [
            { EvalResourceName: SERVICE, EvalResourceDecision: 'allowed' },
            { EvalResourceName: 'arn:aws:ecs:us-east-1:123456789012:service/shop-prod/search', EvalResourceDecision: 'implicitDeny' },
          ],
        },
      ],
      IsTruncated: false,
    });

    const decisions = await simulator().simulate({
      principalArn: ROLE,
      actions: ['ecs:UpdateService'],
      resources: [SERVICE, 'arn:aws:ecs:us-east-1:123456789012:service/shop-prod/search'],
    });

    expect(decisions).toEqual([
      { action: 'ecs:UpdateService', resource: SERVICE, decision: 'allowed' },
      { action: 'ecs:UpdateService', resource: 'arn:aws:ecs:us-east-1:123456789012:service/shop-prod/search', decision: 'implicitDeny' },
    ]);
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand)[0]!.args[0].input).toEqual({
      PolicySourceArn: ROLE,
      ActionNames: ['ecs:UpdateService'],
      ResourceArns: [SERVICE, 'arn:aws:ecs:us-east-1:123456789012:service/shop-prod/search'],
      MaxItems: 1000,
    });
  });

  it('reads the older shape (one result per action and resource), follows pages, and passes the condition keys of the call', async () => {
    iam
      .on(SimulatePrincipalPolicyCommand)
      .resolvesOnce({
        EvaluationResults: [{ EvalActionName: 'route53:ChangeResourceRecordSets', EvalResourceName: ZONE, EvalDecision: 'allowed' }],
        IsTruncated: true,
        Marker: 'next',
      })
      .resolvesOnce({
        EvaluationResults: [{ EvalActionName: 'route53:GetChange', EvalResourceName: 'arn:aws:route53:::change/*', EvalDecision: 'explicitDeny' }],
        IsTruncated: false,
      });

    const decisions = await simulator().simulate({
      principalArn: ROLE,
      actions: ['route53:ChangeResourceRecordSets', 'route53:GetChange'],
      resources: [ZONE],
      context: { 'route53:ChangeResourceRecordSetsActions': ['UPSERT'] },
    });

    expect(decisions.map((d) => d.decision)).toEqual(['allowed', 'explicitDeny']);
    const calls = iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input);
    expect(calls[0]!.ContextEntries).toEqual([{ ContextKeyName: 'route53:ChangeResourceRecordSetsActions', ContextKeyValues: ['UPSERT'], ContextKeyType: 'stringList' }]);
    expect(calls[1]!.Marker).toBe('next');
  });

  it('classifies a caller who may not simulate', async () => {
    iam.on(SimulatePrincipalPolicyCommand).rejects(sdkError('AccessDenied', 'not authorized to perform: iam:SimulatePrincipalPolicy'));

    await expect(simulator().simulate({ principalArn: ROLE, actions: ['ecs:UpdateService'], resources: [SERVICE] })).rejects.toBeInstanceOf(AwsAccessDeniedError);
  });
});
