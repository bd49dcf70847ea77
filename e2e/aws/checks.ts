import { type AppConfigClient, type DeploymentSummary, GetHostedConfigurationVersionCommand, ListDeploymentsCommand } from '@aws-sdk/client-appconfig';
import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';

import { episodeKey, EVENT_PREFIX, incidentKey, incidentPk } from '../../lambdas/store/keys.js';
import { TABLE_KEYS } from '../../lambdas/store/table.js';
import type { Probe } from './wait.js';

/**
 * What the real-AWS test looks for, each as a probe (one look, done or what was seen) over real SDK
 * v3 calls, and the pure rules that decide pass or fail from what the calls return.
 */

/** The sample's feature flags: the AppConfig IDs from its stack outputs. */
export interface FlagTarget {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly configurationProfileId: string;
  readonly flag: string;
}

/** The deployed configuration with the flag off: which deployment put it there, and when. */
export interface FlagOff {
  readonly deploymentNumber: number;
  readonly configurationVersion: string;
  readonly completedAt?: Date;
}

/**
 * The flag's `enabled` in an AWS.AppConfig.FeatureFlags document: true/false, or undefined when the
 * document does not say (no such flag, or not that format).
 */
export function flagEnabled(document: string, flag: string): boolean | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    return undefined;
  }
  const enabled = (parsed as { values?: Record<string, { enabled?: unknown }> } | null)?.values?.[flag]?.enabled;
  return typeof enabled === 'boolean' ? enabled : undefined;
}

/** The newest deployment of the environment (by number: ListDeployments' order is not relied on). */
export function latestDeployment(items: readonly DeploymentSummary[]): DeploymentSummary | undefined {
  return [...items].sort((a, b) => (b.DeploymentNumber ?? 0) - (a.DeploymentNumber ?? 0))[0];
}

/**
 * Is the flag off in the *deployed* configuration? The environment's newest deployment must be
 * COMPLETE and the hosted version it deployed must have the flag's `enabled` false. A newer hosted
 * version that nobody deployed does not count: applications only ever receive deployed ones.
 */
export async function probeFlagOff(client: AppConfigClient, target: FlagTarget): Promise<Probe<FlagOff>> {
  const items: DeploymentSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListDeploymentsCommand({ ApplicationId: target.applicationId, EnvironmentId: target.environmentId, NextToken: nextToken, MaxResults: 50 }));
    items.push(...(page.Items ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  const latest = latestDeployment(items);
  if (!latest?.DeploymentNumber || !latest.ConfigurationVersion) return { done: false, seen: 'no deployment in the environment' };
  const which = `deployment #${latest.DeploymentNumber} (version ${latest.ConfigurationVersion})`;
  if (latest.State !== 'COMPLETE') return { done: false, seen: `${which} is ${latest.State ?? 'in an unknown state'}` };
  const version = await client.send(
    new GetHostedConfigurationVersionCommand({
      ApplicationId: target.applicationId,
      ConfigurationProfileId: target.configurationProfileId,
      VersionNumber: Number(latest.ConfigurationVersion),
    }),
  );
  const enabled = flagEnabled(new TextDecoder().decode(version.Content ?? new Uint8Array()), target.flag);
  if (enabled !== false) return { done: false, seen: `${which} is COMPLETE with ${target.flag} ${enabled === undefined ? 'missing' : 'on'}` };
  return {
    done: true,
    value: { deploymentNumber: latest.DeploymentNumber, configurationVersion: latest.ConfigurationVersion, ...(latest.CompletedAt ? { completedAt: latest.CompletedAt } : {}) },
  };
}

/** The incident the sample's alarm opened, as the real table holds it. */
export interface FoundIncident {
  readonly incidentId: string;
  readonly status: string;
  readonly alarmName: string;
  readonly openedAt: string;
  /** The execution working on it (`execution.id`, the execution ARN). */
  readonly executionArn: string;
}

/**
 * Has the service an incident opened by `alarmName`? Read the way the starter decides: the service's
 * episode pointer (`EPISODE#<service>`/`CURRENT`) names the incident, whose `META` item is then read.
 */
export async function probeIncident(client: DynamoDBDocumentClient, table: string, service: string, alarmName: string): Promise<Probe<FoundIncident>> {
  const episode = await client.send(new GetCommand({ TableName: table, Key: toKey(episodeKey(service)), ConsistentRead: true }));
  const incidentId = episode.Item?.incidentId;
  if (typeof incidentId !== 'string') return { done: false, seen: `no episode for service ${service} yet` };
  const incident = await client.send(new GetCommand({ TableName: table, Key: toKey(incidentKey(incidentId)), ConsistentRead: true }));
  const item = incident.Item;
  if (!item) return { done: false, seen: `episode names incident ${incidentId}, whose record is not there yet` };
  if (item.alarmName !== alarmName) return { done: false, seen: `incident ${incidentId} was opened by ${String(item.alarmName)}, not ${alarmName}` };
  const executionArn = (item.execution as { id?: unknown } | undefined)?.id;
  if (typeof executionArn !== 'string') return { done: false, seen: `incident ${incidentId} names no execution` };
  return { done: true, value: { incidentId, status: String(item.status), alarmName, openedAt: String(item.openedAt), executionArn } };
}

/** A timeline event as the table holds it (the fields the test reads). */
export interface TimelineItem {
  readonly at: string;
  readonly kind: string;
  readonly message: string;
  readonly data?: Record<string, unknown>;
}

/** What the timeline must show for the test to pass: the incident opened, the kill switch applied, a status update sent. */
export function timelineVerdict(events: readonly TimelineItem[], mitigation: string): { done: true } | { done: false; missing: string[] } {
  const missing: string[] = [];
  if (!events.some((e) => e.kind === 'incident-opened')) missing.push('incident-opened');
  if (!events.some((e) => e.kind === 'mitigation' && e.data?.type === mitigation && /^Applied/.test(e.message))) missing.push(`mitigation ${mitigation} applied`);
  if (!events.some((e) => e.kind === 'notification' && typeof e.data?.messageId === 'string')) missing.push('notification with an SNS MessageId');
  return missing.length === 0 ? { done: true } : { done: false, missing };
}

/** The incident's timeline (`EVENT#` items, oldest first), read with a consistent Query. */
export async function readTimeline(client: DynamoDBDocumentClient, table: string, incidentId: string): Promise<TimelineItem[]> {
  const events: TimelineItem[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :event)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#sk': TABLE_KEYS.sortKey },
        ExpressionAttributeValues: { ':pk': incidentPk(incidentId), ':event': EVENT_PREFIX },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) events.push({ at: String(item.at), kind: String(item.kind), message: String(item.message), ...(item.data ? { data: item.data } : {}) });
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return events;
}

export async function probeTimeline(client: DynamoDBDocumentClient, table: string, incidentId: string, mitigation: string): Promise<Probe<TimelineItem[]>> {
  const events = await readTimeline(client, table, incidentId);
  const verdict = timelineVerdict(events, mitigation);
  if (verdict.done) return { done: true, value: events };
  return { done: false, seen: `${events.length} event(s) (${[...new Set(events.map((e) => e.kind))].join(', ') || 'none'}); missing ${verdict.missing.join(', ')}` };
}

/** One status update the notify function published, as the execution history shows it. */
export interface HistoryPublish {
  /** The Task state (NotifyInvestigating, NotifyIdentified, ...). */
  readonly state: string;
  readonly messageId: string;
  readonly subject?: string;
}

/** Outputs of a Lambda task: raw (Resource = function ARN) or wrapped in `Payload` (`lambda:invoke`). */
function lambdaResult(event: HistoryEvent): unknown {
  const raw = event.lambdaFunctionSucceededEventDetails?.output ?? event.taskSucceededEventDetails?.output;
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    return event.taskSucceededEventDetails && parsed && typeof parsed === 'object' && 'Payload' in parsed ? parsed.Payload : parsed;
  } catch {
    return undefined;
  }
}

/**
 * The SNS publishes of the status-update (Notify*) states in an execution history. The notify
 * function returns the SNS MessageId of its Publish, and Step Functions records that return value in
 * the task's success event (LambdaFunctionSucceeded for a function-ARN resource, TaskSucceeded for
 * `lambda:invoke`) even though the state discards it from the state data. A success event belongs to
 * the last Task state entered: the workflow runs one task at a time.
 */
export function notifyPublishes(events: readonly HistoryEvent[]): HistoryPublish[] {
  const publishes: HistoryPublish[] = [];
  let state: string | undefined;
  for (const event of [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
    if (event.type === 'TaskStateEntered') state = event.stateEnteredEventDetails?.name;
    if ((event.type !== 'LambdaFunctionSucceeded' && event.type !== 'TaskSucceeded') || !state?.startsWith('Notify')) continue;
    const result = lambdaResult(event) as { messageId?: unknown; subject?: unknown } | undefined;
    if (typeof result?.messageId === 'string' && result.messageId !== '') {
      publishes.push({ state, messageId: result.messageId, ...(typeof result.subject === 'string' ? { subject: result.subject } : {}) });
    }
  }
  return publishes;
}

/** Every event of an execution's history (all pages, with execution data). */
export async function readExecutionHistory(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: true, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * Is a status update's SNS publish in the execution history, and is it the one the timeline
 * recorded? Both sides must name the same MessageId: the history proves the Lambda task returned it,
 * the timeline that the incident knows it was sent.
 */
export async function probeStatusPublish(client: SFNClient, executionArn: string, timeline: readonly TimelineItem[]): Promise<Probe<HistoryPublish>> {
  const history = await readExecutionHistory(client, executionArn);
  const publishes = notifyPublishes(history);
  const recorded = new Set(timeline.filter((e) => e.kind === 'notification').map((e) => e.data?.messageId));
  const match = publishes.find((p) => recorded.has(p.messageId));
  if (match) return { done: true, value: match };
  if (publishes.length === 0) return { done: false, seen: `${history.length} history event(s), no Notify state returned a MessageId yet` };
  return { done: false, seen: `history MessageIds ${publishes.map((p) => p.messageId).join(', ')} are not on the timeline` };
}

function toKey(key: { pk: string; sk: string }): Record<string, string> {
  return { [TABLE_KEYS.partitionKey]: key.pk, [TABLE_KEYS.sortKey]: key.sk };
}
