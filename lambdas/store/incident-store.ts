import { setTimeout as delay } from 'node:timers/promises';

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';

import { MitigationRecordSchema, type OutcomeCounter, withSample } from '../core/learning.js';
import { AUTOMATION_STATUSES, statusesLeadingTo } from '../core/lifecycle.js';
import { type ExecutionRef, type IncidentStatus, type TimelineEvent, TimelineEventSchema } from '../core/model.js';
import { ActionNotFoundError, ClaimLostError, IncidentNotFoundError, RecordInvalidError, StoreError, storeErrorFor } from './errors.js';
import {
  ACTION_PREFIX,
  actionKey,
  ACTIVE_EPISODE_PARTITION,
  episodeKey,
  EVENT_PREFIX,
  eventKey,
  INCIDENT_LIST_PARTITION,
  incidentKey,
  incidentListSortKey,
  incidentPk,
  type ItemKey,
  mutexKey,
  signalEventKey,
  statsKey,
} from './keys.js';
import {
  type ActionClaim,
  type ActionClaimRequest,
  ActionClaimRequestSchema,
  type ActionCompletion,
  ActionCompletionSchema,
  type ActionEffect,
  type ActionRecord,
  ActionRecordSchema,
  type ActionStart,
  type ActionStartResult,
  ActionStartSchema,
  type EpisodeRecord,
  EpisodeRecordSchema,
  type IncidentPatch,
  IncidentPatchSchema,
  type IncidentRecord,
  IncidentRecordSchema,
  type LastNotification,
  LastNotificationSchema,
  type MutationLock,
  MutationLockSchema,
  type OpenIncidentInput,
  OpenIncidentInputSchema,
  type OpenIncidentResult,
  type SignalResult,
} from './records.js';
import { TABLE_KEYS } from './table.js';

export * from './errors.js';
export * from './records.js';

/** Options of {@link IncidentStore}. */
export interface IncidentStoreOptions {
  readonly tableName: string;
  /** @default a DynamoDBDocumentClient over a default DynamoDBClient, removing undefined values */
  readonly client?: DynamoDBDocumentClient;
  /** Source of "now" for updatedAt, startedAt and lock expiry; the drill injects its virtual clock. @default () => new Date() */
  readonly clock?: () => Date;
}

/** How often a transaction is retried when DynamoDB reports a conflict with a concurrent one, or a lock changed under us. */
const MAX_TRANSACTION_ATTEMPTS = 4;

/** An incident in these statuses may still be changing its service: its lock is never taken over before it expires. */
const statusesHoldingLocks: readonly string[] = AUTOMATION_STATUSES;

/** Item type tags, so a raw table scan is readable. */
type Entity = 'incident' | 'event' | 'action' | 'episode' | 'mutex';

/**
 * Which service's learning record (lambdas/store/learning.ts) an action outcome counts in. The
 * workflow and `tourniquet undo` always pass it; without it the outcome is recorded and not counted.
 */
export interface LearningRef {
  readonly service: string;
  /** With a `restored` effect: the incident's MTTM so far (opened → now), a sample for the median. */
  readonly mttmSeconds?: number;
}

/** What a counted write found: written, or the action's own condition failed (counted before, or no such action). */
type CountedWrite = 'written' | 'condition-failed';

/**
 * The incident store: incidents, their timelines and mitigation actions, the episode pointers that
 * keep one current incident per service, and the locks that keep one change at a time per service. Every write that could race or be
 * repeated (EventBridge delivers at least once, Lambda and Step Functions retry) is conditional.
 */
export class IncidentStore {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly clock: () => Date;

  constructor(options: IncidentStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Opens an incident in one transaction: the service's episode pointer, the incident item and its
   * first timeline event. The pointer may only be taken when the service has no current incident
   * (none, or a RESOLVED one past its flap cooldown). When another incident is current, nothing is
   * written and its pointer is returned. Re-opening the same incident id (a retried invocation) succeeds.
   */
  async openIncident(input: OpenIncidentInput): Promise<OpenIncidentResult> {
    const open = parseInput(OpenIncidentInputSchema, input, 'openIncident input');
    const now = this.now();
    const incident = {
      incidentId: open.incidentId,
      service: open.service,
      alarmName: open.alarmName,
      alarms: new Set([open.alarmName]),
      severity: open.severity,
      status: 'OPEN',
      round: 0,
      openedAt: open.openedAt,
      signal: open.signal,
      execution: open.execution,
      updatedAt: now,
      pages: 0,
      ...(open.cappedReason ? { cappedReason: open.cappedReason } : {}),
    };
    const pointer = {
      service: open.service,
      incidentId: open.incidentId,
      status: 'OPEN',
      round: 0,
      openedAt: open.openedAt,
      updatedAt: now,
      executionName: open.execution.name,
      alarms: new Set([open.alarmName]),
      leaseUntil: open.leaseUntil,
    };
    const transaction: TransactWriteCommandInput = {
      TransactItems: [
        {
          Put: {
            TableName: this.tableName,
            Item: { ...pointer, ...episodeKey(open.service), entity: 'episode' satisfies Entity, ...activeEpisodeIndex(open.openedAt, open.incidentId) },
            // Free: no pointer, or a RESOLVED incident whose flap cooldown has passed.
            ConditionExpression: 'attribute_not_exists(pk) OR (#status = :resolved AND (attribute_not_exists(#reopenUntil) OR #reopenUntil <= :now))',
            ExpressionAttributeNames: { '#status': 'status', '#reopenUntil': 'reopenUntil' },
            ExpressionAttributeValues: { ':resolved': 'RESOLVED', ':now': now },
          },
        },
        this.putIfAbsent(incidentKey(open.incidentId), 'incident', {
          ...incident,
          // The first event takes sequence 0; appendTimeline allocates from 1 on.
          eventSeq: 1,
          [TABLE_KEYS.gsi1PartitionKey]: INCIDENT_LIST_PARTITION,
          [TABLE_KEYS.gsi1SortKey]: incidentListSortKey(open.openedAt, open.incidentId),
        }),
        this.putIfAbsent(eventKey(open.incidentId, open.firstEvent.at, 0), 'event', { ...open.firstEvent, seq: 0 }),
      ],
    };

    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.send('open incident', () => this.client.send(new TransactWriteCommand(transaction)));
        return { opened: true };
      } catch (error) {
        if (!isCancelled(error)) throw error;
        // Decide from what is stored rather than from cancellation codes alone: it is the truth either way.
        const episode = await this.getEpisode(open.service);
        if (episode?.incidentId === open.incidentId) return { opened: true };
        if (episode && !episodeIsFree(episode, now)) return { opened: false, episode };
        // The pointer changed (or a concurrent transaction conflicted) between our write and our read: try again.
        if (attempt >= MAX_TRANSACTION_ATTEMPTS || !retryableCancellation(error)) {
          throw new StoreError(`could not open incident ${open.incidentId} after ${attempt} attempt(s)`, { cause: error.cause });
        }
        await backoff(attempt);
      }
    }
  }

  /** The service's episode pointer (consistent read), or undefined when the service never had an incident. */
  async getEpisode(service: string): Promise<EpisodeRecord | undefined> {
    return this.getItem(episodeKey(service), EpisodeRecordSchema, `episode of ${service}`);
  }

  /** The service's current incident: the one its pointer names, unless that was RESOLVED and its flap cooldown passed. */
  async findCurrentIncident(service: string): Promise<IncidentRecord | undefined> {
    const episode = await this.getEpisode(service);
    if (!episode || episodeIsFree(episode, this.now())) return undefined;
    return this.findIncident(episode.incidentId);
  }

  /** Pointers of every incident not yet RESOLVED, oldest first (gsi1, eventually consistent). Bounded by open incidents, never by age. */
  async listActiveEpisodes(): Promise<EpisodeRecord[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      IndexName: TABLE_KEYS.gsi1Name,
      KeyConditionExpression: '#gpk = :partition',
      ExpressionAttributeNames: { '#gpk': TABLE_KEYS.gsi1PartitionKey },
      ExpressionAttributeValues: { ':partition': ACTIVE_EPISODE_PARTITION },
      ScanIndexForward: true,
    });
    return items.map((item) => parseRecord(EpisodeRecordSchema, item, `episode ${String(item.pk)}`));
  }

  /** How many incidents are not yet RESOLVED (a COUNT query on the sparse episode index). */
  async countActiveIncidents(): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send('count active incidents', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: TABLE_KEYS.gsi1Name,
            KeyConditionExpression: '#gpk = :partition',
            ExpressionAttributeNames: { '#gpk': TABLE_KEYS.gsi1PartitionKey },
            ExpressionAttributeValues: { ':partition': ACTIVE_EPISODE_PARTITION },
            Select: 'COUNT',
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  /**
   * Records an alarm transition on an incident: the timeline event, keyed by the transition so a
   * redelivery is recognised. A signal that adds nothing else (an alarm already on the incident, an
   * OK, a symptom) is one conditional put; an incident alarm new to the incident is added to the
   * incident's and the pointer's alarm sets in the same transaction, written only while the incident
   * is still in `expectStatus`.
   */
  async recordSignal(
    incidentId: string,
    signal: {
      readonly key: string;
      readonly event: TimelineEvent;
      readonly expectStatus: IncidentStatus;
      readonly addAlarm?: { readonly alarm: string; readonly service: string };
    },
  ): Promise<SignalResult> {
    const event = parseInput(TimelineEventSchema, signal.event, 'signal event');
    const put = this.putIfAbsent(signalEventKey(incidentId, event.at, signal.key), 'event', event);
    const addAlarm = signal.addAlarm;
    if (!addAlarm) {
      try {
        await this.send('record signal', () => this.client.send(new PutCommand(put.Put)));
        return 'recorded';
      } catch (error) {
        if (isConditionalFailure(error)) return 'duplicate';
        throw error;
      }
    }
    const now = this.now();
    const alarm = new Set([addAlarm.alarm]);
    try {
      await this.send('record signal', () =>
        this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: incidentKey(incidentId),
                  UpdateExpression: 'SET #updatedAt = :now ADD #alarms :alarm',
                  ConditionExpression: 'attribute_exists(pk) AND #status = :status',
                  ExpressionAttributeNames: { '#status': 'status', '#updatedAt': 'updatedAt', '#alarms': 'alarms' },
                  ExpressionAttributeValues: { ':status': signal.expectStatus, ':now': now, ':alarm': alarm },
                },
              },
              {
                Update: {
                  TableName: this.tableName,
                  Key: episodeKey(addAlarm.service),
                  UpdateExpression: 'ADD #alarms :alarm',
                  ConditionExpression: 'incidentId = :id',
                  ExpressionAttributeNames: { '#alarms': 'alarms' },
                  ExpressionAttributeValues: { ':alarm': alarm, ':id': incidentId },
                },
              },
              put,
            ],
          }),
        ),
      );
      return 'recorded';
    } catch (error) {
      if (!isCancelled(error)) throw error;
      return signalResultOf(error, `could not record signal ${signal.key} on ${incidentId}`);
    }
  }

  /**
   * Re-opens a WATCHING or recently RESOLVED incident after a re-fire: status OPEN, the next round,
   * the continuation's execution and lease, and the timeline event of the re-fire, in one transaction.
   * `duplicate`: this very re-fire re-opened it before (a redelivery: start the same continuation again).
   */
  async reopenIncident(
    incidentId: string,
    reopen: {
      readonly from: 'WATCHING' | 'RESOLVED';
      readonly round: number;
      readonly service: string;
      readonly execution: ExecutionRef;
      readonly leaseUntil: string;
      readonly key: string;
      readonly event: TimelineEvent;
    },
  ): Promise<SignalResult> {
    const event = parseInput(TimelineEventSchema, reopen.event, 'reopen event');
    const now = this.now();
    const round = reopen.round + 1;
    try {
      await this.send('reopen incident', () =>
        this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: incidentKey(incidentId),
                  UpdateExpression: 'SET #status = :open, #round = :round, #execution = :execution, #updatedAt = :now REMOVE #watchUntil, #resolvedAt, #resolvedBy',
                  ConditionExpression: 'attribute_exists(pk) AND #status = :from AND #round = :previous',
                  ExpressionAttributeNames: {
                    '#status': 'status',
                    '#round': 'round',
                    '#execution': 'execution',
                    '#updatedAt': 'updatedAt',
                    '#watchUntil': 'watchUntil',
                    '#resolvedAt': 'resolvedAt',
                    '#resolvedBy': 'resolvedBy',
                  },
                  ExpressionAttributeValues: { ':open': 'OPEN', ':round': round, ':execution': reopen.execution, ':now': now, ':from': reopen.from, ':previous': reopen.round },
                },
              },
              {
                Update: {
                  TableName: this.tableName,
                  Key: episodeKey(reopen.service),
                  UpdateExpression:
                    'SET #status = :open, #round = :round, #leaseUntil = :lease, #updatedAt = :now, #executionName = :executionName, #gpk = :gpk, #gsk = :gsk REMOVE #reopenUntil',
                  ConditionExpression: 'incidentId = :id',
                  ExpressionAttributeNames: {
                    '#status': 'status',
                    '#round': 'round',
                    '#leaseUntil': 'leaseUntil',
                    '#updatedAt': 'updatedAt',
                    '#reopenUntil': 'reopenUntil',
                    '#executionName': 'executionName',
                    '#gpk': TABLE_KEYS.gsi1PartitionKey,
                    '#gsk': TABLE_KEYS.gsi1SortKey,
                  },
                  ExpressionAttributeValues: {
                    ':open': 'OPEN',
                    ':round': round,
                    ':lease': reopen.leaseUntil,
                    ':now': now,
                    ':executionName': reopen.execution.name,
                    ':id': incidentId,
                    ...activeEpisodeIndexValues(now, incidentId),
                  },
                },
              },
              this.putIfAbsent(signalEventKey(incidentId, event.at, reopen.key), 'event', event),
            ],
          }),
        ),
      );
      return 'recorded';
    } catch (error) {
      if (!isCancelled(error)) throw error;
      return signalResultOf(error, `could not re-open ${incidentId}`);
    }
  }

  /**
   * Moves the incident to `to` if it is in one of `from` (default: every status that may lead to `to`)
   * and, when given, still in `round`; the episode pointer follows in the same transaction (a RESOLVED
   * pointer leaves the active index and keeps `reopenUntil`). Returns false, writing nothing, when the
   * incident was not in an expected state: another writer moved it first.
   */
  async transition(
    incidentId: string,
    to: IncidentStatus,
    options: {
      readonly from?: readonly IncidentStatus[];
      readonly round?: number;
      readonly patch?: IncidentPatch;
      readonly leaseUntil?: string;
      readonly reopenUntil?: string;
    } = {},
  ): Promise<boolean> {
    const from = options.from ?? statusesLeadingTo(to);
    const patch = options.patch ? parseInput(IncidentPatchSchema, options.patch, 'incident patch') : {};
    const now = this.now();
    const update = setExpression({ ...patch, status: to, updatedAt: now });
    const fromValues = Object.fromEntries(from.map((status, i) => [`:from${i}`, status]));
    const conditions = [`attribute_exists(pk) AND #status IN (${Object.keys(fromValues).join(', ')})`];
    const values: Record<string, unknown> = { ...update.ExpressionAttributeValues, ...fromValues };
    if (options.round !== undefined) {
      conditions.push('#round = :expectedRound');
      values[':expectedRound'] = options.round;
    }
    const incidentUpdate = {
      Update: {
        TableName: this.tableName,
        Key: incidentKey(incidentId),
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#status': 'status', ...(options.round !== undefined ? { '#round': 'round' } : {}) },
        ExpressionAttributeValues: values,
      },
    };
    const incident = await this.findIncident(incidentId);
    if (!incident) throw new IncidentNotFoundError(incidentId);
    const pointerNames: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt' };
    const pointerValues: Record<string, unknown> = { ':to': to, ':now': now, ':id': incidentId };
    const sets = ['#status = :to', '#updatedAt = :now'];
    const removes: string[] = [];
    if (to === 'RESOLVED') {
      removes.push('#gpk', '#gsk', '#leaseUntil');
      Object.assign(pointerNames, { '#gpk': TABLE_KEYS.gsi1PartitionKey, '#gsk': TABLE_KEYS.gsi1SortKey, '#leaseUntil': 'leaseUntil' });
      if (options.reopenUntil) {
        sets.push('#reopenUntil = :reopenUntil');
        pointerNames['#reopenUntil'] = 'reopenUntil';
        pointerValues[':reopenUntil'] = options.reopenUntil;
      }
    } else if (options.leaseUntil) {
      sets.push('#leaseUntil = :lease');
      pointerNames['#leaseUntil'] = 'leaseUntil';
      pointerValues[':lease'] = options.leaseUntil;
    }
    const pointerUpdate = {
      Update: {
        TableName: this.tableName,
        Key: episodeKey(incident.service),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: 'incidentId = :id',
        ExpressionAttributeNames: pointerNames,
        ExpressionAttributeValues: pointerValues,
      },
    };
    for (const items of [[incidentUpdate, pointerUpdate], [incidentUpdate]]) {
      try {
        await this.send(`move incident to ${to}`, () => this.client.send(new TransactWriteCommand({ TransactItems: items })));
        return true;
      } catch (error) {
        if (!isCancelled(error)) throw error;
        const codes = error.cancellationCodes ?? [];
        if (codes[0] === 'ConditionalCheckFailed') return false;
        // The pointer names a newer incident of the service: move this incident alone.
        if (codes[1] === 'ConditionalCheckFailed') continue;
        throw new StoreError(`could not move ${incidentId} to ${to}`, { cause: error.cause });
      }
    }
    return false;
  }

  /** Extends the lease of the execution working on the incident; false when the pointer names another incident or a human holds it. */
  async renewLease(service: string, incidentId: string, leaseUntil: string): Promise<boolean> {
    try {
      await this.send('renew lease', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: episodeKey(service),
            UpdateExpression: 'SET #leaseUntil = :lease, #updatedAt = :now',
            ConditionExpression: 'incidentId = :id AND #status IN (:open, :mitigating, :watching)',
            ExpressionAttributeNames: { '#leaseUntil': 'leaseUntil', '#updatedAt': 'updatedAt', '#status': 'status' },
            ExpressionAttributeValues: { ':lease': leaseUntil, ':now': this.now(), ':id': incidentId, ':open': 'OPEN', ':mitigating': 'MITIGATING', ':watching': 'WATCHING' },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Claims the next page of an incident a human holds: sets `lastPageAt` and `pages` only if
   * `lastPageAt` is still what the caller read, so two overlapping scheduled runs page once.
   */
  async claimPage(incidentId: string, expectedLastPageAt: string | undefined, at: string, pages: number): Promise<boolean> {
    const values: Record<string, unknown> = { ':at': at, ':pages': pages, ':now': this.now() };
    let condition = 'attribute_exists(pk) AND ';
    if (expectedLastPageAt === undefined) condition += 'attribute_not_exists(#lastPageAt)';
    else {
      condition += '#lastPageAt = :expected';
      values[':expected'] = expectedLastPageAt;
    }
    try {
      await this.send('claim page', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: incidentKey(incidentId),
            UpdateExpression: 'SET #lastPageAt = :at, #pages = :pages, #updatedAt = :now',
            ConditionExpression: condition,
            ExpressionAttributeNames: { '#lastPageAt': 'lastPageAt', '#pages': 'pages', '#updatedAt': 'updatedAt' },
            ExpressionAttributeValues: values,
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Records what an action did to the alarms (verification's verdict); the first verdict stays. With
   * `learning`, the service's record counts it (effective, or ineffective) in the same transaction,
   * so the count follows the first verdict exactly once; a restore adds the MTTM sample.
   */
  async setActionEffect(incidentId: string, cursor: number, type: ActionRecord['type'], effect: ActionEffect, learning?: LearningRef): Promise<void> {
    const update = {
      TableName: this.tableName,
      Key: actionKey(incidentId, cursor, type),
      UpdateExpression: 'SET #effect = :effect',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#effect)',
      ExpressionAttributeNames: { '#effect': 'effect' },
      ExpressionAttributeValues: { ':effect': effect },
    };
    if (learning) {
      const sample = effect === 'restored' ? learning.mttmSeconds : undefined;
      await this.countedUpdate('set action effect', update, () => this.statsUpdate(learning.service, type, effect === 'restored' ? 'effective' : 'ineffective', sample));
      return;
    }
    try {
      await this.send('set action effect', () => this.client.send(new UpdateCommand(update)));
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
    }
  }

  /**
   * Counts the incident's applied actions as escalated in their services' learning records: the
   * incident went to a human after them. Each action is counted once (it is marked `escalatedAt` in
   * the same transaction), however often the closing step runs.
   */
  async recordEscalation(incidentId: string, service: string, actions: readonly ActionRecord[]): Promise<number> {
    let counted = 0;
    for (const action of actions) {
      if (!TRIED_STATUSES.includes(action.status) || action.escalatedAt !== undefined) continue;
      const update = {
        TableName: this.tableName,
        Key: actionKey(incidentId, action.cursor, action.type),
        UpdateExpression: 'SET #escalatedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#escalatedAt)',
        ExpressionAttributeNames: { '#escalatedAt': 'escalatedAt' },
        ExpressionAttributeValues: { ':now': this.now() },
      };
      if ((await this.countedUpdate('record escalation', update, () => this.statsUpdate(service, action.type, 'escalated'))) === 'written') counted += 1;
    }
    return counted;
  }

  /** The incident, or undefined when there is none with this id. */
  async findIncident(incidentId: string): Promise<IncidentRecord | undefined> {
    return this.getItem(incidentKey(incidentId), IncidentRecordSchema, `incident ${incidentId}`);
  }

  /** The incident; throws {@link IncidentNotFoundError} when there is none with this id. */
  async getIncident(incidentId: string): Promise<IncidentRecord> {
    const incident = await this.findIncident(incidentId);
    if (!incident) throw new IncidentNotFoundError(incidentId);
    return incident;
  }

  /**
   * Appends an event to the incident's timeline. A per-incident counter gives every event a unique
   * sequence number, so events in the same millisecond keep their write order.
   */
  async appendTimeline(incidentId: string, event: TimelineEvent): Promise<void> {
    const parsed = parseInput(TimelineEventSchema, event, 'timeline event');
    let seq: number;
    try {
      const result = await this.send('allocate timeline sequence', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: incidentKey(incidentId),
            UpdateExpression: 'ADD eventSeq :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':one': 1 },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      );
      seq = Number(result.Attributes?.eventSeq) - 1;
    } catch (error) {
      if (isConditionalFailure(error)) throw new IncidentNotFoundError(incidentId);
      throw error;
    }
    await this.send('append timeline event', () => this.client.send(new PutCommand(this.putIfAbsent(eventKey(incidentId, parsed.at, seq), 'event', { ...parsed, seq }).Put)));
  }

  /** The whole timeline, oldest first (empty for an unknown incident). */
  async listTimeline(incidentId: string): Promise<TimelineEvent[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': incidentPk(incidentId), ':prefix': EVENT_PREFIX },
      ConsistentRead: true,
    });
    return items.map((item) => parseRecord(TimelineEventSchema, item, `timeline event ${String(item.sk)} of ${incidentId}`));
  }

  /** Applies a patch to an existing incident and returns the updated record. */
  async updateIncident(incidentId: string, patch: IncidentPatch): Promise<IncidentRecord> {
    const parsed = parseInput(IncidentPatchSchema, patch, 'incident patch');
    const update = setExpression({ ...parsed, updatedAt: this.now() });
    try {
      const result = await this.send('update incident', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: incidentKey(incidentId),
            ...update,
            ConditionExpression: 'attribute_exists(pk)',
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return parseRecord(IncidentRecordSchema, result.Attributes, `incident ${incidentId}`);
    } catch (error) {
      if (isConditionalFailure(error)) throw new IncidentNotFoundError(incidentId);
      throw error;
    }
  }

  /**
   * Claims a mitigation action before it is applied. Only the first claim for an incident, cursor
   * and type wins; a repeat (retried Lambda, redriven execution) gets the existing record instead,
   * so a mitigation is applied at most once per incident and step.
   */
  async recordActionStart(incidentId: string, action: ActionStart): Promise<ActionStartResult> {
    const start = parseInput(ActionStartSchema, action, 'action start');
    const key = actionKey(incidentId, start.cursor, start.type);
    const record: ActionRecord = { ...start, status: 'started', startedAt: this.now() };
    const transaction: TransactWriteCommandInput = {
      TransactItems: [
        {
          ConditionCheck: {
            TableName: this.tableName,
            Key: incidentKey(incidentId),
            ConditionExpression: 'attribute_exists(pk)',
          },
        },
        this.putIfAbsent(key, 'action', record),
      ],
    };
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.send('record action start', () => this.client.send(new TransactWriteCommand(transaction)));
        return { started: true };
      } catch (error) {
        if (!isCancelled(error)) throw error;
        const existing = await this.getItem(key, ActionRecordSchema, `action ${key.sk} of ${incidentId}`);
        if (existing) return { started: false, existing };
        if (!(await this.findIncident(incidentId))) throw new IncidentNotFoundError(incidentId);
        if (attempt >= MAX_TRANSACTION_ATTEMPTS || !retryableCancellation(error)) {
          throw new StoreError(`could not record action ${key.sk} of ${incidentId}`, { cause: error.cause });
        }
        await backoff(attempt);
      }
    }
  }

  /**
   * Records how a started action ended and returns the record. The first completion wins: completing
   * an action that is no longer `started` changes nothing and returns what was recorded.
   */
  async completeAction(
    incidentId: string,
    cursor: number,
    type: ActionRecord['type'],
    completion: ActionCompletion,
    /** The claim's owner: only the invocation holding the claim may complete it. */
    owner?: string,
    /** Counts an applied (or already in place) action as tried in the service's learning record, in the same transaction. */
    learning?: LearningRef,
  ): Promise<ActionRecord> {
    const parsed = parseInput(ActionCompletionSchema, completion, 'action completion');
    const key = actionKey(incidentId, cursor, type);
    const what = `action ${key.sk} of ${incidentId}`;
    const update = setExpression({ ...parsed, completedAt: this.now() });
    const byOwner = owner === undefined ? '' : ' AND #owner = :owner';
    const input = {
      TableName: this.tableName,
      Key: key,
      ...update,
      // The claim's lease is finished with the action: leaving it would read as a live claim.
      UpdateExpression: `${update.UpdateExpression} REMOVE #leaseUntil`,
      ConditionExpression: `attribute_exists(pk) AND #status = :started${byOwner}`,
      ExpressionAttributeNames: {
        ...update.ExpressionAttributeNames,
        '#status': 'status',
        '#leaseUntil': 'leaseUntil',
        ...(owner === undefined ? {} : { '#owner': 'owner' }),
      },
      ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':started': 'started', ...(owner === undefined ? {} : { ':owner': owner }) },
    };
    if (learning && TRIED_STATUSES.includes(parsed.status)) {
      await this.countedUpdate('complete action', input, () => this.statsUpdate(learning.service, type, 'tried'));
      const recorded = await this.getItem(key, ActionRecordSchema, what);
      if (!recorded) throw new ActionNotFoundError(incidentId, cursor, type);
      return recorded;
    }
    try {
      const result = await this.send('complete action', () => this.client.send(new UpdateCommand({ ...input, ReturnValues: 'ALL_NEW' })));
      return parseRecord(ActionRecordSchema, result.Attributes, what);
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
      const existing = await this.getItem(key, ActionRecordSchema, what);
      if (!existing) throw new ActionNotFoundError(incidentId, cursor, type);
      return existing;
    }
  }

  /**
   * Claims a mitigation action before anything is changed: exactly one invocation at a time holds
   * the claim, under a lease that outlives the longest possible invocation. A concurrent invocation
   * finds it `held`; a later one after the holder died (lease over) or gave it back takes it over
   * (`resumed`) and must read the resource to learn whether the change was made; a completed action
   * comes back `done`. Never two owners at once: every takeover is a conditional write.
   */
  async claimAction(incidentId: string, request: ActionClaimRequest): Promise<ActionClaim> {
    const claim = parseInput(ActionClaimRequestSchema, request, 'action claim');
    const key = actionKey(incidentId, claim.cursor, claim.type);
    const what = `action ${key.sk} of ${incidentId}`;
    for (let attempt = 1; ; attempt += 1) {
      const now = this.clock();
      const lease = new Date(now.getTime() + claim.leaseSeconds * 1000).toISOString();
      const record: ActionRecord = {
        cursor: claim.cursor,
        type: claim.type,
        target: claim.target,
        status: 'started',
        startedAt: now.toISOString(),
        owner: claim.owner,
        leaseUntil: lease,
        attempts: 1,
      };
      try {
        await this.send('claim action', () =>
          this.client.send(
            new TransactWriteCommand({
              TransactItems: [
                { ConditionCheck: { TableName: this.tableName, Key: incidentKey(incidentId), ConditionExpression: 'attribute_exists(pk)' } },
                this.putIfAbsent(key, 'action', record),
              ],
            }),
          ),
        );
        return { outcome: 'claimed', record };
      } catch (error) {
        if (!isCancelled(error)) throw error;
        if (error.cancellationCodes?.[0] === 'ConditionalCheckFailed') throw new IncidentNotFoundError(incidentId);
        if (!retryableCancellation(error)) throw new StoreError(`could not claim ${what}`, { cause: error.cause });
      }
      const existing = await this.getItem(key, ActionRecordSchema, what);
      if (!existing) {
        if (attempt >= MAX_TRANSACTION_ATTEMPTS) throw new StoreError(`could not claim ${what}: it kept changing`);
        await backoff(attempt);
        continue;
      }
      if (existing.status !== 'started') return { outcome: 'done', record: existing };
      const mine = existing.owner === claim.owner;
      if (!mine && existing.leaseUntil !== undefined && Date.parse(existing.leaseUntil) > now.getTime()) return { outcome: 'held', record: existing };
      // The holder is provably gone (its lease ran out, or it gave the claim back): take it over, unless someone else just did.
      try {
        const result = await this.send('take over action claim', () =>
          this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: key,
              UpdateExpression: 'SET #owner = :me, #leaseUntil = :lease, #attempts = if_not_exists(#attempts, :one) + :one',
              ConditionExpression:
                '#status = :started AND (attribute_not_exists(#leaseUntil) OR #leaseUntil = :seenLease) AND (attribute_not_exists(#owner) OR #owner = :seenOwner)',
              ExpressionAttributeNames: { '#owner': 'owner', '#leaseUntil': 'leaseUntil', '#attempts': 'attempts', '#status': 'status' },
              ExpressionAttributeValues: {
                ':me': claim.owner,
                ':lease': lease,
                ':one': 1,
                ':started': 'started',
                ':seenLease': existing.leaseUntil ?? '',
                ':seenOwner': existing.owner ?? '',
              },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
        const taken = parseRecord(ActionRecordSchema, result.Attributes, what);
        // Our own claim again (the same invocation asking twice) with nothing written yet is a fresh claim.
        return { outcome: mine && taken.before === undefined && taken.wouldChange === undefined ? 'claimed' : 'resumed', record: taken };
      } catch (error) {
        if (!isConditionalFailure(error) || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Writes the intent and the before-state on a held claim, before the mutating call: whatever
   * happens next (crash, timeout, a failed completion write), the next attempt and undo know what
   * the resource looked like. Throws {@link ClaimLostError} when the caller no longer holds the claim.
   */
  async recordClaimIntent(
    incidentId: string,
    cursor: number,
    type: ActionRecord['type'],
    owner: string,
    intent: { before: unknown; intent: string; wouldChange: boolean },
  ): Promise<ActionRecord> {
    const key = actionKey(incidentId, cursor, type);
    try {
      const result = await this.send('record action intent', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET #before = :before, #intent = :intent, #wouldChange = :wouldChange',
            ConditionExpression: '#status = :started AND #owner = :owner',
            ExpressionAttributeNames: { '#before': 'before', '#intent': 'intent', '#wouldChange': 'wouldChange', '#status': 'status', '#owner': 'owner' },
            ExpressionAttributeValues: { ':before': intent.before, ':intent': intent.intent, ':wouldChange': intent.wouldChange, ':started': 'started', ':owner': owner },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return parseRecord(ActionRecordSchema, result.Attributes, `action ${key.sk} of ${incidentId}`);
    } catch (error) {
      if (isConditionalFailure(error)) throw new ClaimLostError(incidentId, cursor, type, owner);
      throw error;
    }
  }

  /**
   * Gives a claim back after an error, so the next attempt takes it over at once instead of waiting
   * out the lease; the claim stays `started`, and keeps its before-state for the reconciliation.
   * Returns false when the caller did not hold it (nothing written).
   */
  async releaseActionClaim(incidentId: string, cursor: number, type: ActionRecord['type'], owner: string, lastError: string): Promise<boolean> {
    const key = actionKey(incidentId, cursor, type);
    try {
      await this.send('release action claim', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET #leaseUntil = :now, #lastError = :error',
            ConditionExpression: '#status = :started AND #owner = :owner',
            ExpressionAttributeNames: { '#leaseUntil': 'leaseUntil', '#lastError': 'lastError', '#status': 'status', '#owner': 'owner' },
            ExpressionAttributeValues: { ':now': this.now(), ':error': lastError.slice(0, 1000), ':started': 'started', ':owner': owner },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /** One action record, or undefined. */
  async findAction(incidentId: string, cursor: number, type: ActionRecord['type']): Promise<ActionRecord | undefined> {
    const key = actionKey(incidentId, cursor, type);
    return this.getItem(key, ActionRecordSchema, `action ${key.sk} of ${incidentId}`);
  }

  /**
   * Marks an applied action as reverted. Only an `applied` action can be undone, once: a second
   * undo finds it `undone` and returns it unchanged. With `learning`, an action that had not been
   * verified to restore service counts as reverted in the service's record, in the same transaction
   * (undoing a mitigation that worked, once the cause is fixed, is the normal end of an incident).
   */
  async markActionUndone(
    incidentId: string,
    cursor: number,
    type: ActionRecord['type'],
    undoDetail: string,
    learning?: LearningRef & { readonly effect?: ActionEffect },
  ): Promise<ActionRecord> {
    const key = actionKey(incidentId, cursor, type);
    const input = {
      TableName: this.tableName,
      Key: key,
      UpdateExpression: 'SET #status = :undone, #undoneAt = :now, #undoDetail = :detail',
      ConditionExpression: 'attribute_exists(pk) AND #status = :applied',
      ExpressionAttributeNames: { '#status': 'status', '#undoneAt': 'undoneAt', '#undoDetail': 'undoDetail' },
      ExpressionAttributeValues: { ':undone': 'undone', ':applied': 'applied', ':now': this.now(), ':detail': undoDetail },
    };
    const current = async (): Promise<ActionRecord> => {
      const existing = await this.getItem(key, ActionRecordSchema, `action ${key.sk} of ${incidentId}`);
      if (!existing) throw new ActionNotFoundError(incidentId, cursor, type);
      return existing;
    };
    if (learning && learning.effect !== 'restored') {
      await this.countedUpdate('mark action undone', input, () => this.statsUpdate(learning.service, type, 'reverted'));
      return current();
    }
    try {
      const result = await this.send('mark action undone', () => this.client.send(new UpdateCommand({ ...input, ReturnValues: 'ALL_NEW' })));
      return parseRecord(ActionRecordSchema, result.Attributes, `action ${key.sk} of ${incidentId}`);
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
      return current();
    }
  }

  /** Every action of the incident, by cursor. */
  async listActions(incidentId: string): Promise<ActionRecord[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': incidentPk(incidentId), ':prefix': ACTION_PREFIX },
      ConsistentRead: true,
    });
    return items.map((item) => parseRecord(ActionRecordSchema, item, `action ${String(item.sk)} of ${incidentId}`));
  }

  /**
   * Takes the service's mutation lock for `ttlSeconds`. Succeeds when the lock is free, expired, or
   * already held by this incident (which extends it). Expiry is checked in the condition because TTL
   * deletion is lazy (up to days in AWS, never in DynamoDB Local).
   */
  async acquireMutationLock(service: string, incidentId: string, ttlSeconds: number): Promise<boolean> {
    if (await this.putMutationLock(service, incidentId, ttlSeconds)) return true;
    // Held by another incident with time left on its lease: take it over only when that holder is
    // provably done (its incident left automation: resolved, escalated or acknowledged).
    const lock = await this.getMutationLock(service);
    if (!lock || lock.incidentId === incidentId) return this.putMutationLock(service, incidentId, ttlSeconds);
    // A holder that is no incident (an operator's undo) keeps the lock until it expires.
    const holder = await this.findIncident(lock.incidentId);
    if (!holder || statusesHoldingLocks.includes(holder.status)) return false;
    return this.putMutationLock(service, incidentId, ttlSeconds, { heldBy: lock.incidentId, acquiredAt: lock.acquiredAt });
  }

  /** Who holds the service's mutation lock now, if anyone (an expired lock still reads here until TTL deletes it). */
  async getMutationLock(service: string): Promise<MutationLock | undefined> {
    return this.getItem(mutexKey(service), MutationLockSchema, `mutation lock of ${service}`);
  }

  /**
   * The holder's heartbeat: pushes the lock's expiry to `ttlSeconds` from now while its incident
   * is still verifying. Returns false when the lock is no longer this incident's.
   */
  async renewMutationLock(service: string, incidentId: string, ttlSeconds: number): Promise<boolean> {
    const expiresAt = Math.floor(this.clock().getTime() / 1000) + ttlSeconds;
    try {
      await this.send('renew mutation lock', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: mutexKey(service),
            UpdateExpression: 'SET #expiresAt = :expiresAt',
            // Not a lock it released or that lapsed: a heartbeat never revives a lock.
            ConditionExpression: 'incidentId = :incidentId AND #expiresAt >= :now',
            ExpressionAttributeNames: { '#expiresAt': TABLE_KEYS.ttlAttribute },
            ExpressionAttributeValues: { ':expiresAt': expiresAt, ':incidentId': incidentId, ':now': Math.floor(this.clock().getTime() / 1000) },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /** Puts the lock when free, expired, already ours, or (takeover) still exactly as we read it from a finished holder. */
  private async putMutationLock(service: string, incidentId: string, ttlSeconds: number, takeover?: { heldBy: string; acquiredAt: string }): Promise<boolean> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
      throw new RecordInvalidError(`ttlSeconds must be a positive integer, got ${ttlSeconds}`);
    }
    const now = this.clock();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    try {
      await this.send('acquire mutation lock', () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...mutexKey(service),
              entity: 'mutex' satisfies Entity,
              service,
              incidentId,
              acquiredAt: now.toISOString(),
              [TABLE_KEYS.ttlAttribute]: nowSeconds + ttlSeconds,
            },
            ConditionExpression:
              'attribute_not_exists(pk) OR #expiresAt < :now OR incidentId = :incidentId' + (takeover ? ' OR (incidentId = :heldBy AND acquiredAt = :heldSince)' : ''),
            ExpressionAttributeNames: { '#expiresAt': TABLE_KEYS.ttlAttribute },
            ExpressionAttributeValues: {
              ':now': nowSeconds,
              ':incidentId': incidentId,
              ...(takeover ? { ':heldBy': takeover.heldBy, ':heldSince': takeover.acquiredAt } : {}),
            },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /** Releases the service's mutation lock if this incident holds it; returns whether it did. */
  async releaseMutationLock(service: string, incidentId: string): Promise<boolean> {
    // An update that expires the lock rather than a delete: acquiring treats an expired lock as free,
    // TTL removes the item later, and no workflow step needs the right to delete anything.
    try {
      await this.send('release mutation lock', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: mutexKey(service),
            UpdateExpression: 'SET #expiresAt = :released, releasedAt = :now',
            ConditionExpression: 'incidentId = :incidentId AND #expiresAt > :released',
            ExpressionAttributeNames: { '#expiresAt': TABLE_KEYS.ttlAttribute },
            ExpressionAttributeValues: { ':incidentId': incidentId, ':released': 0, ':now': this.now() },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /**
   * The most recently opened incidents, newest first: opened at or after `since`, in one of
   * `statuses`, of `service`, when given. Reads the incident index (its sort key starts with the
   * open time, so `since` bounds the query); the status and service filters page through it.
   */
  async listIncidents(options: { limit?: number; since?: string; statuses?: readonly IncidentStatus[]; service?: string } = {}): Promise<IncidentRecord[]> {
    const limit = options.limit ?? 20;
    if (!Number.isInteger(limit) || limit <= 0) throw new RecordInvalidError(`limit must be a positive integer, got ${limit}`);
    if (options.since !== undefined && Number.isNaN(Date.parse(options.since))) throw new RecordInvalidError(`since must be an ISO time, got ${options.since}`);
    const names: Record<string, string> = { '#gpk': TABLE_KEYS.gsi1PartitionKey };
    const values: Record<string, unknown> = { ':partition': INCIDENT_LIST_PARTITION };
    let keyCondition = '#gpk = :partition';
    if (options.since !== undefined) {
      keyCondition += ' AND #gsk >= :since';
      names['#gsk'] = TABLE_KEYS.gsi1SortKey;
      values[':since'] = new Date(options.since).toISOString();
    }
    const filters: string[] = [];
    if (options.statuses !== undefined && options.statuses.length > 0) {
      names['#status'] = 'status';
      filters.push(`#status IN (${options.statuses.map((status, i) => ((values[`:s${i}`] = status), `:s${i}`)).join(', ')})`);
    }
    if (options.service !== undefined) {
      names['#service'] = 'service';
      values[':service'] = options.service;
      filters.push('#service = :service');
    }
    const items = await this.queryAll(
      {
        TableName: this.tableName,
        IndexName: TABLE_KEYS.gsi1Name,
        KeyConditionExpression: keyCondition,
        ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
      },
      limit,
      // A filter drops items after the page is read: read pages of a useful size rather than `limit` at a time.
      filters.length > 0 ? Math.max(limit, 100) : undefined,
    );
    return items.slice(0, limit).map((item) => parseRecord(IncidentRecordSchema, item, `incident ${String(item.pk)}`));
  }

  /** Incidents not yet RESOLVED, oldest first, whatever their age: read through the episode pointers. */
  async listActiveIncidents(): Promise<IncidentRecord[]> {
    const episodes = await this.listActiveEpisodes();
    const incidents = await Promise.all(episodes.map((e) => this.findIncident(e.incidentId)));
    return incidents.filter((i): i is IncidentRecord => i !== undefined && i.status !== 'RESOLVED');
  }

  /**
   * Replaces the incident's `lastNotification` only if nothing changed since it was read: its `at`
   * still equals `expected.at` (compared as stored; `undefined` means "none recorded") and, when
   * given, its status is still `expected.status`. `next: undefined` removes it. Returns false, and
   * writes nothing, when the check fails (another writer was first, or the incident is gone): the
   * compare-and-set that keeps overlapping scheduled runs from sending the same update twice.
   */
  async compareAndSetLastNotification(
    incidentId: string,
    expected: { readonly at: unknown; readonly status?: IncidentRecord['status'] },
    next: LastNotification | undefined,
  ): Promise<boolean> {
    const parsed = next === undefined ? undefined : parseInput(LastNotificationSchema, next, 'last notification');
    const names: Record<string, string> = { '#ln': 'lastNotification', '#at': 'at', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':now': this.now() };
    const conditions = ['attribute_exists(pk)'];
    if (expected.at === undefined) {
      conditions.push('attribute_not_exists(#ln.#at)');
    } else {
      conditions.push('#ln.#at = :expectedAt');
      values[':expectedAt'] = expected.at;
    }
    if (expected.status !== undefined) {
      conditions.push('#status = :expectedStatus');
      names['#status'] = 'status';
      values[':expectedStatus'] = expected.status;
    }
    if (parsed !== undefined) values[':next'] = parsed;
    try {
      await this.send('set last notification', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: incidentKey(incidentId),
            UpdateExpression: parsed === undefined ? 'SET #updatedAt = :now REMOVE #ln' : 'SET #ln = :next, #updatedAt = :now',
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  private now(): string {
    return this.clock().toISOString();
  }

  /**
   * Writes an action's outcome and the learning-record count it stands for in one transaction: the
   * count is made exactly when the action's own conditional update succeeds. A record that changed
   * since it was read (another MTTM sample) or a conflicting transaction is read again and retried.
   */
  private async countedUpdate(operation: string, action: Record<string, unknown>, stats: () => Promise<Record<string, unknown>>): Promise<CountedWrite> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.send(operation, async () => this.client.send(new TransactWriteCommand({ TransactItems: [{ Update: action } as never, await stats()] })));
        return 'written';
      } catch (error) {
        if (!isCancelled(error)) throw error;
        if (error.cancellationCodes?.[0] === 'ConditionalCheckFailed') return 'condition-failed';
        if (!retryableCancellation(error) || attempt >= MAX_COUNTED_ATTEMPTS) throw new StoreError(`could not ${operation} with its learning record`, { cause: error.cause });
        await backoff(attempt);
      }
    }
  }

  /**
   * The learning-record part of a counted write: add one to `counter` of the service × type item.
   * With an MTTM sample, the bounded sample list is rewritten from what was read, on the condition
   * that nobody wrote a sample since (samplesRevision), so no sample is lost to a concurrent write.
   */
  private async statsUpdate(service: string, type: string, counter: OutcomeCounter, mttmSeconds?: number): Promise<Record<string, unknown>> {
    const names: Record<string, string> = { '#counter': counter, '#service': 'service', '#type': 'type', '#entity': 'entity', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':one': 1, ':service': service, ':type': type, ':entity': 'learning', ':now': this.now() };
    let set = '#service = :service, #type = :type, #entity = :entity, #updatedAt = :now';
    let add = '#counter :one';
    let condition: string | undefined;
    if (mttmSeconds !== undefined) {
      const current = await this.getItem(statsKey(service, type), StatsSamplesSchema, `learning record ${service} ${type}`);
      names['#samples'] = 'mttmSamples';
      names['#revision'] = 'samplesRevision';
      values[':samples'] = withSample(current?.mttmSamples ?? [], mttmSeconds);
      values[':seen'] = current?.samplesRevision ?? 0;
      set += ', #samples = :samples';
      add += ', #revision :one';
      condition = 'attribute_not_exists(#revision) OR #revision = :seen';
    }
    return {
      Update: {
        TableName: this.tableName,
        Key: statsKey(service, type),
        UpdateExpression: `SET ${set} ADD ${add}`,
        ...(condition ? { ConditionExpression: condition } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  /** A transaction Put that refuses to overwrite an existing item. */
  private putIfAbsent(key: ItemKey, entity: Entity, attributes: Record<string, unknown>) {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...attributes, ...key, entity },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  private async getItem<S extends z.ZodType>(key: ItemKey, schema: S, what: string): Promise<z.infer<S> | undefined> {
    const result = await this.send(`read ${what}`, () => this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })));
    return result.Item ? parseRecord(schema, result.Item, what) : undefined;
  }

  /** Follows LastEvaluatedKey through every page, stopping early once `limit` items are in (pages of `pageSize` items read, when given). */
  private async queryAll(input: QueryCommandInput, limit?: number, pageSize?: number): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const remaining = limit === undefined ? undefined : limit - items.length;
      const page = await this.send('query', () => this.client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey, Limit: pageSize ?? remaining })));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey && (limit === undefined || items.length < limit));
    return items;
  }

  /** Runs one SDK call, wrapping its failure in a {@link StoreError} that names the operation. */
  private async send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw storeErrorFor(`${operation} on table ${this.tableName} failed: ${message}`, error);
    }
  }
}

/**
 * How a cancelled signal transaction ended. Its items are [incident update, pointer update, event
 * put]: the event already there means a redelivery; a changed incident or pointer (or a concurrent
 * writer) means the caller read a state that is gone and must read the episode again.
 */
function signalResultOf(error: StoreError, what: string): SignalResult {
  const codes = error.cancellationCodes ?? [];
  if (codes[2] === 'ConditionalCheckFailed') return 'duplicate';
  if (codes[0] === 'ConditionalCheckFailed' || codes[1] === 'ConditionalCheckFailed' || codes.includes('TransactionConflict')) return 'stale';
  throw new StoreError(what, { cause: error.cause });
}

/** gsi1 attributes that list an episode pointer among the active ones. */
function activeEpisodeIndex(openedAt: string, incidentId: string): Record<string, string> {
  return { [TABLE_KEYS.gsi1PartitionKey]: ACTIVE_EPISODE_PARTITION, [TABLE_KEYS.gsi1SortKey]: incidentListSortKey(openedAt, incidentId) };
}

function activeEpisodeIndexValues(at: string, incidentId: string): Record<string, string> {
  return { ':gpk': ACTIVE_EPISODE_PARTITION, ':gsk': incidentListSortKey(at, incidentId) };
}

/** A pointer no longer holds its service: its incident was RESOLVED and the flap cooldown has passed. */
export function episodeIsFree(episode: Pick<EpisodeRecord, 'status' | 'reopenUntil'>, nowIso: string): boolean {
  return episode.status === 'RESOLVED' && (episode.reopenUntil === undefined || episode.reopenUntil <= nowIso);
}

/** Builds `SET #a = :a, ...` for every defined field. */
function setExpression(fields: Record<string, unknown>): {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const assignments: string[] = [];
  Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .forEach(([field, value], i) => {
      names[`#f${i}`] = field;
      values[`:v${i}`] = value;
      assignments.push(`#f${i} = :v${i}`);
    });
  return { UpdateExpression: `SET ${assignments.join(', ')}`, ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}

function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new RecordInvalidError(`invalid ${what}: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, {
      cause: result.error,
    });
  }
  return result.data;
}

function parseRecord<S extends z.ZodType>(schema: S, item: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(item);
  if (!result.success) {
    throw new RecordInvalidError(`stored ${what} does not match its schema: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, {
      cause: result.error,
    });
  }
  return result.data;
}

const isConditionalFailure = (error: unknown): boolean => error instanceof StoreError && error.code === 'ConditionalCheckFailedException';

const isCancelled = (error: unknown): error is StoreError => error instanceof StoreError && error.code === 'TransactionCanceledException';

/**
 * True when a cancelled transaction may succeed if tried again: it collided with another writer or
 * with state that changed since we read it. Invalid requests (ValidationError, item too large) never will.
 */
const retryableCancellation = (error: StoreError): boolean =>
  error.cancellationCodes === undefined || error.cancellationCodes.every((code) => ['None', 'ConditionalCheckFailed', 'TransactionConflict', 'ThrottlingError'].includes(code));

/** The part of a learning record a new MTTM sample is written over: its samples and how many were ever written. */
const StatsSamplesSchema = MitigationRecordSchema.pick({ mttmSamples: true }).extend({ samplesRevision: MitigationRecordSchema.shape.tried });

/** Tries of a counted write: a service's verdicts rarely race (one incident per service at a time), but each race costs a retry. */
const MAX_COUNTED_ATTEMPTS = 8;

/** Action statuses that count as tried: the change was made, or found already in place. */
const TRIED_STATUSES: readonly string[] = ['applied', 'already-applied', 'undone'];

/** Short jittered pause before retrying a transaction that collided with another writer. */
const backoff = (attempt: number): Promise<void> => delay(10 * 2 ** attempt + Math.floor(Math.random() * 10));
