import * as z from 'zod';

import type { ServiceConfig, TourniquetConfig, WafConfig } from '../core/config.js';
import { type ArnFormatter, type Mitigation, MitigationNotExecutableError, type MitigationPermissions, type ReadinessCheck } from './mitigation.js';

/** WAF applies an ACL change within seconds; a rate-based rule then needs a detection window to start blocking. */
const WAF_EFFECT_SECONDS = 60;

function wafOf(service: ServiceConfig): WafConfig {
  const waf = service.resources.waf;
  if (!waf) throw new MitigationNotExecutableError(`Service ${service.name} has no waf resources configured`);
  return waf;
}

const BeforeSchema = z.object({ addedRules: z.array(z.string()) });

/** The incident a readiness check names the rule it prices after (nothing is written). */
const READINESS_INCIDENT = 'readiness';

/**
 * WAF block: when request rates show a flood (a symptom alarm), a rate-based rule is added to the
 * configured web ACL, named after the incident, so abusive clients are blocked and the service stays
 * up for everyone else. It blocks real clients, so a human approves it by default; at most one such
 * rule stands on a web ACL at once (the brake's per-resource cap); undo removes exactly the rule added.
 */
export const wafBlock: Mitigation = {
  type: 'waf-block',
  title: 'WAF rate-based block',
  risk: 'high',
  defaultPolicy: { SEV1: 'approval', SEV2: 'approval', SEV3: 'approval', SEV4: 'approval' },
  revertWhenIneffective: true,
  perResourceLimit: 1,
  writesPerChange: 1,
  evidence: 'traffic-flood',
  matrixCase: 'traffic-flood',
  configured: (service) => service.resources.waf !== undefined,
  propose({ triage, service }) {
    const waf = service.resources.waf;
    if (!triage.symptoms.trafficFlood || !waf) return { proposals: [] };
    return {
      proposals: [
        {
          target: `web ACL ${waf.webAclName}`,
          params: { webAclName: waf.webAclName, webAclId: waf.webAclId, scope: waf.scope },
          rationale: 'Request rates show a flood; a WAF rule blocks the abusive traffic and keeps the service up for everyone else.',
        },
      ],
    };
  },
  async preview(ctx) {
    const waf = wafOf(ctx.service);
    const adapter = await ctx.adapters.waf(waf.scope);
    const p = await adapter.previewRateBasedBlock(waf, { incidentId: ctx.incidentId });
    // The rule names the change will add travel with the before-state: undo removes exactly those.
    const before = { ...p.before, addedRules: p.changed.added };
    if (!p.wouldChange) return { before, wouldChange: false, detail: p.detail };
    // A web ACL at its capacity refuses the rule (WAFLimitsExceededException): skip it rather than fail on it.
    // A capacity that cannot be read does not hold the block back; UpdateWebACL has the last word.
    const capacity = await adapter.capacityForRateBasedBlock(waf, { incidentId: ctx.incidentId }).catch(() => undefined);
    if (capacity && !capacity.fits) return { before, wouldChange: false, detail: `${p.detail} ${capacity.detail}.`, notExecutable: capacity.detail };
    return { before, wouldChange: true, detail: p.detail };
  },
  async apply(ctx) {
    const waf = wafOf(ctx.service);
    const result = await (await ctx.adapters.waf(waf.scope)).addRateBasedBlock(waf, { incidentId: ctx.incidentId });
    return {
      status: result.status,
      before: { ...result.before, addedRules: result.changed.added },
      after: result.after,
      detail: result.detail,
      takesEffectSeconds: WAF_EFFECT_SECONDS,
    };
  },
  async undo(ctx, action) {
    const waf = wafOf(ctx.service);
    const { addedRules } = BeforeSchema.parse(action.before);
    if (action.dryRun) return { status: 'would-undo', detail: `Would remove ${addedRules.join(', ') || 'no rule'} from web ACL ${waf.webAclName}.` };
    const result = await (await ctx.adapters.waf(waf.scope)).removeAutomationRules(waf, { ruleNames: addedRules });
    return { status: 'undone', detail: `WAF ${waf.webAclName}: ${result.detail}` };
  },
  async readiness(ctx) {
    const waf = ctx.service.resources.waf;
    if (!waf) return [];
    const target = `web ACL ${waf.webAclName}`;
    const adapter = await ctx.adapters.waf(waf.scope);
    const readable = 'web ACL readable and a rate-based rule can be added';
    const checks: ReadinessCheck[] = [];
    try {
      checks.push({ check: readable, ok: true, detail: (await adapter.previewRateBasedBlock(waf, { incidentId: READINESS_INCIDENT })).detail });
    } catch (error) {
      return [{ type: 'waf-block', target, ready: false, checks: [{ check: readable, ok: false, detail: (error as Error).message }] }];
    }
    const room = 'capacity (WCU) for one more rule';
    try {
      const capacity = await adapter.capacityForRateBasedBlock(waf, { incidentId: READINESS_INCIDENT });
      checks.push({ check: room, ok: capacity.fits, detail: capacity.detail });
    } catch (error) {
      checks.push({ check: room, ok: false, detail: (error as Error).message });
    }
    return [{ type: 'waf-block', target, ready: checks.every((c) => c.ok), checks }];
  },
  permissions: wafPermissions,
};

/**
 * What a web ACL may reference, per the WAFV2 Service Authorization Reference: UpdateWebACL is also
 * authorized against every IP set, regex pattern set, rule group and managed rule set the submitted
 * ACL references (it replaces the whole ACL, re-submitting references it already had). The config
 * cannot name those, hence wildcards confined to the web ACL's region and scope; rule groups may be
 * shared from another account and managed rule sets belong to their vendor. The only thing UpdateWebACL
 * writes is the configured web ACL.
 */
export const WAF_REFERENCES: readonly { readonly type: string; readonly account?: string }[] = [
  { type: 'ipset' },
  { type: 'regexpatternset' },
  { type: 'rulegroup', account: '*' },
  { type: 'managedruleset', account: '*' },
];

/** CLOUDFRONT web ACLs live in us-east-1 under the `global` scope; REGIONAL ones in the stack's region. */
export function wafLocation(waf: WafConfig): { region?: string; scope: 'global' | 'regional' } {
  return waf.scope === 'CLOUDFRONT' ? { region: 'us-east-1', scope: 'global' } : { scope: 'regional' };
}

function wafPermissions(config: TourniquetConfig, arns: ArnFormatter): MitigationPermissions {
  const all = config.services.flatMap((s) => (s.resources.waf ? [s.resources.waf] : []));
  if (all.length === 0) return { read: [], write: [] };
  const unique = (values: string[]) => [...new Set(values)];
  const arn = (waf: WafConfig, resourceName: string, account?: string) => {
    const where = wafLocation(waf);
    return arns.arn({
      service: 'wafv2',
      ...(where.region !== undefined ? { region: where.region } : {}),
      ...(account !== undefined ? { account } : {}),
      resource: where.scope,
      resourceName,
    });
  };
  const webAcls = unique(all.map((w) => arn(w, `webacl/${w.webAclName}/${w.webAclId}`)));
  return {
    read: [
      { sid: 'WafGetWebAcl', actions: ['wafv2:GetWebACL'], resources: webAcls },
      {
        sid: 'WafCheckCapacity',
        actions: ['wafv2:CheckCapacity'],
        resources: ['*'],
        wildcardReason:
          'wafv2:CheckCapacity names no resource: it prices a list of rules (the web ACL plus the rule the automation would add) and changes nothing; readiness and previews use it to see the web ACL has room.',
      },
    ],
    write: [
      { sid: 'WafUpdateWebAcl', actions: ['wafv2:UpdateWebACL'], resources: webAcls },
      {
        sid: 'WafKeepWebAclReferences',
        actions: ['wafv2:UpdateWebACL'],
        resources: unique(all.flatMap((w) => WAF_REFERENCES.map((r) => arn(w, `${r.type}/*`, r.account)))),
        wildcardReason:
          'UpdateWebACL is also authorized against every IP set, regex pattern set, rule group and managed rule set the web ACL references, which the config does not name; confined to the web ACL region and scope, and the only resource UpdateWebACL writes is the configured web ACL.',
      },
    ],
  };
}
