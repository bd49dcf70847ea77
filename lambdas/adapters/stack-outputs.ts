import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

import { awsErrorName, AwsResourceNotFoundError, callAws } from './errors.js';

/**
 * The outputs of a deployed Tourniquet stack (CloudFormation DescribeStacks), so the CLI finds the
 * mitigate role and the deployment strategy from a stack name instead of asking for each value.
 */
export class StackOutputsAdapter {
  constructor(private readonly client: CloudFormationClient = new CloudFormationClient({})) {}

  /**
   * Output key → value of the stack.
   *
   * @throws AwsResourceNotFoundError when there is no such stack in the region (CloudFormation answers ValidationError)
   */
  async outputs(stackName: string): Promise<Record<string, string>> {
    const out = await callAws('CloudFormation DescribeStacks', `stack ${stackName}`, async () => {
      try {
        return await this.client.send(new DescribeStacksCommand({ StackName: stackName }));
      } catch (err) {
        // CloudFormation reports an unknown stack as a ValidationError ("Stack with id X does not exist").
        if (awsErrorName(err) === 'ValidationError' && /does not exist/i.test((err as Error).message)) {
          throw new AwsResourceNotFoundError(`CloudFormation stack ${stackName} does not exist in this account and region: ${(err as Error).message}`, { cause: err });
        }
        throw err;
      }
    });
    const stack = out.Stacks?.[0];
    if (!stack) throw new AwsResourceNotFoundError(`CloudFormation DescribeStacks on stack ${stackName} returned no stack`);
    return Object.fromEntries((stack.Outputs ?? []).flatMap((o) => (o.OutputKey !== undefined && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue] as const] : [])));
  }
}
