import { ArcStateSchema, routingControlId } from '../adapters/arc-state.js';
import type { ArcConfig, ServiceConfig, TourniquetConfig } from '../core/config.js';
import type { CandidateParams } from '../core/model.js';
import { type ArnFormatter, type Mitigation, MitigationNotExecutableError, type MitigationPermissions, type StatementSpec } from './mitigation.js';

/**
 * How long an ARC failover needs before the alarm can recover. ARC answers with the new routing
 * control states at once and pushes them to the routing controls' Route 53 health checks within
 * seconds (ROUTING_CONTROL_HEALTH_CHECK_SECONDS, a generous "seconds"); after that, resolvers keep
 * the old answer for the failover records' TTL. ARC does not know that TTL and the config does not
 * name the records, so DNS_TTL_SECONDS assumes the 60 s Route 53 recommends for records behind
 * health checks (and that alias records to load balancers answer with).
 */
export const ROUTING_CONTROL_HEALTH_CHECK_SECONDS = 10;
/** The record TTL assumed behind the routing controls (see {@link ROUTING_CONTROL_HEALTH_CHECK_SECONDS}). */
export const DNS_TTL_SECONDS = 60;
/** Seconds from UpdateRoutingControlStates until clients follow the new routing. */
export const ARC_TAKES_EFFECT_SECONDS = ROUTING_CONTROL_HEALTH_CHECK_SECONDS + DNS_TTL_SECONDS;

function arcOf(service: ServiceConfig): ArcConfig {
  const arc = service.resources.arc;
  if (!arc) throw new MitigationNotExecutableError(`Service ${service.name} has no arc resources configured`);
  return arc;
}

/** The config, after checking that the candidate's parameters still name its routing controls. */
function configuredArc(service: ServiceConfig, params: CandidateParams): ArcConfig {
  const arc = arcOf(service);
  if (params.primary !== arc.primaryRoutingControlArn || params.secondary !== arc.secondaryRoutingControlArn) {
    throw new MitigationNotExecutableError(
      `The candidate names routing controls ${String(params.primary)} → ${String(params.secondary)}, but ${service.name}'s config now names ` +
        `${arc.primaryRoutingControlArn} → ${arc.secondaryRoutingControlArn}; not acting on a plan the config no longer supports`,
    );
  }
  return arc;
}

/** "ARC routing controls abc → def (cluster 4b32…)": the IDs, since names are only known once read. */
const describeArc = (arc: ArcConfig): string =>
  `ARC routing controls ${routingControlId(arc.primaryRoutingControlArn)} → ${routingControlId(arc.secondaryRoutingControlArn)} (cluster ${arc.clusterArn.split('/').pop()})`;

/**
 * ARC routing-control failover: when health signals show the primary region failing, the secondary
 * cell's routing control goes On and the primary's Off in one call, so Route 53 sends traffic to the
 * standby region. ARC's safety rules are honoured (a rule that refuses the change stops it and a
 * human is paged) unless the config lists a rule to override. It moves real users' traffic across
 * regions, so a human approves it by default; reverted when it had no effect.
 */
export const arcRoutingControl: Mitigation = {
  type: 'arc-routing-control',
  title: 'ARC routing control failover',
  risk: 'high',
  defaultPolicy: { SEV1: 'approval', SEV2: 'approval', SEV3: 'approval', SEV4: 'approval' },
  revertWhenIneffective: true,
  writesPerChange: 1,
  evidence: 'regional-failure',
  matrixCase: 'region-outage',
  configured: (service) => service.resources.arc !== undefined,
  propose({ triage, service }) {
    const arc = service.resources.arc;
    if (!triage.symptoms.regionalFailure || !arc) return { proposals: [] };
    return {
      proposals: [
        {
          target: describeArc(arc),
          params: { clusterArn: arc.clusterArn, primary: arc.primaryRoutingControlArn, secondary: arc.secondaryRoutingControlArn },
          rationale:
            'Health signals show the primary region failing; turning the standby cell’s routing control On and the primary’s Off moves traffic to the standby region' +
            (arc.safetyRulesToOverride.length > 0 ? ` (overriding safety rule(s) ${arc.safetyRulesToOverride.join(', ')} as configured).` : ', within every ARC safety rule.'),
        },
      ],
    };
  },
  async preview(ctx, params) {
    const p = await (await ctx.adapters.arc()).preview(configuredArc(ctx.service, params));
    return {
      before: p.before,
      wouldChange: p.wouldChange,
      detail: p.detail,
      ...(p.notExecutable !== undefined ? { notExecutable: p.notExecutable } : {}),
    };
  },
  async apply(ctx, params) {
    const result = await (await ctx.adapters.arc()).failover(configuredArc(ctx.service, params));
    return { status: result.status, before: result.before, after: result.after, detail: result.detail, takesEffectSeconds: ARC_TAKES_EFFECT_SECONDS };
  },
  async undo(ctx, action) {
    const arc = arcOf(ctx.service);
    const before = ArcStateSchema.parse(action.before);
    if (action.dryRun) {
      return {
        status: 'would-undo',
        detail: `Would set ARC routing controls back in one call: primary ${routingControlId(before.primaryArn)} ${before.primary}, secondary ${routingControlId(before.secondaryArn)} ${before.secondary}.`,
      };
    }
    // The adapter refuses a recorded state of other routing controls before writing anything.
    const result = await (await ctx.adapters.arc()).restore(arc, before);
    return { status: 'undone', detail: result.detail };
  },
  async readiness(ctx) {
    const arc = ctx.service.resources.arc;
    if (!arc) return [];
    let checks;
    try {
      checks = await (await ctx.adapters.arc()).readiness(arc);
    } catch (error) {
      checks = [{ check: 'ARC routing controls readable', ok: false, detail: (error as Error).message }];
    }
    return [{ type: 'arc-routing-control', target: describeArc(arc), ready: checks.every((c) => c.ok), checks }];
  },
  permissions: arcPermissions,
};

/** The condition key that says whether a routing-control update overrides safety rules. */
export const ALLOW_SAFETY_RULES_OVERRIDES = 'route53-recovery-cluster:AllowSafetyRulesOverrides';

/**
 * The ARC data plane (service prefix `route53-recovery-cluster`, Service Authorization Reference):
 * GetRoutingControlState and UpdateRoutingControlStates take the `routingcontrol` resource type, so
 * they are granted on the configured routing control ARNs only. ListRoutingControls has no resource
 * type: it needs `*` (readiness lists the control panel on every endpoint with it). Where no service
 * allows a safety-rule override, the update grant also requires
 * `route53-recovery-cluster:AllowSafetyRulesOverrides` to be false when present, so IAM itself keeps
 * the automation from overriding a rule.
 */
export function arcPermissions(config: TourniquetConfig, _arns: ArnFormatter): MitigationPermissions {
  const all = config.services.flatMap((s) => (s.resources.arc ? [s.resources.arc] : []));
  if (all.length === 0) return { read: [], write: [] };
  const unique = (values: string[]) => [...new Set(values)];
  const controls = (arcs: ArcConfig[]) => unique(arcs.flatMap((a) => [a.primaryRoutingControlArn, a.secondaryRoutingControlArn]));
  const read: StatementSpec[] = [
    { sid: 'ArcGetRoutingControlState', actions: ['route53-recovery-cluster:GetRoutingControlState'], resources: controls(all) },
    {
      sid: 'ArcListRoutingControls',
      actions: ['route53-recovery-cluster:ListRoutingControls'],
      resources: ['*'],
      wildcardReason:
        'route53-recovery-cluster:ListRoutingControls supports no resource-level permissions (no resource type in the Service Authorization Reference); it only reads routing control states.',
    },
  ];
  const honouring = all.filter((a) => a.safetyRulesToOverride.length === 0);
  const overriding = all.filter((a) => a.safetyRulesToOverride.length > 0);
  const overridden = controls(overriding);
  const strict = controls(honouring).filter((arn) => !overridden.includes(arn));
  const write: StatementSpec[] = [
    ...(strict.length === 0
      ? []
      : [
          {
            sid: 'ArcUpdateRoutingControlStates',
            actions: ['route53-recovery-cluster:UpdateRoutingControlStates'],
            resources: strict,
            conditions: { BoolIfExists: { [ALLOW_SAFETY_RULES_OVERRIDES]: ['false'] } },
          },
        ]),
    ...(overridden.length === 0
      ? []
      : [{ sid: 'ArcUpdateRoutingControlStatesWithOverrides', actions: ['route53-recovery-cluster:UpdateRoutingControlStates'], resources: overridden }]),
  ];
  return { read, write };
}
