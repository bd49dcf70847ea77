import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import type { CadenceSettings } from '../../core/cadence.js';
import type { TourniquetConfig } from '../../core/config.js';
import type { MetricsSink } from '../../operations/ports.js';
import type { AwsClients } from '../clients.js';

/**
 * The composition root: what each function, and each operator command, is built from. Every
 * dependency is made here from a runtime (where AWS clients come from, the clock, how to wait) and
 * the function's environment (its manifest entry), the same way for the Lambda entry points, the
 * drill (simulated clients, virtual clock) and the CLI. One module per function, so a Lambda bundle
 * carries (and lazily loads) only what its own function uses; index.ts maps them by name.
 */

/**
 * The composition root: builds what the operations need from clients, settings and a clock, the
 * same way for the Lambda entry points, the CLI and the drill (which passes simulated clients and
 * its virtual clock).
 */

export interface AdapterOptions {
  /** How adapters that back off (WAF lock conflicts) wait; the drill passes its virtual clock's. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Where the ARC adapter starts among a cluster's endpoints (default random); the drill passes a fixed one. */
  readonly random?: () => number;
}

/** The mitigations' adapters over `clients`, each built on first use. */
/** What composing a function needs besides its environment: where clients come from, the clock, and (in the drill) how to wait. */
export interface Runtime extends AdapterOptions {
  readonly clients: AwsClients;
  readonly clock: () => Date;
  /** The incident table's document client. @default one over the environment's DynamoDB */
  readonly documentClient?: DynamoDBDocumentClient;
  /** The function's region (Lambda's AWS_REGION; the drill's central region): where a service that names no region is. */
  readonly region?: string;
  /** The config, for the functions that carry it (the starter; Lambda compiles it into the bundle). */
  readonly config?: TourniquetConfig;
  /** The status cadence's settings (Lambda compiles them into the bundle). */
  readonly cadence?: CadenceSettings;
  /** Where the functions' metrics go. @default Powertools Metrics (EMF in the function's log); the drill passes memory */
  readonly metrics?: MetricsSink;
}

/** Fails composition with the missing piece named. */
export const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`The composition root needs ${what} for this function`);
  return value;
};

/** The table's stores, on one document client. */
export async function stores(rt: Runtime, tableName: string) {
  const [{ IncidentStore }] = await Promise.all([import('../../store/incident-store.js')]);
  const client = rt.documentClient;
  return { incidents: new IncidentStore({ tableName, clock: rt.clock, ...(client ? { client } : {}) }), options: { tableName, clock: rt.clock, ...(client ? { client } : {}) } };
}

export const publisher = async (rt: Runtime) => new (await import('../../adapters/sns-publisher.js')).SnsPublisher(await rt.clients.sns());

/**
 * The publisher of a function that sends status updates or pages: SNS, plus the chat copy of every
 * message to the status and escalation topics on the chat topic (lambdas/operations/chat-relay.ts).
 */
export const notifyingPublisher = async (rt: Runtime, env: { readonly CHAT_TOPIC_ARN: string; readonly STATUS_TOPIC_ARN?: string; readonly ESCALATION_TOPIC_ARN?: string }) => {
  const [{ ChatRelay }, sns, metrics] = await Promise.all([import('../../operations/chat-relay.js'), publisher(rt), metricsSink(rt)]);
  const relayed = [env.STATUS_TOPIC_ARN, env.ESCALATION_TOPIC_ARN].filter((arn): arn is string => arn !== undefined);
  return new ChatRelay(sns, { chatTopicArn: env.CHAT_TOPIC_ARN, relayed, metrics });
};
/** CloudWatch alarms over `clients` (a service's place), else the runtime's own. */
export const alarms = async (rt: Runtime, clients: AwsClients = rt.clients) =>
  new (await import('../../adapters/cloudwatch-alarms.js')).CloudWatchAlarmsAdapter(await clients.cloudwatch());

/** The runtime's metrics sink, else Powertools Metrics (loaded only by the functions that publish). */
export const metricsSink = async (rt: Runtime): Promise<MetricsSink> => rt.metrics ?? new (await import('../../adapters/metrics.js')).PowertoolsMetricsSink();
