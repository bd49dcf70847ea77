import { randomUUID } from 'node:crypto';

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';

import {
  ApprovalCandidateSchema,
  type ApprovalChannel,
  ApprovalChannelSchema,
  type ApprovalDecision,
  ApprovalDecisionSchema,
  ApprovalIdSchema,
  type ApproverIdentity,
  ApproverIdentitySchema,
  MAX_REASON_LENGTH,
} from '../core/approval-link.js';
import { SeveritySchema } from '../core/config.js';
import { APPROVAL_PREFIX, approvalKey } from './approval-keys.js';
import { IncidentNotFoundError, RecordInvalidError, StoreError } from './errors.js';
import { incidentKey, incidentPk } from './keys.js';

const isoTime = z.iso.datetime({ offset: true });

export const APPROVAL_STATUSES = ['PENDING', 'DECIDED', 'SUPERSEDED'] as const;
export const ApprovalStatusSchema = z.enum(APPROVAL_STATUSES);
export type ApprovalStatus = z.infer<typeof ApprovalStatusSchema>;

/** What happened to a decision after it was recorded. */
export const ApprovalDeliverySchema = z.enum(['delivered', 'task-gone']);
export type ApprovalDelivery = z.infer<typeof ApprovalDeliverySchema>;

/**
 * One request for a human decision (`INCIDENT#<id>` / `APPROVAL#<approvalId>`). It is PENDING until
 * one person decides (DECIDED) or a newer request for the same incident replaces it (SUPERSEDED).
 * An expired PENDING record stays PENDING: expiry is a comparison with the clock, made in the
 * conditional write itself, so no sweeper is needed.
 */
export const ApprovalRecordSchema = z.object({
  incidentId: z.string().min(1),
  approvalId: ApprovalIdSchema,
  status: ApprovalStatusSchema,
  service: z.string().min(1),
  severity: SeveritySchema,
  candidate: ApprovalCandidateSchema,
  executionArn: z.string().min(1),
  requestedAt: isoTime,
  /**
   * `expiresAt` is also the table's TTL attribute name. TTL ignores non-number values, so this ISO
   * string keeps the record: approvals are part of the incident's audit trail, not ephemeral locks.
   */
  expiresAt: isoTime,
  /** Epoch seconds of `expiresAt`, compared in condition expressions. */
  expiresAtEpoch: z.number().int(),
  timeoutSeconds: z.number().int().positive(),
  /** The Step Functions task token, sealed (AES-256-GCM); removed once the decision is delivered. */
  sealedTaskToken: z.string().min(1).optional(),
  /** The secret the token was sealed under (Secrets Manager ARN), so the CLI can open it without configuration. */
  tokenSecretId: z.string().min(1),
  /** Who the signed links were emailed to (the approvers topic's addresses at request time); absent on older records. */
  recipients: z.array(z.string()).optional(),
  /** The runbook of the incident's alarm, shown on the approval pages; absent when none is configured. */
  runbook: z.string().optional(),
  decision: ApprovalDecisionSchema.optional(),
  decidedBy: z.string().optional(),
  decidedVia: ApprovalChannelSchema.optional(),
  /** What is known of the person behind an email-link decision (typed on the page, plus request facts); see docs/approvals.md. */
  decidedByIdentity: ApproverIdentitySchema.optional(),
  reason: z.string().max(MAX_REASON_LENGTH).nullable().optional(),
  decidedAt: isoTime.optional(),
  /** Identifies one claim, so only the claimer can release it or record its delivery. */
  claimId: z.string().optional(),
  delivery: ApprovalDeliverySchema.optional(),
  deliveredAt: isoTime.optional(),
  deliveryDetail: z.string().optional(),
  supersededBy: z.string().optional(),
  supersededAt: isoTime.optional(),
});
export type ApprovalRecord = z.infer<typeof ApprovalRecordSchema>;

/** What {@link ApprovalStore.create} needs; the store sets the status and the epoch expiry. */
export const NewApprovalSchema = ApprovalRecordSchema.pick({
  incidentId: true,
  approvalId: true,
  service: true,
  severity: true,
  candidate: true,
  executionArn: true,
  requestedAt: true,
  expiresAt: true,
  timeoutSeconds: true,
  tokenSecretId: true,
  recipients: true,
  runbook: true,
}).extend({ sealedTaskToken: z.string().min(1) });
export type NewApproval = z.infer<typeof NewApprovalSchema>;

/** A person's decision, as {@link ApprovalStore.claimDecision} records it. */
export interface DecisionClaim {
  readonly decision: ApprovalDecision;
  readonly by: string;
  readonly via: ApprovalChannel;
  readonly reason: string | null;
  /** For an email link: the name and email typed on the confirmation page, and the request's facts. */
  readonly identity?: ApproverIdentity;
}

/** Where an approval stands at a given moment. */
import { type ApprovalState, approvalState } from '../core/approval-state.js';

export { type ApprovalState, approvalState };

export type ClaimResult =
  | { readonly claimed: true; readonly record: ApprovalRecord; readonly claimId: string }
  | { readonly claimed: false; readonly state: 'not-found' }
  | { readonly claimed: false; readonly state: Exclude<ApprovalState, 'pending'>; readonly record: ApprovalRecord };

/** Options of {@link ApprovalStore}. */
export interface ApprovalStoreOptions {
  readonly tableName: string;
  /** @default a DynamoDBDocumentClient over a default DynamoDBClient, removing undefined values */
  readonly client?: DynamoDBDocumentClient;
  /** Source of "now" for expiry checks and decision times. @default () => new Date() */
  readonly clock?: () => Date;
}

/**
 * Approval records in the incident table. The one write that matters is {@link claimDecision}: a
 * conditional update from PENDING (and not expired) to DECIDED, so of two clicks, a click and a CLI
 * call, or a replayed link, exactly one decides.
 */
export class ApprovalStore {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly clock: () => Date;

  constructor(options: ApprovalStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Stores a new PENDING approval for an existing incident.
   *
   * @throws IncidentNotFoundError when the incident does not exist
   * @throws StoreError when an approval with this id already exists
   */
  async create(input: NewApproval): Promise<ApprovalRecord> {
    const parsed = parse(NewApprovalSchema, input, 'invalid new approval');
    const record: ApprovalRecord = {
      ...parsed,
      status: 'PENDING',
      expiresAtEpoch: Math.floor(Date.parse(parsed.expiresAt) / 1000),
    };
    const key = approvalKey(record.incidentId, record.approvalId);
    try {
      await this.send('create approval', () =>
        this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              { ConditionCheck: { TableName: this.tableName, Key: incidentKey(record.incidentId), ConditionExpression: 'attribute_exists(pk)' } },
              {
                Put: {
                  TableName: this.tableName,
                  Item: { ...record, ...key, entity: 'approval' },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        ),
      );
    } catch (error) {
      if (error instanceof StoreError && error.code === 'TransactionCanceledException') {
        if (error.cancellationCodes?.[0] === 'ConditionalCheckFailed') throw new IncidentNotFoundError(record.incidentId);
        if (error.cancellationCodes?.[1] === 'ConditionalCheckFailed') {
          throw new StoreError(`approval ${record.approvalId} of incident ${record.incidentId} already exists`, { cause: error.cause });
        }
      }
      throw error;
    }
    return record;
  }

  /** The approval, or undefined when there is none with this id. */
  async get(incidentId: string, approvalId: string): Promise<ApprovalRecord | undefined> {
    const result = await this.send('read approval', () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: approvalKey(incidentId, approvalId), ConsistentRead: true })),
    );
    return result.Item ? parse(ApprovalRecordSchema, result.Item, `stored approval ${approvalId} of ${incidentId} does not match its schema`) : undefined;
  }

  /** Every approval of the incident, oldest first. */
  async list(incidentId: string): Promise<ApprovalRecord[]> {
    const records: ApprovalRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send('query approvals', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': incidentPk(incidentId), ':prefix': APPROVAL_PREFIX },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        records.push(parse(ApprovalRecordSchema, item, `stored approval ${String(item.sk)} of ${incidentId} does not match its schema`));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    // Ids sort by request time; sorting on the field as well keeps the order right for any id.
    return records.sort((a, b) => a.requestedAt.localeCompare(b.requestedAt) || a.approvalId.localeCompare(b.approvalId));
  }

  /** The newest approval of the incident that can still be decided, if any. */
  async findPending(incidentId: string): Promise<ApprovalRecord | undefined> {
    const now = this.clock();
    return (await this.list(incidentId)).filter((r) => approvalState(r, now) === 'pending').at(-1);
  }

  /**
   * Records a decision if, and only if, the approval is still PENDING and not expired, in one
   * conditional write. When it is not, nothing changes and the result says why.
   */
  async claimDecision(incidentId: string, approvalId: string, claim: DecisionClaim): Promise<ClaimResult> {
    const now = this.clock();
    const claimId = randomUUID();
    try {
      const result = await this.send('claim approval decision', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: approvalKey(incidentId, approvalId),
            UpdateExpression: `SET #status = :decided, decision = :decision, decidedBy = :by, decidedVia = :via, reason = :reason, decidedAt = :at, claimId = :claimId${
              claim.identity ? ', decidedByIdentity = :identity' : ''
            }`,
            ConditionExpression: 'attribute_exists(pk) AND #status = :pending AND expiresAtEpoch > :nowEpoch',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':decided': 'DECIDED',
              ':pending': 'PENDING',
              ':decision': claim.decision,
              ':by': claim.by,
              ':via': claim.via,
              ':reason': claim.reason,
              ':at': now.toISOString(),
              ':claimId': claimId,
              ':nowEpoch': Math.floor(now.getTime() / 1000),
              ...(claim.identity ? { ':identity': claim.identity } : {}),
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      const record = parse(ApprovalRecordSchema, result.Attributes, `stored approval ${approvalId} of ${incidentId} does not match its schema`);
      return { claimed: true, record, claimId };
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
      const current = await this.get(incidentId, approvalId);
      if (!current) return { claimed: false, state: 'not-found' };
      const state = approvalState(current, now);
      // Still pending by our clock but refused by DynamoDB: only a concurrent writer can do that; report what is there now.
      return { claimed: false, state: state === 'pending' ? 'decided' : state, record: current };
    }
  }

  /**
   * Undoes a claim whose decision could not be delivered (Step Functions unreachable), so the
   * approval can be decided again. Only the claimer's claim is released, and only before delivery.
   *
   * @returns false when the claim was not ours to release (anymore)
   */
  async releaseClaim(incidentId: string, approvalId: string, claimId: string): Promise<boolean> {
    try {
      await this.send('release approval claim', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: approvalKey(incidentId, approvalId),
            UpdateExpression: 'SET #status = :pending REMOVE decision, decidedBy, decidedVia, decidedByIdentity, reason, decidedAt, claimId',
            ConditionExpression: '#status = :decided AND claimId = :claimId AND attribute_not_exists(delivery)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pending': 'PENDING', ':decided': 'DECIDED', ':claimId': claimId },
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
   * Records what became of a claimed decision and drops the sealed task token: once Step Functions
   * has answered, the token is of no further use to anyone.
   *
   * @returns false when the claim is not ours (nothing was written)
   */
  async recordDelivery(incidentId: string, approvalId: string, claimId: string, delivery: ApprovalDelivery, detail?: string): Promise<boolean> {
    try {
      await this.send('record approval delivery', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: approvalKey(incidentId, approvalId),
            UpdateExpression: `SET delivery = :delivery, deliveredAt = :at${detail === undefined ? '' : ', deliveryDetail = :detail'} REMOVE sealedTaskToken`,
            ConditionExpression: 'claimId = :claimId',
            ExpressionAttributeValues: {
              ':delivery': delivery,
              ':at': this.clock().toISOString(),
              ':claimId': claimId,
              ...(detail === undefined ? {} : { ':detail': detail }),
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

  /**
   * Marks every other PENDING approval of the incident SUPERSEDED by `approvalId`: a retried request
   * (or the next candidate) replaces older requests, so old emails cannot decide a stale question.
   *
   * @returns how many approvals were superseded
   */
  async supersedeOthers(incidentId: string, approvalId: string): Promise<number> {
    const now = this.clock().toISOString();
    let count = 0;
    for (const other of await this.list(incidentId)) {
      if (other.approvalId === approvalId || other.status !== 'PENDING') continue;
      try {
        await this.send('supersede approval', () =>
          this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: approvalKey(incidentId, other.approvalId),
              UpdateExpression: 'SET #status = :superseded, supersededBy = :by, supersededAt = :at',
              ConditionExpression: '#status = :pending',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':superseded': 'SUPERSEDED', ':pending': 'PENDING', ':by': approvalId, ':at': now },
            }),
          ),
        );
        count += 1;
      } catch (error) {
        // Decided in the meantime: that decision stands.
        if (!isConditionalFailure(error)) throw error;
      }
    }
    return count;
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

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new RecordInvalidError(`${what}: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, {
      cause: result.error,
    });
  }
  return result.data;
}

const isConditionalFailure = (error: unknown): boolean => error instanceof StoreError && error.code === 'ConditionalCheckFailedException';
