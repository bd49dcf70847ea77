import { setTimeout as delay } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
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
import { type TimelineEvent, TimelineEventSchema } from '../core/model.js';
import { ActionNotFoundError, IncidentNotFoundError, RecordInvalidError, StoreError } from './errors.js';
import {
  ACTION_PREFIX,
  actionKey,
  EVENT_PREFIX,
  eventKey,
  INCIDENT_LIST_PARTITION,
  incidentKey,
  incidentListSortKey,
  incidentPk,
  type ItemKey,
  mutexKey,
  openLockKey,
} from './keys.js';
import {
  type ActionCompletion,
  ActionCompletionSchema,
  type ActionRecord,
  ActionRecordSchema,
  type ActionStart,
  type ActionStartResult,
  ActionStartSchema,
  type ClosePatch,
  ClosePatchSchema,
  type IncidentPatch,
  IncidentPatchSchema,
  type IncidentRecord,
  IncidentRecordSchema,
  type LastNotification,
  LastNotificationSchema,
  type OpenIncidentInput,
  OpenIncidentInputSchema,
  type OpenIncidentResult,
  OpenLockSchema,
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

/** Item type tags, so a raw table scan is readable. */
type Entity = 'incident' | 'event' | 'action' | 'open-lock' | 'mutex';

/**
 * The incident store: incidents, their timelines and mitigation actions, and the locks that keep
 * one incident per alarm and one change at a time per service. Every write that could race or be
 * repeated (EventBridge delivers at least once, Lambda and Step Functions retry) is conditional.
 */
export class IncidentStore {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly clock: () => Date;

  constructor(options: IncidentStoreOptions) {
    this.tableName = options.tableName;
    this.client =
      options.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Opens an incident in one transaction: the open lock for service+alarm, the incident item and its
   * first timeline event. When another incident holds the lock, nothing is written and its id is
   * returned. Re-opening the same incident id (a retried invocation) succeeds without writing again.
   */
  async openIncident(input: OpenIncidentInput): Promise<OpenIncidentResult> {
    const open = parseInput(OpenIncidentInputSchema, input, 'openIncident input');
    const now = this.now();
    const lockKey = openLockKey(open.service, open.alarmName);
    const incident: IncidentRecord = {
      incidentId: open.incidentId,
      service: open.service,
      alarmName: open.alarmName,
      severity: open.severity,
      status: 'INVESTIGATING',
      openedAt: open.openedAt,
      signal: open.signal,
      execution: open.execution,
      updatedAt: now,
    };
    const transaction: TransactWriteCommandInput = {
      TransactItems: [
        this.putIfAbsent(lockKey, 'open-lock', { incidentId: open.incidentId, openedAt: open.openedAt }),
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
        return { duplicate: false };
      } catch (error) {
        if (!isCancelled(error)) throw error;
        // Decide from what is stored rather than from cancellation codes alone: it is the truth either way.
        if (await this.findIncident(open.incidentId)) return { duplicate: false };
        const lock = await this.getItem(lockKey, OpenLockSchema, 'open lock');
        if (lock && lock.incidentId !== open.incidentId) return { duplicate: true, existingIncidentId: lock.incidentId };
        // The lock was released (or a concurrent transaction conflicted) between our write and our read: try again.
        if (attempt >= MAX_TRANSACTION_ATTEMPTS || !retryableCancellation(error)) {
          throw new StoreError(`could not open incident ${open.incidentId} after ${attempt} attempt(s)`, { cause: error.cause });
        }
        await backoff(attempt);
      }
    }
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
    await this.send('append timeline event', () =>
      this.client.send(new PutCommand(this.putIfAbsent(eventKey(incidentId, parsed.at, seq), 'event', { ...parsed, seq }).Put)),
    );
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
  ): Promise<ActionRecord> {
    const parsed = parseInput(ActionCompletionSchema, completion, 'action completion');
    const key = actionKey(incidentId, cursor, type);
    const update = setExpression({ ...parsed, completedAt: this.now() });
    try {
      const result = await this.send('complete action', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            ...update,
            ConditionExpression: 'attribute_exists(pk) AND #status = :started',
            ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#status': 'status' },
            ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':started': 'started' },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return parseRecord(ActionRecordSchema, result.Attributes, `action ${key.sk} of ${incidentId}`);
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
      const existing = await this.getItem(key, ActionRecordSchema, `action ${key.sk} of ${incidentId}`);
      if (!existing) throw new ActionNotFoundError(incidentId, cursor, type);
      return existing;
    }
  }

  /**
   * Marks an applied action as reverted. Only an `applied` action can be undone, once: a second
   * undo finds it `undone` and returns it unchanged.
   */
  async markActionUndone(incidentId: string, cursor: number, type: ActionRecord['type'], undoDetail: string): Promise<ActionRecord> {
    const key = actionKey(incidentId, cursor, type);
    try {
      const result = await this.send('mark action undone', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET #status = :undone, #undoneAt = :now, #undoDetail = :detail',
            ConditionExpression: 'attribute_exists(pk) AND #status = :applied',
            ExpressionAttributeNames: { '#status': 'status', '#undoneAt': 'undoneAt', '#undoDetail': 'undoDetail' },
            ExpressionAttributeValues: { ':undone': 'undone', ':applied': 'applied', ':now': this.now(), ':detail': undoDetail },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return parseRecord(ActionRecordSchema, result.Attributes, `action ${key.sk} of ${incidentId}`);
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
      const existing = await this.getItem(key, ActionRecordSchema, `action ${key.sk} of ${incidentId}`);
      if (!existing) throw new ActionNotFoundError(incidentId, cursor, type);
      return existing;
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
            ConditionExpression: 'attribute_not_exists(pk) OR #expiresAt < :now OR incidentId = :incidentId',
            ExpressionAttributeNames: { '#expiresAt': TABLE_KEYS.ttlAttribute },
            ExpressionAttributeValues: { ':now': nowSeconds, ':incidentId': incidentId },
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
    try {
      await this.send('release mutation lock', () =>
        this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: mutexKey(service),
            ConditionExpression: 'incidentId = :incidentId',
            ExpressionAttributeValues: { ':incidentId': incidentId },
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
   * Closes the incident: sets CLOSED with the patch and, in the same transaction, releases the open
   * lock if this incident still holds it, so the next alarm opens a new incident. Repeating it is
   * harmless; the first `closedAt` is kept unless the patch gives one.
   */
  async closeIncident(incidentId: string, patch: ClosePatch = {}): Promise<IncidentRecord> {
    const parsed = parseInput(ClosePatchSchema, patch, 'close patch');
    for (let attempt = 1; ; attempt += 1) {
      const incident = await this.getIncident(incidentId);
      const lockKey = openLockKey(incident.service, incident.alarmName);
      const lock = await this.getItem(lockKey, OpenLockSchema, 'open lock');
      const now = this.now();
      const update = setExpression({
        ...parsed,
        status: 'CLOSED',
        closedAt: parsed.closedAt ?? incident.closedAt ?? now,
        updatedAt: now,
      });
      const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
        { Update: { TableName: this.tableName, Key: incidentKey(incidentId), ...update, ConditionExpression: 'attribute_exists(pk)' } },
      ];
      if (lock?.incidentId === incidentId) {
        items.push({
          Delete: {
            TableName: this.tableName,
            Key: lockKey,
            ConditionExpression: 'incidentId = :incidentId',
            ExpressionAttributeValues: { ':incidentId': incidentId },
          },
        });
      }
      try {
        await this.send('close incident', () => this.client.send(new TransactWriteCommand({ TransactItems: items })));
        return await this.getIncident(incidentId);
      } catch (error) {
        if (!isCancelled(error)) throw error;
        // The lock changed hands (or a concurrent write conflicted) since we read it: re-read and retry.
        if (attempt >= MAX_TRANSACTION_ATTEMPTS) {
          throw new StoreError(`could not close incident ${incidentId} after ${attempt} attempts`, { cause: error.cause });
        }
        await backoff(attempt);
      }
    }
  }

  /** The most recently opened incidents, newest first. */
  async listIncidents(options: { limit?: number } = {}): Promise<IncidentRecord[]> {
    const limit = options.limit ?? 20;
    if (!Number.isInteger(limit) || limit <= 0) throw new RecordInvalidError(`limit must be a positive integer, got ${limit}`);
    const items = await this.queryAll(
      {
        TableName: this.tableName,
        IndexName: TABLE_KEYS.gsi1Name,
        KeyConditionExpression: '#gpk = :partition',
        ExpressionAttributeNames: { '#gpk': TABLE_KEYS.gsi1PartitionKey },
        ExpressionAttributeValues: { ':partition': INCIDENT_LIST_PARTITION },
        ScanIndexForward: false,
      },
      limit,
    );
    return items.map((item) => parseRecord(IncidentRecordSchema, item, `incident ${String(item.pk)}`));
  }

  /**
   * Incidents not yet CLOSED that were opened at or after `openedSince`, oldest first. Reads gsi1
   * (every incident, sorted by open time) from `openedSince` on and leaves closed ones out with a
   * filter, so the work is bounded by the incidents opened in that window, never by the table.
   * The index is eventually consistent: a just-changed incident may show its previous status.
   */
  async listOpenIncidents(options: { openedSince: Date | string }): Promise<IncidentRecord[]> {
    const since = new Date(options.openedSince);
    if (Number.isNaN(since.getTime())) throw new RecordInvalidError(`openedSince must be a date, got ${String(options.openedSince)}`);
    const items = await this.queryAll({
      TableName: this.tableName,
      IndexName: TABLE_KEYS.gsi1Name,
      KeyConditionExpression: '#gpk = :partition AND #gsk >= :since',
      FilterExpression: '#status <> :closed',
      ExpressionAttributeNames: { '#gpk': TABLE_KEYS.gsi1PartitionKey, '#gsk': TABLE_KEYS.gsi1SortKey, '#status': 'status' },
      ExpressionAttributeValues: { ':partition': INCIDENT_LIST_PARTITION, ':since': since.toISOString(), ':closed': 'CLOSED' },
      ScanIndexForward: true,
    });
    return items.map((item) => parseRecord(IncidentRecordSchema, item, `incident ${String(item.pk)}`));
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
    const result = await this.send(`read ${what}`, () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
    );
    return result.Item ? parseRecord(schema, result.Item, what) : undefined;
  }

  /** Follows LastEvaluatedKey through every page, stopping early once `limit` items are in. */
  private async queryAll(input: QueryCommandInput, limit?: number): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const remaining = limit === undefined ? undefined : limit - items.length;
      const page = await this.send('query', () =>
        this.client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey, Limit: remaining })),
      );
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
      throw new StoreError(`${operation} on table ${this.tableName} failed: ${message}`, { cause: error });
    }
  }
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
  error.cancellationCodes === undefined ||
  error.cancellationCodes.every((code) => ['None', 'ConditionalCheckFailed', 'TransactionConflict', 'ThrottlingError'].includes(code));

/** Short jittered pause before retrying a transaction that collided with another writer. */
const backoff = (attempt: number): Promise<void> => delay(10 * 2 ** attempt + Math.floor(Math.random() * 10));
