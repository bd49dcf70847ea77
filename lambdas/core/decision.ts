import type { ServiceConfig } from './config.js';
import { resolvePolicy } from './policy.js';
import {
  EXECUTABLE_MITIGATIONS,
  MITIGATION_TYPES,
  type Candidate,
  type MitigationType,
  type Plan,
  type Risk,
  type Triage,
} from './model.js';

/**
 * The decision matrix: triage facts in, an ordered plan of candidate mitigations out.
 *
 * | scenario                  | approach                         |
 * |---------------------------|----------------------------------|
 * | feature regression        | feature-flag kill switch         |
 * | bad deployment            | ECS rollback                     |
 * | database / region failure | Route 53 failover                |
 * | downstream API failure    | circuit break (degrade flag on)  |
 * | traffic spike / DDoS      | WAF rule, or scale out when real |
 * | nothing explains it       | no action, page a human          |
 *
 * Candidates follow the doctrine's hierarchy (kill switch > rollback > failover > circuit break > scale),
 * so mixed causes try the least risky change first. A mitigation with no resources in the config is
 * never proposed. Pure function: no I/O, no clock.
 */

const RISK: Readonly<Record<MitigationType, Risk>> = {
  'feature-flag-off': 'low',
  'degrade-flag-on': 'low',
  'ecs-rollback': 'medium',
  'ecs-scale-out': 'medium',
  'waf-block': 'high',
  'route53-failover': 'high',
};

const minutesBefore = (earlier: string, later: string): number =>
  Math.max(0, Math.round((Date.parse(later) - Date.parse(earlier)) / 60_000));

export function decide(triage: Triage, service: ServiceConfig, alarmAt: string = triage.window.to): Plan {
  const { featureFlags, ecs, route53, waf } = service.resources;
  const candidate = (type: MitigationType, target: string, params: Candidate['params'], rationale: string): Candidate => {
    const policy = resolvePolicy(type, triage.severity, service.policy);
    return {
      type,
      target,
      params,
      risk: RISK[type],
      rationale,
      policy: policy.mode,
      policyReason: policy.reason,
      // Approval-gated candidates run once a human approves (the workflow waits in AwaitApproval).
      executable: EXECUTABLE_MITIGATIONS.has(type) && policy.mode !== 'never',
    };
  };
  const candidates: Candidate[] = [];
  const notes: string[] = [];

  // Feature regression: a kill-switch flag turned on inside the change window. Newest first.
  const flagsTurnedOn = triage.flagChanges.filter((c) => c.to && c.from !== true).sort((a, b) => b.changedAt.localeCompare(a.changedAt));
  for (const change of flagsTurnedOn) {
    if (!featureFlags || !featureFlags.killSwitchFlags.includes(change.flag)) {
      notes.push(`Flag "${change.flag}" was turned on but is not a configured kill switch, so it is left alone.`);
      continue;
    }
    if (candidates.some((c) => c.type === 'feature-flag-off' && c.params.flag === change.flag)) continue;
    candidates.push(
      candidate(
        'feature-flag-off',
        `flag ${change.flag} (${featureFlags.applicationId}/${featureFlags.environmentId}/${featureFlags.configurationProfileId})`,
        { flag: change.flag },
        `Flag "${change.flag}" was turned on ${minutesBefore(change.changedAt, alarmAt)} min before the alarm (deployment #${change.deploymentNumber}); switching it off is the smallest change that removes it.`,
      ),
    );
  }

  // Bad deployment: a new ECS deployment of the configured service inside the window.
  const deployments = triage.ecsDeployments.filter((d) => ecs && d.cluster === ecs.cluster && d.service === ecs.service);
  const newest = [...deployments].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  if (ecs && newest) {
    candidates.push(
      candidate(
        'ecs-rollback',
        `ECS service ${ecs.cluster}/${ecs.service}`,
        { cluster: ecs.cluster, service: ecs.service, fromTaskDefinition: newest.taskDefinition },
        `Deployment ${newest.deploymentId} (${shortTaskDefinition(newest.taskDefinition)}) started ${minutesBefore(newest.createdAt, alarmAt)} min before the alarm; rolling back restores the last stable task definition.`,
      ),
    );
  }

  const changed = candidates.length > 0;
  const { symptoms } = triage;
  if (symptoms.regionalFailure && route53) {
    candidates.push(
      candidate(
        'route53-failover',
        `${route53.recordName} in ${route53.hostedZoneId}`,
        { hostedZoneId: route53.hostedZoneId, recordName: route53.recordName },
        'Health signals show the primary region or database failing; failing over moves traffic to the healthy secondary.',
      ),
    );
  }
  if (symptoms.downstreamFailure && featureFlags && featureFlags.degradeFlags.length > 0) {
    const flag = featureFlags.degradeFlags[0]!;
    candidates.push(
      candidate(
        'degrade-flag-on',
        `flag ${flag} (${featureFlags.applicationId}/${featureFlags.environmentId}/${featureFlags.configurationProfileId})`,
        { flag },
        `A downstream dependency is failing; turning on "${flag}" serves degraded results instead of cascading timeouts.`,
      ),
    );
  }
  if (symptoms.trafficFlood && waf) {
    candidates.push(
      candidate('waf-block', `web ACL ${waf.webAclName}`, { webAclName: waf.webAclName, webAclId: waf.webAclId, scope: waf.scope }, 'Request rates show a flood; a WAF rule blocks the abusive traffic and keeps the service up for everyone else.'),
    );
  }
  // Scale only when saturation is confirmed and no change explains the alarm.
  if (symptoms.saturation && !changed && ecs?.maxDesiredCount !== undefined) {
    candidates.push(
      candidate(
        'ecs-scale-out',
        `ECS service ${ecs.cluster}/${ecs.service}`,
        { cluster: ecs.cluster, service: ecs.service, maxDesiredCount: ecs.maxDesiredCount },
        `Saturation is confirmed and nothing changed recently; scaling out (up to ${ecs.maxDesiredCount} tasks) adds capacity.`,
      ),
    );
  }

  candidates.sort((a, b) => MITIGATION_TYPES.indexOf(a.type) - MITIGATION_TYPES.indexOf(b.type));
  const scenario = scenarioOf(candidates);
  const executable = candidates.filter((c) => c.executable);
  const deferred = candidates.filter((c) => !c.executable);

  const parts: string[] = [];
  if (candidates.length === 0) {
    parts.push(
      `No deployment or flag change in the ${minutesBefore(triage.window.from, alarmAt)} min before the alarm and no symptom that a configured mitigation addresses: no automated action; paging a human.`,
    );
  } else {
    parts.push(`Matrix case: ${scenario}.`);
    if (executable.length > 0) {
      parts.push(`Will try, one at a time with verification after each: ${executable.map((c) => (c.policy === 'approval' ? `${c.type} (after approval)` : c.type)).join(' → ')}.`);
    }
    const forbidden = deferred.filter((c) => c.policy === 'never');
    const unbuilt = deferred.filter((c) => c.policy !== 'never');
    if (forbidden.length > 0) parts.push(`Policy forbids ${forbidden.map((c) => c.type).join(', ')}: named for a human, not run.`);
    if (unbuilt.length > 0) {
      parts.push(`Would also choose ${unbuilt.map((c) => c.type).join(', ')}, which this installation cannot execute automatically yet: a human is paged if it comes to that.`);
    }
  }
  if (triage.gaps.length > 0) parts.push(`Triage could not read: ${triage.gaps.join('; ')}.`);
  parts.push(...notes);

  return { scenario, candidates, hasCandidate: executable.length > 0, rationale: parts.join(' ') };
}

function scenarioOf(candidates: readonly Candidate[]): string {
  const types = new Set(candidates.map((c) => c.type));
  if (types.has('feature-flag-off') && types.has('ecs-rollback')) return 'mixed-change';
  if (types.has('feature-flag-off')) return 'feature-regression';
  if (types.has('ecs-rollback')) return 'bad-deployment';
  if (types.has('route53-failover')) return 'region-outage';
  if (types.has('degrade-flag-on')) return 'downstream-failure';
  if (types.has('waf-block')) return 'traffic-flood';
  if (types.has('ecs-scale-out')) return 'capacity-saturation';
  return 'unknown';
}

const shortTaskDefinition = (arn: string): string => arn.split('/').pop() ?? arn;

/** Index of the next candidate this build can execute after `after` (-1 for the first), if any. */
export function nextExecutableCursor(plan: Pick<Plan, 'candidates'>, after: number): number | undefined {
  for (let i = after + 1; i < plan.candidates.length; i++) if (plan.candidates[i]!.executable) return i;
  return undefined;
}
