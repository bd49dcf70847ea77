import { setTimeout as delay } from 'node:timers/promises';

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';

import { type BrakeLedger, type BrakeRequest, type BrakeVerdict, brakeVerdict, type BudgetEntry, entriesInWindow, perResourceLimit } from '../core/brake.js';
import type { BrakeConfig } from '../core/config.js';
import { StoreError, storeErrorFor } from './errors.js';

/**
 * The brake ledger in the incident table: the changes automation made in the last hour (one item),
 * the last change per service, and which incidents have an action standing on a resource. Every
 * write is conditional on what was read, so two incidents deciding at once cannot both take the
 * last unit of budget.
 *
 * | item           | pk                                | sk        |
 * |----------------|-----------------------------------|-----------|
 * | hourly budget  | `BRAKE#BUDGET`                    | `HOUR`    |
 * | cooldown mark  | `BRAKE#COOLDOWN#<service>`        | `LAST`    |
 * | resource cap   | `BRAKE#LIMIT#<type>#<target>`     | `HOLDERS` |
 */

const budgetKey = { pk: 'BRAKE#BUDGET', sk: 'HOUR' };
const cooldownKey = (service: string) => ({ pk: `BRAKE#COOLDOWN#${service}`, sk: 'LAST' });
const limitKey = (type: string, target: string) => ({ pk: `BRAKE#LIMIT#${type}#${target}`, sk: 'HOLDERS' });

const BudgetItemSchema = z.object({
  version: z.number().int(),
  entries: z.array(z.object({ key: z.string(), at: z.string(), incidentId: z.string(), service: z.string(), type: z.string() })),
});
const CooldownItemSchema = z.object({ at: z.string(), incidentId: z.string(), round: z.number().int(), type: z.string() });
const LimitItemSchema = z.object({ version: z.number().int(), holders: z.record(z.string(), z.string()) });

const MAX_ATTEMPTS = 8;

export interface AutomationBrakeOptions {
  readonly tableName: string;
  readonly client?: DynamoDBDocumentClient;
  readonly clock?: () => Date;
}

/** What `reserve` decided, and whether it counted the change. */
export type Reservation = BrakeVerdict & { readonly counted: boolean };

export class AutomationBrake {
  private readonly client: DynamoDBDocumentClient;
  private readonly clock: () => Date;

  constructor(private readonly options: AutomationBrakeOptions) {
    this.client = options.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Checks the brake for one change and, when it may go ahead (or a human approved it past the
   * brake: `override`), counts it: budget entry, cooldown mark, resource holder, in one transaction
   * conditional on the versions read. A refused change writes nothing.
   */
  async reserve(config: BrakeConfig, request: BrakeRequest, options: { override?: boolean } = {}): Promise<Reservation> {
    for (let attempt = 1; ; attempt += 1) {
      const now = this.clock();
      const limited = perResourceLimit(config, request.type) !== undefined;
      const [budget, cooldown, limit] = await Promise.all([
        this.get(budgetKey, BudgetItemSchema),
        this.get(cooldownKey(request.service), CooldownItemSchema),
        limited ? this.get(limitKey(request.type, request.target), LimitItemSchema) : Promise.resolve(undefined),
      ]);
      const ledger: BrakeLedger = { budget: budget?.entries ?? [], cooldown, holders: limit?.holders ?? {} };
      const verdict = brakeVerdict(config, ledger, request, now);
      if (!verdict.ok && !options.override) return { ...verdict, counted: false };
      const at = now.toISOString();
      const entries: BudgetEntry[] = entriesInWindow(ledger.budget, now);
      const alreadyCounted = entries.some((e) => e.key === request.key);
      if (alreadyCounted && (!limited || request.incidentId in ledger.holders)) return { ok: true, counted: false };
      if (!alreadyCounted) entries.push({ key: request.key, at, incidentId: request.incidentId, service: request.service, type: request.type });
      try {
        await this.send('count an automated change', () =>
          this.client.send(
            new TransactWriteCommand({
              TransactItems: [
                versioned(this.options.tableName, budgetKey, budget?.version, { entity: 'brake', entries }),
                {
                  Put: {
                    TableName: this.options.tableName,
                    Item: { ...cooldownKey(request.service), entity: 'brake', at, incidentId: request.incidentId, round: request.round, type: request.type },
                    ConditionExpression: cooldown ? '#at = :seenAt' : 'attribute_not_exists(pk)',
                    ...(cooldown ? { ExpressionAttributeNames: { '#at': 'at' }, ExpressionAttributeValues: { ':seenAt': cooldown.at } } : {}),
                  },
                },
                ...(limited
                  ? [
                      versioned(this.options.tableName, limitKey(request.type, request.target), limit?.version, {
                        entity: 'brake',
                        holders: { ...ledger.holders, [request.incidentId]: at },
                      }),
                    ]
                  : []),
              ],
            }),
          ),
        );
        return verdict.ok ? { ok: true, counted: true } : { ...verdict, counted: true };
      } catch (error) {
        // Another incident counted a change between our read and write: read again and decide again.
        if (!(error instanceof StoreError && error.code === 'TransactionCanceledException') || attempt >= MAX_ATTEMPTS) throw error;
        await delay(10 * 2 ** attempt + Math.floor(Math.random() * 10));
      }
    }
  }

  /** The incident's action no longer stands on the resource (undone): it stops counting against the cap. */
  async releaseResource(type: string, target: string, incidentId: string): Promise<void> {
    try {
      await this.send('release a resource cap', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: limitKey(type, target),
            UpdateExpression: 'REMOVE holders.#incident SET version = version + :one',
            ConditionExpression: 'attribute_exists(holders.#incident)',
            ExpressionAttributeNames: { '#incident': incidentId },
            ExpressionAttributeValues: { ':one': 1 },
          }),
        ),
      );
    } catch (error) {
      if (!(error instanceof StoreError && error.code === 'ConditionalCheckFailedException')) throw error;
    }
  }

  /** What the ledger holds now, for `tourniquet` views and tests. */
  async snapshot(service: string): Promise<{ budget: BudgetEntry[]; cooldown?: z.infer<typeof CooldownItemSchema> }> {
    const [budget, cooldown] = await Promise.all([this.get(budgetKey, BudgetItemSchema), this.get(cooldownKey(service), CooldownItemSchema)]);
    return { budget: entriesInWindow(budget?.entries ?? [], this.clock()), cooldown };
  }

  private async get<S extends z.ZodType>(key: { pk: string; sk: string }, schema: S): Promise<z.infer<S> | undefined> {
    const { Item } = await this.send(`read ${key.pk}`, () => this.client.send(new GetCommand({ TableName: this.options.tableName, Key: key, ConsistentRead: true })));
    if (!Item) return undefined;
    const parsed = schema.safeParse(Item);
    if (!parsed.success) throw new StoreError(`brake item ${key.pk} does not match its schema: ${parsed.error.message}`);
    return parsed.data;
  }

  private async send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw storeErrorFor(`${operation} on table ${this.options.tableName} failed: ${message}`, error);
    }
  }
}

/** A Put that only succeeds when the item is still at the version read (or still absent). */
function versioned(tableName: string, key: { pk: string; sk: string }, seen: number | undefined, attributes: Record<string, unknown>) {
  return {
    Put: {
      TableName: tableName,
      Item: { ...key, ...attributes, version: (seen ?? 0) + 1 },
      ConditionExpression: seen === undefined ? 'attribute_not_exists(pk)' : 'version = :seen',
      ...(seen === undefined ? {} : { ExpressionAttributeValues: { ':seen': seen } }),
    },
  };
}
