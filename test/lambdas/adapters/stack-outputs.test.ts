import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { AwsAccessDeniedError, AwsResourceNotFoundError } from '../../../lambdas/adapters/errors.js';
import { StackOutputsAdapter } from '../../../lambdas/adapters/stack-outputs.js';
import { sdkError } from './sdk-errors.js';

const cfn = mockClient(CloudFormationClient);
const adapter = () => new StackOutputsAdapter(new CloudFormationClient({ region: 'us-east-1' }));

describe('StackOutputsAdapter.outputs', () => {
  beforeEach(() => {
    cfn.reset();
  });

  it('returns the outputs of the stack by key', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'Tourniquet-prod' }).resolves({
      Stacks: [
        {
          StackName: 'Tourniquet-prod',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date('2026-11-01T00:00:00Z'),
          Outputs: [
            { OutputKey: 'MitigateRoleArn', OutputValue: 'arn:aws:iam::123456789012:role/Tourniquet-prod-MitigateRole' },
            { OutputKey: 'DeploymentStrategyId', OutputValue: 'imm0str' },
            { OutputKey: 'Broken' },
          ],
        },
      ],
    });

    await expect(adapter().outputs('Tourniquet-prod')).resolves.toEqual({
      MitigateRoleArn: 'arn:aws:iam::123456789012:role/Tourniquet-prod-MitigateRole',
      DeploymentStrategyId: 'imm0str',
    });
  });

  it('names a stack that does not exist (CloudFormation says ValidationError)', async () => {
    cfn.on(DescribeStacksCommand).rejects(sdkError('ValidationError', 'Stack with id Tourniquet-dev does not exist'));

    const error = await adapter()
      .outputs('Tourniquet-dev')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsResourceNotFoundError);
    expect((error as Error).message).toBe('CloudFormation stack Tourniquet-dev does not exist in this account and region: Stack with id Tourniquet-dev does not exist');
  });

  it('classifies access denied', async () => {
    cfn.on(DescribeStacksCommand).rejects(sdkError('AccessDenied', 'not authorized to perform: cloudformation:DescribeStacks'));

    await expect(adapter().outputs('Tourniquet-prod')).rejects.toBeInstanceOf(AwsAccessDeniedError);
  });
});
