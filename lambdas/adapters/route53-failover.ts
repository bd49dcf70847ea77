import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  type HealthCheck,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
  type RRType,
  UpdateHealthCheckCommand,
} from '@aws-sdk/client-route-53';
import * as z from 'zod';

import type { Route53Config } from '../core/config.js';
import { awsErrorName, AwsOperationError, AwsResourceNotFoundError, classifyAwsError, TransientAwsError } from './errors.js';

/**
 * Route 53 failover: moves DNS traffic from a primary endpoint to a secondary one, and back.
 *
 * Two setups are supported (see `Route53ConfigSchema`):
 * - **health-check**: failover routing records, the PRIMARY one tied to a health check. Failover
 *   sets the check to `Inverted` *and* `Disabled`. Route 53 treats a disabled check as always
 *   healthy and an inverted one as the opposite of its status, so the pair reads "unhealthy" no
 *   matter what the endpoint does. Inverting alone would be wrong exactly when it matters most:
 *   if the primary endpoint is already failing, an inverted check reports it healthy and pulls
 *   traffic *back* to it.
 * - **weighted**: two weighted records. Failover moves all weight to the secondary in one
 *   atomic `ChangeResourceRecordSets` batch, keeping every other field of both records.
 *
 * Nothing is instantaneous: a record change is PENDING until Route 53's servers are INSYNC
 * (typically within 60 s), a health-check change needs RequestInterval × FailureThreshold
 * seconds to show, and resolvers keep the old answer for up to the record's TTL after that.
 * Every result therefore carries `settleSeconds`, the wait before verifying makes sense.
 */

/** Health-check reaction time when the check does not say (CALCULATED, CLOUDWATCH_METRIC): 30 s × 3. */
export const DEFAULT_REQUEST_INTERVAL_SECONDS = 30;
export const DEFAULT_FAILURE_THRESHOLD = 3;
/** How long Route 53 typically needs to get a record change INSYNC on all its servers. */
export const INSYNC_SECONDS = 60;
/**
 * Alias records have no TTL of their own: resolvers cache them for the target's TTL, which
 * Tourniquet cannot read from the record. 60 s is what load balancers and CloudFront answer with.
 */
export const ALIAS_TTL_SECONDS = 60;
/** The weight Route 53 accepts at most. */
const MAX_WEIGHT = 255;
/** ChangeBatch.Comment is limited to 256 characters. */
const MAX_COMMENT = 256;
/** Safety net for pagination within one name: a record group never spans this many pages. */
const MAX_PAGES = 20;

type HealthCheckConfig = Extract<Route53Config, { mode: 'health-check' }>;
type WeightedConfig = Extract<Route53Config, { mode: 'weighted' }>;

/**
 * A resource record set exactly as Route 53 listed it. Loose on purpose: fields Tourniquet does
 * not know are kept, so an undo writes back the very record that was there.
 */
export const RecordSetSchema = z.looseObject({
  Name: z.string(),
  Type: z.string(),
  SetIdentifier: z.string().optional(),
  Weight: z.number().int().min(0).max(MAX_WEIGHT).optional(),
  Failover: z.string().optional(),
  TTL: z.number().int().nonnegative().optional(),
  ResourceRecords: z.array(z.object({ Value: z.string() })).optional(),
  AliasTarget: z.object({ HostedZoneId: z.string(), DNSName: z.string(), EvaluateTargetHealth: z.boolean() }).optional(),
  HealthCheckId: z.string().optional(),
});
export type RecordSet = z.infer<typeof RecordSetSchema>;

/** What a health-check failover changes, and what its undo puts back. */
export const HealthCheckStateSchema = z.object({
  mode: z.literal('health-check'),
  healthCheckId: z.string(),
  inverted: z.boolean(),
  disabled: z.boolean(),
  /** HealthCheckVersion when this state was read (or written). */
  healthCheckVersion: z.number().int(),
});
export type HealthCheckState = z.infer<typeof HealthCheckStateSchema>;

/** What a weighted failover changes, and what its undo puts back: both records, every field. */
export const WeightedStateSchema = z.object({
  mode: z.literal('weighted'),
  hostedZoneId: z.string(),
  primary: RecordSetSchema,
  secondary: RecordSetSchema,
});
export type WeightedState = z.infer<typeof WeightedStateSchema>;

/** The routing state of one failover setup: the before-state of a failover is the input of its undo. */
export const FailoverStateSchema = z.discriminatedUnion('mode', [HealthCheckStateSchema, WeightedStateSchema]);
export type FailoverState = z.infer<typeof FailoverStateSchema>;

/** What `failover` and `restore` did. */
export const FailoverResultSchema = z.object({
  status: z.enum(['applied', 'already-applied']),
  mode: z.enum(['health-check', 'weighted']),
  /** The state found; pass it to `restore` to undo (from the first, `applied` run). */
  before: FailoverStateSchema,
  /** The state written (equal to `before` when nothing had to change). */
  after: FailoverStateSchema,
  /** One human sentence: what was found and done. */
  detail: z.string(),
  /** Route 53 change ID of a record change (weighted mode); poll it with `changeStatus`. */
  changeId: z.string().optional(),
  /**
   * Seconds to wait before verifying: time for Route 53 to act on the change (INSYNC for records,
   * RequestInterval × FailureThreshold for a health check) plus the largest TTL of the records.
   */
  settleSeconds: z.number().int().nonnegative(),
});
export type FailoverResult = z.infer<typeof FailoverResultSchema>;

/** What `failover` would do (dry run). */
export const FailoverPreviewSchema = z.object({
  mode: z.enum(['health-check', 'weighted']),
  /** False when traffic is already on the secondary. */
  wouldChange: z.boolean(),
  before: FailoverStateSchema,
  /** The state a failover would write. */
  after: FailoverStateSchema,
  detail: z.string(),
  settleSeconds: z.number().int().nonnegative(),
});
export type FailoverPreview = z.infer<typeof FailoverPreviewSchema>;

/**
 * Route 53 counts an endpoint healthy when more than this share of its checkers report it healthy
 * (Route 53 Developer Guide, "How Amazon Route 53 determines whether a health check is healthy").
 */
export const HEALTHY_CHECKER_SHARE = 0.18;

/** What `secondaryHealth` found: can the secondary take the traffic a failover sends it? */
export const SecondaryHealthSchema = z.object({
  /** The secondary record ("checkout.shop.example.com. A \"us-west-2\""). */
  record: z.string(),
  healthCheckId: z.string().optional(),
  /** `unknown`: no health check on the record, a calculated check, or no checker reporting yet. */
  status: z.enum(['healthy', 'unhealthy', 'unknown']),
  healthyCheckers: z.number().int().min(0),
  checkers: z.number().int().min(0),
  detail: z.string(),
});
export type SecondaryHealth = z.infer<typeof SecondaryHealthSchema>;

/** Status of a record change, as GetChange reports it. */
export const ChangeStatusSchema = z.enum(['PENDING', 'INSYNC']);
export type ChangeStatus = z.infer<typeof ChangeStatusSchema>;

/** Options of `failover` and `restore`. */
export interface FailoverOptions {
  /** Goes on the change batch (weighted mode; UpdateHealthCheck takes no comment). Cut to 256 characters. */
  readonly comment: string;
  /**
   * A record change submitted earlier for this record (the ledger's `after.changeId`: a retried failover,
   * or the failover an undo reverts). While GetChange says it is PENDING, no other change is submitted:
   * Route 53 would answer PriorRequestNotComplete, and resolvers may still see either set of records.
   */
  readonly priorChangeId?: string;
}

/** The change submitted before is still PENDING; submitting another now would conflict with it. */
export class PriorChangePendingError extends TransientAwsError {}

/** A record the config names is not in the hosted zone. */
export class FailoverRecordNotFoundError extends AwsResourceNotFoundError {
  override readonly name = 'FailoverRecordNotFoundError';
}

/** The DNS setup does not match the config, or a recorded state does not belong to it: failing over would not move traffic. */
export class FailoverSetupError extends Error {
  override readonly name = 'FailoverSetupError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The part of a health check a failover reads. */
interface CheckView {
  readonly state: HealthCheckState;
  readonly reactionSeconds: number;
}

/** The two records of a failover routing pair (health-check mode). */
interface FailoverPair {
  readonly primary: RecordSet;
  readonly secondary: RecordSet;
  readonly maxTtl: number;
}

/** Route 53 failover and its undo over `@aws-sdk/client-route-53`. */
export class Route53FailoverAdapter {
  constructor(private readonly client: Route53Client = new Route53Client({})) {}

  /**
   * Sends the record's traffic to the secondary. Idempotent: when traffic is already there
   * (health check inverted and disabled; primary weight 0 with a secondary weight above 0),
   * nothing is written and the status is `already-applied`.
   *
   * @throws TransientAwsError on throttling, a change to the zone still in progress
   *   (PriorRequestNotComplete), or a health check that keeps changing under us
   * @throws FailoverRecordNotFoundError / FailoverSetupError when the records do not match the config
   * @throws AwsResourceNotFoundError when the hosted zone or health check does not exist
   */
  async failover(config: Route53Config, options: FailoverOptions): Promise<FailoverResult> {
    if (config.mode === 'health-check') {
      const pair = await this.#failoverPair(config);
      return this.#setHealthCheck(config, pair, { inverted: true, disabled: true }, 'failover');
    }
    return this.#weightedFailover(config, options);
  }

  /** What `failover` would do, without writing anything. */
  async previewFailover(config: Route53Config): Promise<FailoverPreview> {
    if (config.mode === 'health-check') {
      const pair = await this.#failoverPair(config);
      const { state, reactionSeconds } = await this.#readCheck(config.primaryHealthCheckId);
      const settleSeconds = reactionSeconds + pair.maxTtl;
      const wouldChange = !(state.inverted && state.disabled);
      const after: HealthCheckState = { ...state, inverted: true, disabled: true, healthCheckVersion: wouldChange ? state.healthCheckVersion + 1 : state.healthCheckVersion };
      const detail = wouldChange
        ? `Would invert and disable health check ${state.healthCheckId} (now ${flags(state)}), so Route 53 answers ${pair.primary.Name} with the SECONDARY record; allow ${settleSeconds} s (${reactionSeconds} s health-check reaction + ${pair.maxTtl} s TTL).`
        : `Health check ${state.healthCheckId} is already inverted and disabled, so ${pair.primary.Name} already answers with the SECONDARY record; nothing to do.`;
      return FailoverPreviewSchema.parse({ mode: config.mode, wouldChange, before: state, after, detail, settleSeconds });
    }
    const { before, others } = await this.#weightedState(config);
    const plan = planWeighted(before);
    const settleSeconds = weightedSettle(before);
    const detail = plan
      ? `Would set ${describeRecord(before.primary)} to weight 0 and ${describeRecord(before.secondary)} to weight ${plan.secondary.Weight} in one change batch; allow ${settleSeconds} s (${INSYNC_SECONDS} s to INSYNC + ${settleSeconds - INSYNC_SECONDS} s TTL).${othersNote(others)}`
      : `${describeRecord(before.primary)} already has weight 0 and ${describeRecord(before.secondary)} weight ${before.secondary.Weight}; nothing to do.${othersNote(others)}`;
    return FailoverPreviewSchema.parse({ mode: config.mode, wouldChange: plan !== undefined, before, after: plan ?? before, detail, settleSeconds });
  }

  /**
   * Whether the secondary can take the traffic: the health of the SECONDARY record's own health
   * check (health-check mode), or of the secondary weighted record's (weighted mode), as Route 53's
   * checkers report it (GetHealthCheckStatus). Route 53 counts an endpoint healthy when more than
   * 18% of its checkers report it healthy. A secondary without a health check is `unknown`: Route 53
   * then answers with it whatever its endpoint does.
   *
   * @throws FailoverRecordNotFoundError / FailoverSetupError when the records do not match the config
   */
  async secondaryHealth(config: Route53Config): Promise<SecondaryHealth> {
    const secondary = config.mode === 'health-check' ? (await this.#failoverPair(config)).secondary : (await this.#weightedState(config)).before.secondary;
    const record = describeRecord(secondary);
    const id = secondary.HealthCheckId;
    if (id === undefined) {
      return SecondaryHealthSchema.parse({
        record,
        status: 'unknown',
        healthyCheckers: 0,
        checkers: 0,
        detail: `${record} has no health check: Route 53 answers with it whatever the health of its endpoint; not checked`,
      });
    }
    let observations;
    try {
      ({ HealthCheckObservations: observations } = await this.client.send(new GetHealthCheckStatusCommand({ HealthCheckId: id })));
    } catch (err) {
      // Calculated health checks have no checkers; their status is only visible in the console and CloudWatch.
      if (awsErrorName(err) === 'InvalidInput') {
        return SecondaryHealthSchema.parse({
          record,
          healthCheckId: id,
          status: 'unknown',
          healthyCheckers: 0,
          checkers: 0,
          detail: `the status of health check ${id} of ${record} cannot be read with GetHealthCheckStatus (${(err as Error).message}); not checked`,
        });
      }
      throw route53Error(err, 'GetHealthCheckStatus', `health check ${id}`);
    }
    const reports = (observations ?? []).map((o) => o.StatusReport?.Status ?? '');
    const healthyCheckers = reports.filter((r) => r.startsWith('Success')).length;
    const checkers = reports.length;
    if (checkers === 0) {
      return SecondaryHealthSchema.parse({
        record,
        healthCheckId: id,
        status: 'unknown',
        healthyCheckers,
        checkers,
        detail: `no Route 53 checker reports on health check ${id} of ${record} yet`,
      });
    }
    const healthy = healthyCheckers / checkers > HEALTHY_CHECKER_SHARE;
    const failing = reports.find((r) => !r.startsWith('Success'));
    return SecondaryHealthSchema.parse({
      record,
      healthCheckId: id,
      status: healthy ? 'healthy' : 'unhealthy',
      healthyCheckers,
      checkers,
      detail: healthy
        ? `health check ${id} of ${record} is healthy (${healthyCheckers} of ${checkers} checkers report success)`
        : `health check ${id} of ${record} is unhealthy: ${healthyCheckers} of ${checkers} checkers report success${failing ? ` (${failing})` : ''}; failing over would send users to a failing endpoint`,
    });
  }

  /**
   * Undoes a failover: puts back the state recorded as `before` by the `applied` failover
   * (Inverted/Disabled of the health check; both weighted records exactly, every field).
   * Idempotent: when that state is already in place, nothing is written (`already-applied`).
   *
   * @throws FailoverSetupError when `before` does not belong to this config
   * @throws FailoverRecordNotFoundError when a weighted record was deleted meanwhile (a human should look)
   * @throws TransientAwsError as for `failover`
   */
  async restore(config: Route53Config, before: FailoverState, options: FailoverOptions = { comment: 'Tourniquet: undo failover' }): Promise<FailoverResult> {
    const recorded = FailoverStateSchema.parse(before);
    if (config.mode === 'health-check') {
      if (recorded.mode !== 'health-check' || !sameId(recorded.healthCheckId, config.primaryHealthCheckId)) {
        throw new FailoverSetupError(`the recorded state (${describeState(recorded)}) does not belong to health check ${config.primaryHealthCheckId}; refusing to restore it`);
      }
      const pair = await this.#failoverPair(config);
      return this.#setHealthCheck(config, pair, { inverted: recorded.inverted, disabled: recorded.disabled }, 'restore');
    }
    if (
      recorded.mode !== 'weighted' ||
      stripZonePrefix(recorded.hostedZoneId) !== stripZonePrefix(config.hostedZoneId) ||
      recorded.primary.SetIdentifier !== config.primarySetIdentifier ||
      recorded.secondary.SetIdentifier !== config.secondarySetIdentifier ||
      canonicalName(recorded.primary.Name) !== canonicalName(config.recordName) ||
      recorded.primary.Type !== config.recordType
    ) {
      throw new FailoverSetupError(
        `the recorded state (${describeState(recorded)}) does not belong to ${config.recordName} ${config.recordType} in hosted zone ${config.hostedZoneId}; refusing to restore it`,
      );
    }
    const { before: current } = await this.#weightedState(config);
    const changes = [recorded.primary, recorded.secondary].filter((r, i) => fingerprint(r) !== fingerprint(i === 0 ? current.primary : current.secondary));
    const settleSeconds = weightedSettle(current, recorded);
    const pending = await this.#pendingNote(config, options.priorChangeId, changes.length > 0);
    if (changes.length === 0) {
      return FailoverResultSchema.parse({
        status: 'already-applied',
        mode: 'weighted',
        before: current,
        after: current,
        settleSeconds,
        detail: `${describeRecord(current.primary)} and ${describeRecord(current.secondary)} already match the recorded records (weights ${current.primary.Weight}/${current.secondary.Weight}); nothing written.${pending}`,
      });
    }
    const changeId = await this.#changeRecords(config.hostedZoneId, changes, options.comment);
    return FailoverResultSchema.parse({
      status: 'applied',
      mode: 'weighted',
      before: current,
      after: recorded,
      changeId,
      settleSeconds,
      detail: `Restored ${changes.map(describeRecord).join(' and ')} to the recorded records (weights ${current.primary.Weight}/${current.secondary.Weight} → ${recorded.primary.Weight}/${recorded.secondary.Weight}) in change ${changeId}; allow ${settleSeconds} s before verifying.`,
    });
  }

  /**
   * " Change C123 is still PENDING: …" for the detail when the earlier change has not reached every
   * Route 53 server; throws instead when a new change would have to be submitted on top of it.
   */
  async #pendingNote(config: WeightedConfig, priorChangeId: string | undefined, wouldSubmit: boolean): Promise<string> {
    if (priorChangeId === undefined) return '';
    const id = priorChangeId.replace(/^\/change\//, '');
    if ((await this.changeStatus(priorChangeId)) !== 'PENDING') return '';
    if (wouldSubmit) {
      throw new PriorChangePendingError(
        `change ${id} to ${config.recordName} ${config.recordType} in hosted zone ${config.hostedZoneId} is still PENDING; ` +
          'not submitting a conflicting change on top of it (Route 53 would answer PriorRequestNotComplete). The step retries once it is INSYNC',
      );
    }
    return ` Change ${id} is still PENDING: until it is INSYNC some Route 53 servers may answer with the records before it.`;
  }

  /** Whether a record change has reached all Route 53 servers (`INSYNC`) or not yet (`PENDING`). */
  async changeStatus(changeId: string): Promise<ChangeStatus> {
    const out = await this.#call('GetChange', `change ${changeId}`, () => this.client.send(new GetChangeCommand({ Id: changeId })));
    return ChangeStatusSchema.parse(out.ChangeInfo?.Status);
  }

  // ---- health-check mode ----

  /**
   * Sets Inverted/Disabled of the check, re-reading and retrying once when someone else updated
   * it between our read and write (HealthCheckVersionMismatch): the fresh read may even show the
   * wanted state, which then counts as already applied.
   */
  async #setHealthCheck(config: HealthCheckConfig, pair: FailoverPair, target: { inverted: boolean; disabled: boolean }, purpose: 'failover' | 'restore'): Promise<FailoverResult> {
    const id = config.primaryHealthCheckId;
    for (let attempt = 1; ; attempt++) {
      const { state, reactionSeconds } = await this.#readCheck(id);
      const settleSeconds = reactionSeconds + pair.maxTtl;
      const timing = `allow ${settleSeconds} s (${reactionSeconds} s health-check reaction + ${pair.maxTtl} s TTL)`;
      const serving = servingWith(target);
      const raced = attempt > 1 ? ' after a concurrent update of the check' : '';
      if (state.inverted === target.inverted && state.disabled === target.disabled) {
        return FailoverResultSchema.parse({
          status: 'already-applied',
          mode: 'health-check',
          before: state,
          after: state,
          settleSeconds,
          detail: `Health check ${id} is already ${flags(state)}${raced}, so ${pair.primary.Name} answers with the ${serving} record; nothing written.`,
        });
      }
      const updated = await this.#updateCheck(id, state.healthCheckVersion, target);
      if (updated === 'version-mismatch') {
        if (attempt < 2) continue;
        throw new TransientAwsError(`Route 53 UpdateHealthCheck on ${id}: the health check changed again between read and write (HealthCheckVersionMismatch twice); retry later`);
      }
      const after: HealthCheckState = { ...state, inverted: target.inverted, disabled: target.disabled, healthCheckVersion: updated };
      const verb = purpose === 'failover' ? 'Inverted and disabled' : 'Restored';
      return FailoverResultSchema.parse({
        status: 'applied',
        mode: 'health-check',
        before: state,
        after,
        settleSeconds,
        detail: `${verb} health check ${id} (${flags(state)} → ${flags(after)}, version ${state.healthCheckVersion} → ${updated})${raced}, so Route 53 answers ${pair.primary.Name} with the ${serving} record; ${timing}.${secondaryCheckNote(pair, purpose)}`,
      });
    }
  }

  async #readCheck(id: string): Promise<CheckView> {
    const out = await this.#call('GetHealthCheck', `health check ${id}`, () => this.client.send(new GetHealthCheckCommand({ HealthCheckId: id })));
    return checkView(id, out.HealthCheck);
  }

  /** Returns the new HealthCheckVersion, or 'version-mismatch' when the check changed since it was read. */
  async #updateCheck(id: string, version: number, target: { inverted: boolean; disabled: boolean }): Promise<number | 'version-mismatch'> {
    try {
      const out = await this.client.send(new UpdateHealthCheckCommand({ HealthCheckId: id, HealthCheckVersion: version, Inverted: target.inverted, Disabled: target.disabled }));
      return out.HealthCheck?.HealthCheckVersion ?? version + 1;
    } catch (err) {
      if (awsErrorName(err) === 'HealthCheckVersionMismatch') return 'version-mismatch';
      throw route53Error(err, 'UpdateHealthCheck', `health check ${id}`);
    }
  }

  /**
   * The failover routing pair at the record name whose PRIMARY uses the configured check. Read
   * first because inverting a check that no PRIMARY record uses would change nothing, and because
   * the records' TTLs decide how long resolvers keep answering with the primary.
   */
  async #failoverPair(config: HealthCheckConfig): Promise<FailoverPair> {
    const name = canonicalName(config.recordName);
    const records = await this.#listRecords(config.hostedZoneId, name);
    const failover = records.filter((r) => r.Failover !== undefined);
    const primary = failover.find((r) => r.Failover === 'PRIMARY' && r.HealthCheckId !== undefined && sameId(r.HealthCheckId, config.primaryHealthCheckId));
    if (!primary) {
      const other = failover.find((r) => r.Failover === 'PRIMARY');
      if (other) {
        throw new FailoverSetupError(
          `the PRIMARY failover record ${name} ${other.Type} in hosted zone ${config.hostedZoneId} uses health check ${other.HealthCheckId ?? '(none)'}, ` +
            `not ${config.primaryHealthCheckId}: changing ${config.primaryHealthCheckId} would not move traffic`,
        );
      }
      throw new FailoverRecordNotFoundError(`no PRIMARY failover record named ${name} in hosted zone ${config.hostedZoneId}`);
    }
    const secondary = failover.find((r) => r.Failover === 'SECONDARY' && r.Type === primary.Type);
    if (!secondary) {
      throw new FailoverRecordNotFoundError(
        `no SECONDARY failover record ${name} ${primary.Type} in hosted zone ${config.hostedZoneId}: with the primary unhealthy Route 53 would still answer with it`,
      );
    }
    const maxTtl = Math.max(...failover.filter((r) => r.Type === primary.Type).map(ttlOf));
    return { primary, secondary, maxTtl };
  }

  // ---- weighted mode ----

  async #weightedFailover(config: WeightedConfig, options: FailoverOptions): Promise<FailoverResult> {
    const { before, others } = await this.#weightedState(config);
    const plan = planWeighted(before);
    const settleSeconds = weightedSettle(before);
    const pending = await this.#pendingNote(config, options.priorChangeId, plan !== undefined);
    if (!plan) {
      return FailoverResultSchema.parse({
        status: 'already-applied',
        mode: 'weighted',
        before,
        after: before,
        settleSeconds,
        detail: `${describeRecord(before.primary)} already has weight 0 and ${describeRecord(before.secondary)} weight ${before.secondary.Weight}, so traffic is on the secondary; nothing written.${pending}${othersNote(others)}`,
      });
    }
    const changeId = await this.#changeRecords(config.hostedZoneId, [plan.primary, plan.secondary], options.comment);
    return FailoverResultSchema.parse({
      status: 'applied',
      mode: 'weighted',
      before,
      after: plan,
      changeId,
      settleSeconds,
      detail:
        `Moved all weight of ${before.primary.Name} ${before.primary.Type} to the secondary (${before.primary.SetIdentifier} ${before.primary.Weight} → 0, ` +
        `${before.secondary.SetIdentifier} ${before.secondary.Weight} → ${plan.secondary.Weight}) in change ${changeId}; allow ${settleSeconds} s (${INSYNC_SECONDS} s to INSYNC + ${settleSeconds - INSYNC_SECONDS} s TTL).${othersNote(others)}`,
    });
  }

  /** Both weighted records as they are now, plus the other weighted members of the group (which keep their traffic). */
  async #weightedState(config: WeightedConfig): Promise<{ before: WeightedState; others: RecordSet[] }> {
    const name = canonicalName(config.recordName);
    const records = await this.#listRecords(config.hostedZoneId, name, config.recordType);
    const find = (setIdentifier: string, role: string): RecordSet => {
      const r = records.find((x) => x.SetIdentifier === setIdentifier);
      if (!r) {
        const known = records.map((x) => x.SetIdentifier ?? '(simple)').join(', ') || 'none';
        throw new FailoverRecordNotFoundError(
          `no ${role} record ${name} ${config.recordType} with set identifier "${setIdentifier}" in hosted zone ${config.hostedZoneId} (records there: ${known})`,
        );
      }
      if (r.Weight === undefined) {
        throw new FailoverSetupError(`${describeRecord(r)} in hosted zone ${config.hostedZoneId} is not a weighted record (no Weight); weighted failover cannot move its traffic`);
      }
      return r;
    };
    const primary = find(config.primarySetIdentifier, 'primary');
    const secondary = find(config.secondarySetIdentifier, 'secondary');
    const others = records.filter((r) => r !== primary && r !== secondary);
    return { before: WeightedStateSchema.parse({ mode: 'weighted', hostedZoneId: stripZonePrefix(config.hostedZoneId), primary, secondary }), others };
  }

  /** UPSERTs the records in one atomic batch; returns the change ID. */
  async #changeRecords(hostedZoneId: string, records: RecordSet[], comment: string): Promise<string> {
    const out = await this.#call('ChangeResourceRecordSets', `hosted zone ${hostedZoneId}`, () =>
      this.client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: hostedZoneId,
          ChangeBatch: {
            Comment: comment.slice(0, MAX_COMMENT),
            Changes: records.map((r) => ({ Action: 'UPSERT', ResourceRecordSet: r as ResourceRecordSet })),
          },
        }),
      ),
    );
    const id = out.ChangeInfo?.Id;
    if (!id) throw new AwsOperationError(`Route 53 ChangeResourceRecordSets on hosted zone ${hostedZoneId} returned no change ID`);
    return id;
  }

  // ---- shared ----

  /**
   * The records named `name` (of `type` when given), following pagination while the listing is
   * still inside that name. Route 53 lists in order of name (labels reversed), then type, so the
   * first record past the group ends the walk.
   */
  async #listRecords(hostedZoneId: string, name: string, type?: RRType): Promise<RecordSet[]> {
    const out: RecordSet[] = [];
    let start: { name: string; type?: RRType | undefined; identifier?: string | undefined } = { name, type };
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.#call('ListResourceRecordSets', `hosted zone ${hostedZoneId}`, () =>
        this.client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: hostedZoneId,
            StartRecordName: start.name,
            ...(start.type !== undefined ? { StartRecordType: start.type } : {}),
            ...(start.identifier !== undefined ? { StartRecordIdentifier: start.identifier } : {}),
          }),
        ),
      );
      for (const r of res.ResourceRecordSets ?? []) {
        if (canonicalName(r.Name ?? '') !== name || (type !== undefined && r.Type !== type)) return out;
        out.push(RecordSetSchema.parse(plain(r)));
      }
      if (!res.IsTruncated || res.NextRecordName === undefined) return out;
      start = { name: res.NextRecordName, type: res.NextRecordType, identifier: res.NextRecordIdentifier };
    }
    throw new AwsOperationError(`Route 53 ListResourceRecordSets on hosted zone ${hostedZoneId}: ${name} spans more than ${MAX_PAGES} pages`);
  }

  async #call<T>(operation: string, resource: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw route53Error(err, operation, resource);
    }
  }
}

/**
 * Route 53's errors with messages that say what to do; the rest go through the shared
 * classification (Throttling and server faults become TransientAwsError there).
 */
function route53Error(err: unknown, operation: string, resource: string): Error {
  const name = awsErrorName(err);
  const message = err instanceof Error ? err.message : String(err);
  const where = `Route 53 ${operation} on ${resource}`;
  switch (name) {
    case 'PriorRequestNotComplete':
      return new TransientAwsError(`${where}: another change to the hosted zone is still being applied (PriorRequestNotComplete); retry once it is INSYNC`, { cause: err });
    case 'NoSuchHostedZone':
      return new AwsResourceNotFoundError(`${where}: the hosted zone does not exist; check route53.hostedZoneId in the config (${message})`, { cause: err });
    case 'NoSuchHealthCheck':
      return new AwsResourceNotFoundError(`${where}: the health check does not exist; check route53.primaryHealthCheckId in the config (${message})`, { cause: err });
    case 'NoSuchChange':
      return new AwsResourceNotFoundError(`${where}: Route 53 knows no such change (${message})`, { cause: err });
    case 'InvalidChangeBatch': {
      const messages = (err as { messages?: unknown }).messages;
      const reasons = Array.isArray(messages) && messages.length > 0 ? messages.map(String).join('; ') : message;
      return new AwsOperationError(`${where}: Route 53 rejected the change batch: ${reasons}`, { cause: err });
    }
    default:
      return classifyAwsError(err, `Route 53 ${operation}`, resource);
  }
}

function checkView(id: string, hc: HealthCheck | undefined): CheckView {
  const cfg = hc?.HealthCheckConfig;
  if (!hc || !cfg || hc.HealthCheckVersion === undefined) {
    throw new AwsOperationError(`Route 53 GetHealthCheck on health check ${id} returned no health check configuration`);
  }
  const interval = cfg.RequestInterval ?? DEFAULT_REQUEST_INTERVAL_SECONDS;
  const threshold = cfg.FailureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
  return {
    state: { mode: 'health-check', healthCheckId: hc.Id ?? id, inverted: cfg.Inverted ?? false, disabled: cfg.Disabled ?? false, healthCheckVersion: hc.HealthCheckVersion },
    reactionSeconds: interval * threshold,
  };
}

/** The weighted failover to write, or undefined when traffic is already on the secondary. */
function planWeighted(state: WeightedState): WeightedState | undefined {
  const p = state.primary.Weight ?? 0;
  const s = state.secondary.Weight ?? 0;
  // Primary 0 alone is not enough: with both at 0 Route 53 splits traffic evenly between them.
  if (p === 0 && s > 0) return undefined;
  // The secondary takes the pair's whole share; both at 0 means "equal split", so give it a real weight.
  const weight = p + s === 0 ? 100 : Math.min(MAX_WEIGHT, p + s);
  return { ...state, primary: { ...state.primary, Weight: 0 }, secondary: { ...state.secondary, Weight: weight } };
}

/** INSYNC time plus the largest TTL of the records involved (old and new values). */
function weightedSettle(...states: WeightedState[]): number {
  return INSYNC_SECONDS + Math.max(...states.flatMap((s) => [ttlOf(s.primary), ttlOf(s.secondary)]));
}

function ttlOf(r: RecordSet): number {
  return r.AliasTarget !== undefined ? ALIAS_TTL_SECONDS : (r.TTL ?? 0);
}

function othersNote(others: readonly RecordSet[]): string {
  const live = others.filter((r) => (r.Weight ?? 0) > 0);
  if (live.length === 0) return '';
  return ` Other weighted records keep their share: ${live.map((r) => `${r.SetIdentifier ?? '(simple)'} (weight ${r.Weight})`).join(', ')}.`;
}

function secondaryCheckNote(pair: FailoverPair, purpose: 'failover' | 'restore'): string {
  if (purpose !== 'failover' || pair.secondary.HealthCheckId === undefined) return '';
  return ` The SECONDARY record has its own health check (${pair.secondary.HealthCheckId}): if that one is unhealthy too, Route 53 keeps answering with the PRIMARY.`;
}

/** Which failover record Route 53 answers with for a check in this state (Disabled reads healthy; Inverted flips). */
function servingWith(s: { inverted: boolean; disabled: boolean }): string {
  if (s.disabled) return s.inverted ? 'SECONDARY' : 'PRIMARY';
  return s.inverted ? 'SECONDARY while the primary endpoint is healthy (PRIMARY while it fails)' : 'PRIMARY while its endpoint is healthy';
}

function flags(s: HealthCheckState): string {
  return `${s.inverted ? 'inverted' : 'not inverted'}, ${s.disabled ? 'disabled' : 'enabled'}`;
}

function describeRecord(r: RecordSet): string {
  return `${r.Name} ${r.Type}${r.SetIdentifier !== undefined ? ` "${r.SetIdentifier}"` : ''}`;
}

function describeState(s: FailoverState): string {
  return s.mode === 'health-check' ? `health check ${s.healthCheckId}` : `weighted records ${describeRecord(s.primary)} / ${describeRecord(s.secondary)} in ${s.hostedZoneId}`;
}

function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Route 53 accepts zone IDs with or without the "/hostedzone/" prefix its own responses use. */
function stripZonePrefix(id: string): string {
  return id.replace(/^\/hostedzone\//, '');
}

/** The SDK output as plain JSON (no undefined members), so the before-state round-trips through Step Functions. */
function plain(r: ResourceRecordSet): unknown {
  return JSON.parse(JSON.stringify(r));
}

/**
 * A DNS name the way Route 53 lists it: lower case, fully qualified (trailing dot), and every
 * character other than a-z, 0-9, "-", "_" and "." as a three-digit octal escape ("*" → "\052").
 */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  let out = '';
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i]!;
    if (c === '\\' && /^\d{3}$/.test(lower.slice(i + 1, i + 4))) {
      out += lower.slice(i, i + 4);
      i += 3;
    } else if (/[a-z0-9_.-]/.test(c)) {
      out += c;
    } else {
      out += `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`;
    }
  }
  return out.endsWith('.') ? out : `${out}.`;
}

/** A comparable form of a record: canonical names and IDs, values in a stable order, keys sorted. */
function fingerprint(r: RecordSet): string {
  const norm: Record<string, unknown> = { ...r, Name: canonicalName(r.Name) };
  if (r.AliasTarget) norm['AliasTarget'] = { ...r.AliasTarget, DNSName: canonicalName(r.AliasTarget.DNSName), HostedZoneId: stripZonePrefix(r.AliasTarget.HostedZoneId) };
  if (r.ResourceRecords) norm['ResourceRecords'] = r.ResourceRecords.map((v) => v.Value).sort();
  if (r.HealthCheckId) norm['HealthCheckId'] = r.HealthCheckId.toLowerCase();
  return stableJson(norm);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
