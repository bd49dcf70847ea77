import { STACK_ENV, STACK_VALUES, type StackOptions, type StackValue } from '../commands/stack-options.js';
import { CliError, EXIT_BAD_INPUT, type FailureContext, NO_CREDENTIALS, NO_REGION } from './errors.js';

/**
 * Where an operator command's AWS values come from: for each value, the explicit flag, else its
 * environment variable, else the deployed stack's output (one CloudFormation DescribeStacks call,
 * made only when a value is still missing and a stack is named). The region and the credentials are
 * checked first, so a missing one is one clear line before anything is read or changed.
 */

/** What a command needs: `required` values fail the command when missing; `optional` ones are looked up but may stay missing. */
export interface StackNeeds {
  readonly required: readonly StackValue[];
  readonly optional?: readonly StackValue[];
}

/** The resolved values, the region every client is created in, and where each value came from. */
export interface StackContext {
  readonly region: string;
  readonly stack?: string;
  readonly values: Partial<Record<StackValue, string>>;
  readonly source: Partial<Record<StackValue, 'flag' | 'env' | 'stack'>>;
}

/** The AWS calls resolution makes; tests replace them. */
export interface StackContextDeps {
  /** The region from the flag, else the SDK's chain (AWS_REGION, AWS_DEFAULT_REGION, the profile); throws when there is none. */
  region(explicit: string | undefined): Promise<string>;
  /** Resolves the SDK's default credential chain once; throws when it finds nothing. */
  credentials(region: string): Promise<void>;
  /** Output key → value of the stack (CloudFormation DescribeStacks). */
  stackOutputs(stack: string, region: string): Promise<Record<string, string>>;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The real thing: the SDK's own region and credential chains, and CloudFormation; each client loaded when used. */
export const awsStackDeps: StackContextDeps = {
  async region(explicit) {
    if (explicit !== undefined) return explicit;
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    try {
      const region = await new DynamoDBClient({}).config.region();
      if (region) return region;
    } catch {
      // The SDK says "Region is missing"; the line below says what to do about it.
    }
    throw new CliError(NO_REGION, EXIT_BAD_INPUT);
  },
  async credentials(region) {
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    try {
      await new DynamoDBClient({ region }).config.credentials();
    } catch (error) {
      throw new CliError(NO_CREDENTIALS, EXIT_BAD_INPUT, { cause: error });
    }
  },
  async stackOutputs(stack, region) {
    const [{ CloudFormationClient }, { StackOutputsAdapter }] = await Promise.all([import('@aws-sdk/client-cloudformation'), import('../../lambdas/adapters/stack-outputs.js')]);
    return new StackOutputsAdapter(new CloudFormationClient({ region })).outputs(stack);
  },
};

const nonEmpty = (value: string | undefined): string | undefined => (value !== undefined && value.trim() !== '' ? value.trim() : undefined);

/**
 * Resolves what `command` needs. Throws a {@link CliError} naming exactly what is missing and how to
 * give it (exit 2); AWS failures of DescribeStacks propagate for the central error mapping, except an
 * unknown stack, which is input ("stack X not found in <region>").
 */
export async function resolveStack(
  command: string,
  options: StackOptions,
  needs: StackNeeds,
  deps: StackContextDeps = awsStackDeps,
  context: FailureContext = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<StackContext> {
  const region = nonEmpty(options.region);
  if (region !== undefined && !REGION.test(region)) throw new CliError(`--region "${region}" is not an AWS region (e.g. us-east-1)`, EXIT_BAD_INPUT);
  const stack = nonEmpty(options.stack) ?? nonEmpty(env[STACK_ENV]);
  const wanted = [...needs.required, ...(needs.optional ?? [])];
  const values: Partial<Record<StackValue, string>> = {};
  const source: Partial<Record<StackValue, 'flag' | 'env' | 'stack'>> = {};
  for (const key of wanted) {
    const flag = nonEmpty(options[key]);
    const fromEnv = nonEmpty(env[STACK_VALUES[key].env]);
    if (flag !== undefined) [values[key], source[key]] = [flag, 'flag'];
    else if (fromEnv !== undefined) [values[key], source[key]] = [fromEnv, 'env'];
  }
  // What the command line alone cannot give is said before any AWS call.
  const absentWithoutStack = needs.required.filter((key) => values[key] === undefined);
  if (stack === undefined && absentWithoutStack.length > 0) throw new CliError(missingMessage(command, absentWithoutStack, undefined), EXIT_BAD_INPUT);

  context.region = await deps.region(region);
  await deps.credentials(context.region);
  if (stack !== undefined) context.stack = stack;

  const missing = () => wanted.filter((key) => values[key] === undefined);
  if (stack !== undefined && missing().length > 0) {
    let outputs: Record<string, string>;
    try {
      outputs = await deps.stackOutputs(stack, context.region);
    } catch (error) {
      if ((error as Error).name === 'AwsResourceNotFoundError')
        throw new CliError(`stack ${stack} not found in ${context.region}: check --stack and --region`, EXIT_BAD_INPUT, { cause: error });
      throw error;
    }
    for (const key of missing()) {
      const value = nonEmpty(outputs[STACK_VALUES[key].output]);
      if (value !== undefined) [values[key], source[key]] = [value, 'stack'];
    }
  }

  const absent = needs.required.filter((key) => values[key] === undefined);
  if (absent.length > 0) throw new CliError(missingMessage(command, absent, stack), EXIT_BAD_INPUT);
  if (values.table !== undefined) context.table = values.table;
  return { region: context.region, ...(stack !== undefined ? { stack } : {}), values, source };
}

/** One line: what is missing and every way to give it. */
export function missingMessage(command: string, absent: readonly StackValue[], stack: string | undefined): string {
  const specs = absent.map((key) => STACK_VALUES[key]);
  const names = specs.map((s) => s.what).join(' and the ');
  if (stack !== undefined) {
    return `${command}: stack ${stack} has no ${specs.map((s) => s.output).join(' or ')} output (deployed by an older Tourniquet?): redeploy it, or pass ${specs.map((s) => s.flagName).join(' and ')}`;
  }
  return `${command} needs the ${names}: pass --stack <name> (its ${specs.map((s) => s.output).join(' and ')} output${specs.length > 1 ? 's' : ''}), ${specs
    .map((s) => s.flagName)
    .join(' and ')}, or set ${specs.map((s) => s.env).join(' and ')}`;
}
