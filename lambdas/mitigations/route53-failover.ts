import type { FailoverState } from '../adapters/route53-failover.js';
import type { Route53Config, ServiceConfig, TourniquetConfig } from '../core/config.js';
import { type ArnFormatter, type Mitigation, MitigationNotExecutableError, type MitigationPermissions, type ReadinessCheck, type StatementSpec } from './mitigation.js';

function route53Of(service: ServiceConfig): Route53Config {
  const route53 = service.resources.route53;
  if (!route53) throw new MitigationNotExecutableError(`Service ${service.name} has no route53 resources configured`);
  return route53;
}

const describeRoute53 = (r: Route53Config): string => `${r.recordName} in ${r.hostedZoneId}`;

/**
 * Route 53 failover: when health signals show the primary region (or its database) failing, traffic
 * moves to the healthy secondary, by inverting and disabling the primary's health check (failover
 * routing) or by moving all weight to the secondary record (weighted routing). It moves real users'
 * traffic, so a human approves it by default; reverted when it had no effect.
 */
export const route53Failover: Mitigation = {
  type: 'route53-failover',
  title: 'Route 53 failover',
  risk: 'high',
  defaultPolicy: { SEV1: 'approval', SEV2: 'approval', SEV3: 'approval', SEV4: 'approval' },
  revertWhenIneffective: true,
  writesPerChange: 1,
  evidence: 'regional-failure',
  matrixCase: 'region-outage',
  configured: (service) => service.resources.route53 !== undefined,
  propose({ triage, service }) {
    const route53 = service.resources.route53;
    if (!triage.symptoms.regionalFailure || !route53) return { proposals: [] };
    return {
      proposals: [
        {
          target: describeRoute53(route53),
          params: { hostedZoneId: route53.hostedZoneId, recordName: route53.recordName },
          rationale: 'Health signals show the primary region or database failing; failing over moves traffic to the healthy secondary.',
        },
      ],
    };
  },
  async preview(ctx) {
    const route53 = route53Of(ctx.service);
    const adapter = await ctx.adapters.route53();
    const p = await adapter.previewFailover(route53);
    if (!p.wouldChange) return { before: p.before, wouldChange: false, detail: p.detail };
    // Moving users onto a failing secondary turns a partial outage into a full one. A status that cannot be
    // read does not hold the failover back: the approver (or the policy) decides without it, and is told so.
    const secondary = await adapter
      .secondaryHealth(route53)
      .catch((error: unknown) => ({ status: 'unread' as const, detail: `the secondary's health could not be read (${(error as Error).message})` }));
    if (secondary.status === 'unhealthy') return { before: p.before, wouldChange: false, detail: `${p.detail} ${secondary.detail}.`, notExecutable: secondary.detail };
    return { before: p.before, wouldChange: true, detail: `${p.detail} Secondary: ${secondary.detail}.` };
  },
  async apply(ctx) {
    const result = await (await ctx.adapters.route53()).failover(route53Of(ctx.service), { comment: ctx.reason });
    // The change id travels with the after-state: an undo while it is still PENDING waits for it instead of stacking a change on it.
    return {
      status: result.status,
      before: result.before,
      after: { ...result.after, ...(result.changeId ? { changeId: result.changeId } : {}) },
      detail: result.detail,
      takesEffectSeconds: result.settleSeconds,
    };
  },
  async undo(ctx, action) {
    const route53 = route53Of(ctx.service);
    if (action.dryRun) return { status: 'would-undo', detail: `Would restore ${route53.recordName} routing as recorded before the failover.` };
    const changeId = (action.after as { changeId?: unknown } | undefined)?.changeId;
    // The adapter validates the recorded state against the config before writing anything.
    const result = await (
      await ctx.adapters.route53()
    ).restore(route53, action.before as FailoverState, {
      comment: ctx.reason,
      ...(typeof changeId === 'string' ? { priorChangeId: changeId } : {}),
    });
    return { status: 'undone', detail: `Route 53 ${route53.recordName} restored: ${result.detail}` };
  },
  async readiness(ctx) {
    const route53 = ctx.service.resources.route53;
    if (!route53) return [];
    const adapter = await ctx.adapters.route53();
    const target = describeRoute53(route53);
    const checks: ReadinessCheck[] = [];
    const readable = route53.mode === 'health-check' ? 'failover records and primary health check readable' : 'weighted records readable';
    try {
      checks.push({ check: readable, ok: true, detail: (await adapter.previewFailover(route53)).detail });
    } catch (error) {
      return [{ type: 'route53-failover', target, ready: false, checks: [{ check: readable, ok: false, detail: (error as Error).message }] }];
    }
    const healthy = 'secondary healthy';
    try {
      const secondary = await adapter.secondaryHealth(route53);
      // No health check on the secondary (or a calculated one) cannot be judged here; the detail says so.
      checks.push({ check: healthy, ok: secondary.status !== 'unhealthy', detail: secondary.detail });
    } catch (error) {
      checks.push({ check: healthy, ok: false, detail: (error as Error).message });
    }
    return [{ type: 'route53-failover', target, ready: checks.every((c) => c.ok), checks }];
  },
  permissions: route53Permissions,
};

/**
 * A record name as the `route53:ChangeResourceRecordSetsNormalizedRecordNames` condition key carries it
 * (Route 53 Developer Guide, "Normalizing the Route 53 condition key values"): lower case, no trailing
 * dot, and every character other than a-z, 0-9, `-`, `_` and `.` written as `\` and its three-digit octal code.
 */
export function normalizedRecordName(name: string): string {
  return [...name.toLowerCase().replace(/\.$/, '')].map((c) => (/[a-z0-9_.-]/.test(c) ? c : `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`)).join('');
}

type WeightedRoute53 = Extract<Route53Config, { mode: 'weighted' }>;
type HealthCheckRoute53 = Extract<Route53Config, { mode: 'health-check' }>;

/**
 * Read the records at the configured name, the primary's health check and the status of the secondary
 * record's health check (readiness, and previews refuse a failover onto a failing secondary); write: UpdateHealthCheck on
 * the configured health checks (health-check mode), or ChangeResourceRecordSets confined by condition
 * keys to the configured record name, type and UPSERT (weighted mode), plus GetChange to follow the
 * change to INSYNC (change IDs are assigned by Route 53, hence `change/*`). Route 53 ARNs have neither
 * region nor account.
 */
function route53Permissions(config: TourniquetConfig, arns: ArnFormatter): MitigationPermissions {
  const all = config.services.flatMap((s) => (s.resources.route53 ? [s.resources.route53] : []));
  if (all.length === 0) return { read: [], write: [] };
  const arn = (resource: string, name: string) => arns.arn({ service: 'route53', region: '', account: '', resource, resourceName: name });
  const unique = (values: string[]) => [...new Set(values)];
  const checks = all.filter((r): r is HealthCheckRoute53 => r.mode === 'health-check');
  const weighted = all.filter((r): r is WeightedRoute53 => r.mode === 'weighted');
  const checkArns = unique(checks.map((r) => arn('healthcheck', r.primaryHealthCheckId)));
  const read: StatementSpec[] = [
    { sid: 'Route53ListRecords', actions: ['route53:ListResourceRecordSets'], resources: unique(all.map((r) => arn('hostedzone', r.hostedZoneId))) },
    ...(checks.length === 0 ? [] : [{ sid: 'Route53GetHealthCheck', actions: ['route53:GetHealthCheck'], resources: checkArns }]),
    {
      sid: 'Route53GetSecondaryHealthCheckStatus',
      actions: ['route53:GetHealthCheckStatus'],
      resources: [arn('healthcheck', '*')],
      wildcardReason:
        "The secondary record's health check is found on the record at run time (the config names the primary's only); GetHealthCheckStatus is read-only and tells whether failing over would send users to a healthy endpoint.",
    },
  ];
  const records = [...new Map(weighted.map((r) => [`${r.hostedZoneId} ${normalizedRecordName(r.recordName)} ${r.recordType}`, r] as const)).values()];
  const write: StatementSpec[] = [
    ...records.map((r, i) => ({
      sid: `Route53UpsertWeightedRecords${i + 1}`,
      actions: ['route53:ChangeResourceRecordSets'],
      resources: [arn('hostedzone', r.hostedZoneId)],
      conditions: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [normalizedRecordName(r.recordName)],
          'route53:ChangeResourceRecordSetsRecordTypes': [r.recordType],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      },
    })),
    ...(weighted.length === 0
      ? []
      : [
          {
            sid: 'Route53GetChange',
            actions: ['route53:GetChange'],
            resources: [arn('change', '*')],
            wildcardReason: 'Route 53 assigns change IDs at ChangeResourceRecordSets time; GetChange (read-only) follows the change the function made to INSYNC.',
          },
        ]),
    ...(checks.length === 0 ? [] : [{ sid: 'Route53UpdateHealthCheck', actions: ['route53:UpdateHealthCheck'], resources: checkArns }]),
  ];
  return { read, write };
}
