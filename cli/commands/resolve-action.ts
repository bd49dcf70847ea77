import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { SnsPublisher } from '../../lambdas/adapters/sns-publisher.js';
import { acknowledgeIncident, DEFAULT_FLAP_COOLDOWN_MINUTES, type HumanActionDeps, IncidentActionError, resolveIncident } from '../../lambdas/operations/resolve.js';
import { IncidentStore } from '../../lambdas/store/incident-store.js';
import { CliError, type FailureContext, runAction } from '../runtime/errors.js';
import { resolveStack, type StackContextDeps } from '../runtime/stack-context.js';
import type { StackOptions } from './stack-options.js';

/**
 * What `tourniquet ack|resolve` do, loaded only when one of them runs (registration: resolve.ts).
 * The use cases themselves are in lambdas/operations/resolve.ts.
 */

export interface HumanOptions extends StackOptions {
  readonly reason?: string;
  readonly by?: string;
  readonly flapCooldown?: string;
  /** false with --no-notify. */
  readonly notify?: boolean;
}

/** Where ack and resolve get AWS from; tests pass a store and publisher over DynamoDB Local and a fake topic. */
export interface HumanCommandDeps {
  readonly stack?: StackContextDeps;
  readonly store?: (tableName: string, region: string) => HumanActionDeps['store'];
  readonly publisher?: (region: string) => NonNullable<HumanActionDeps['publisher']>;
  readonly clock?: () => Date;
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
}

const realStore = (tableName: string, region: string) =>
  new IncidentStore({ tableName, client: DynamoDBDocumentClient.from(new DynamoDBClient({ region }), { marshallOptions: { removeUndefinedValues: true } }) });

/** The incident store and, unless --no-notify, the status topic's publisher; a missing topic is said in one line. */
async function humanDeps(command: 'resolve' | 'ack', options: HumanOptions, deps: HumanCommandDeps, context: FailureContext): Promise<HumanActionDeps> {
  const notify = options.notify !== false;
  const stack = await resolveStack(command, options, { required: ['table'], optional: notify ? ['statusTopic'] : [] }, deps.stack, context);
  const topic = stack.values.statusTopic;
  if (notify && topic === undefined) {
    (deps.err ?? ((t) => process.stderr.write(t)))(
      `tourniquet: no status topic, so no ${command === 'resolve' ? 'Resolved update' : 'acknowledgement'} was sent: pass --stack <name> or --status-topic <arn> (or set TOURNIQUET_STATUS_TOPIC), or --no-notify to mean it\n`,
    );
  }
  return {
    store: (deps.store ?? realStore)(stack.values.table!, stack.region),
    clock: deps.clock ?? (() => new Date()),
    ...(notify && topic !== undefined ? { publisher: deps.publisher?.(stack.region) ?? new SnsPublisher(new SNSClient({ region: stack.region })), statusTopicArn: topic } : {}),
  };
}

function cooldownOf(options: HumanOptions): number {
  const cooldown = Number(options.flapCooldown ?? DEFAULT_FLAP_COOLDOWN_MINUTES);
  if (!Number.isInteger(cooldown) || cooldown < 0 || cooldown > 10_080)
    throw new CliError(`--flap-cooldown must be a whole number of minutes from 0 to 10080, got "${options.flapCooldown}"`);
  return cooldown;
}

const by = (options: HumanOptions) => options.by ?? process.env.USER ?? 'operator';

/** `tourniquet resolve`: returns the exit code (also set on the process by the CLI). */
export async function runResolve(incidentId: string, options: HumanOptions, deps: HumanCommandDeps = {}): Promise<number> {
  return runAction(async (context) => {
    const flapCooldownMinutes = cooldownOf(options);
    const human = await humanDeps('resolve', options, deps, context);
    (deps.out ?? ((t) => process.stdout.write(t)))(`${await resolveIncident({ ...human, flapCooldownMinutes }, incidentId, by(options), options.reason)}\n`);
  }, deps.err);
}

/** `tourniquet ack`. */
export async function runAck(incidentId: string, options: HumanOptions, deps: HumanCommandDeps = {}): Promise<number> {
  return runAction(async (context) => {
    const human = await humanDeps('ack', options, deps, context);
    (deps.out ?? ((t) => process.stdout.write(t)))(`${await acknowledgeIncident(human, incidentId, by(options), options.reason)}\n`);
  }, deps.err);
}

export const resolveAction = async (incidentId: string, options: HumanOptions): Promise<void> => void (process.exitCode = await runResolve(incidentId, options));
export const ackAction = async (incidentId: string, options: HumanOptions): Promise<void> => void (process.exitCode = await runAck(incidentId, options));

export { IncidentActionError };
