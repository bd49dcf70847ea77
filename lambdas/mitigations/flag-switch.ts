import * as z from 'zod';

import type { FeatureFlagsConfig, ServiceConfig, TourniquetConfig } from '../core/config.js';
import type { CandidateParams } from '../core/model.js';
import {
  type ArnFormatter,
  type Mitigation,
  type MitigationContext,
  MitigationNotExecutableError,
  type MitigationPermissions,
  type ReadinessCheck,
  type ReadinessReport,
  type StatementSpec,
  strategyIdOf,
} from './mitigation.js';

/**
 * What the two AppConfig flag mitigations share: the kill switch (a flag off) and the degrade
 * switch (a flag on) are the same change in opposite directions, on the same resources.
 */

/** The flag configuration a service gives, or the reason the mitigation cannot run. */
export function flagsOf(service: ServiceConfig): FeatureFlagsConfig {
  const flags = service.resources.featureFlags;
  if (!flags) throw new MitigationNotExecutableError(`Service ${service.name} has no featureFlags resources configured`);
  return flags;
}

/** "flag <key> (<application>/<environment>/<profile>)", as candidates and readiness reports name it. */
export const describeFlag = (flags: FeatureFlagsConfig, flag: string): string => `flag ${flag} (${flags.applicationId}/${flags.environmentId}/${flags.configurationProfileId})`;

const FlagBeforeSchema = z.object({ deployedVersion: z.string(), enabled: z.boolean().nullable() });

/** The deployment triage blamed for turning the flag on, when the plan names one. */
const suspectDeployment = (params: CandidateParams): number | undefined => (typeof params.deploymentNumber === 'number' ? params.deploymentNumber : undefined);

/** The flag lists the mitigation may touch: kill switches for `off`, degrade flags for `on`. */
export interface FlagDirection {
  /** The value the mitigation sets. */
  readonly enabled: boolean;
  readonly allowed: (flags: FeatureFlagsConfig) => readonly string[];
  /** "kill switch" / "degrade flag" */
  readonly role: string;
}

function allowedFlag(ctx: MitigationContext, params: CandidateParams, direction: FlagDirection): { flags: FeatureFlagsConfig; flag: string } {
  const flags = flagsOf(ctx.service);
  const flag = String(params.flag);
  if (!direction.allowed(flags).includes(flag)) throw new MitigationNotExecutableError(`Flag ${flag} is not a configured ${direction.role} of ${ctx.service.name}`);
  return { flags, flag };
}

/** preview / apply / undo / readiness of a flag switch in one direction. */
export function flagSwitchOperations(direction: FlagDirection): Pick<Mitigation, 'preview' | 'apply' | 'undo' | 'readiness'> {
  return {
    async preview(ctx, params) {
      const { flags, flag } = allowedFlag(ctx, params, direction);
      let p;
      try {
        p = await (await ctx.adapters.flags()).previewFlag(flags, { flag, enabled: direction.enabled, suspectDeploymentNumber: suspectDeployment(params) });
      } catch (error) {
        // The flag is gone from the deployed configuration (or cannot be switched): this switch cannot act, a human must.
        // By name: importing the adapter's error classes would load the AppConfig client with the catalogue.
        if (CANNOT_SWITCH.has((error as Error).name)) return { before: undefined, wouldChange: false, detail: (error as Error).message, notExecutable: (error as Error).message };
        throw error;
      }
      return {
        before: p.before,
        wouldChange: p.wouldChange,
        detail: p.detail,
        // The flag already has the value the alarm fires with: switching it cannot be the fix.
        ...(p.wouldChange ? {} : { notExecutable: `${flag} is already ${direction.enabled ? 'on' : 'off'} in the deployed configuration` }),
      };
    },
    async apply(ctx, params) {
      const { flags, flag } = allowedFlag(ctx, params, direction);
      const adapter = await ctx.adapters.flags();
      const result = await adapter.setFlag(flags, {
        flag,
        enabled: direction.enabled,
        deploymentStrategyId: await strategyIdOf(ctx.deploymentStrategyId),
        description: ctx.reason,
        suspectDeploymentNumber: suspectDeployment(params),
      });
      return { status: result.status, before: result.before, after: result.after, detail: result.detail, takesEffectSeconds: flags.propagationSeconds };
    },
    async undo(ctx, action) {
      const flags = flagsOf(ctx.service);
      const flag = String(action.params.flag);
      const previous = FlagBeforeSchema.parse(action.before);
      if (previous.enabled === null) return { status: 'skipped', detail: `Flag ${flag} had no value before the incident; left as it is.` };
      const adapter = await ctx.adapters.flags();
      if (action.dryRun) {
        const preview = await adapter.previewFlag(flags, { flag, enabled: previous.enabled });
        return { status: 'would-undo', detail: `Would set ${flag} back ${previous.enabled ? 'on' : 'off'}. ${preview.detail}` };
      }
      // Set the flag back on the configuration deployed now rather than redeploying the old version, so
      // changes other people made since are kept. After a kill switch that stopped the suspect deployment,
      // setFlag redeploys that stopped version as is when it differs from the live one only by this flag.
      const result = await adapter.setFlag(flags, { flag, enabled: previous.enabled, deploymentStrategyId: await strategyIdOf(ctx.deploymentStrategyId), description: ctx.reason });
      return { status: 'undone', detail: `Flag ${flag} set back ${previous.enabled ? 'on' : 'off'}: ${result.detail}` };
    },
    async readiness(ctx) {
      const flags = ctx.service.resources.featureFlags;
      if (!flags) return [];
      const adapter = await ctx.adapters.flags();
      // One strategy for every flag of the profile: read once, reported with each.
      const strategy = await strategyCheck(adapter, ctx.deploymentStrategyId);
      const reports: ReadinessReport[] = [];
      for (const flag of direction.allowed(flags)) {
        const checks: ReadinessCheck[] = [];
        const check = `${flag} in the deployed configuration`;
        try {
          const p = await adapter.previewFlag(flags, { flag, enabled: direction.enabled });
          // Already at the value the switch sets is no defect: the switch is there for when it is not.
          const now = p.wouldChange ? '' : `; the ${direction.role} has nothing to switch now`;
          checks.push({ check, ok: true, detail: `deployed version ${p.before.deployedVersion} has ${flag} ${onOff(p.before.enabled)}${now}` });
        } catch (error) {
          checks.push({ check, ok: false, detail: (error as Error).message });
        }
        checks.push(strategy);
        reports.push({ type: direction.enabled ? 'degrade-flag-on' : 'feature-flag-off', target: describeFlag(flags, flag), ready: checks.every((c) => c.ok), checks });
      }
      return reports;
    },
  };
}

/** Errors of the flag adapter that mean the switch cannot act at all (not a passing hiccup). */
const CANNOT_SWITCH: ReadonlySet<string> = new Set(['FlagNotInProfileError', 'FlagNotSwitchableError', 'NoDeployedConfigurationError', 'FlagContentInvalidError']);

/** The zero-bake strategy flag changes deploy with exists and deploys at once. */
async function strategyCheck(adapter: Awaited<ReturnType<MitigationContext['adapters']['flags']>>, ref: MitigationContext['deploymentStrategyId']): Promise<ReadinessCheck> {
  const check = 'zero-bake deployment strategy';
  if (ref === '') return { check, ok: true, detail: 'not checked: no deployment strategy ID given (preflight --stack reads it from the stack outputs)' };
  try {
    // Elsewhere, finding the member stack's strategy by name is part of the check.
    const s = await adapter.deploymentStrategy(await strategyIdOf(ref));
    return { check, ok: s.immediate, detail: s.detail };
  } catch (error) {
    return { check, ok: false, detail: (error as Error).message };
  }
}

const onOff = (value: boolean | null) => (value === null ? 'unset' : value ? 'on' : 'off');

/**
 * Read the deployment history and hosted flag versions (triage, previews, readiness) and, when the
 * grant names it, the deployment strategy (readiness: it must deploy at once); write a new
 * flag version deployed with the stack's own zero-bake strategy. StartDeployment is authorized against
 * the application, environment, profile and strategy together; deployment and hosted-version numbers
 * are assigned by AppConfig at run time, hence the wildcards, each confined to one environment or profile.
 */
export function flagPermissions(config: TourniquetConfig, arns: ArnFormatter): MitigationPermissions {
  const all = config.services.flatMap((s) => (s.resources.featureFlags ? [s.resources.featureFlags] : []));
  if (all.length === 0) return { read: [], write: [] };
  const app = (name: string) => arns.arn({ service: 'appconfig', resource: 'application', resourceName: name });
  const unique = (values: string[]) => [...new Set(values)];
  const env = (f: FeatureFlagsConfig) => `${f.applicationId}/environment/${f.environmentId}`;
  const profile = (f: FeatureFlagsConfig) => `${f.applicationId}/configurationprofile/${f.configurationProfileId}`;
  const applications = unique(all.map((f) => app(f.applicationId)));
  const environments = unique(all.map((f) => app(env(f))));
  const profiles = unique(all.map((f) => app(profile(f))));
  const runtimeIds = 'AppConfig assigns deployment and hosted-version numbers at run time; each wildcard is confined to one configured environment or profile.';
  const read: StatementSpec[] = [
    { sid: 'AppConfigListDeployments', actions: ['appconfig:ListDeployments'], resources: environments },
    { sid: 'AppConfigGetDeployment', actions: ['appconfig:GetDeployment'], resources: unique(all.map((f) => app(`${env(f)}/deployment/*`))), wildcardReason: runtimeIds },
    { sid: 'AppConfigListHostedVersions', actions: ['appconfig:ListHostedConfigurationVersions'], resources: profiles },
    {
      sid: 'AppConfigGetHostedVersion',
      actions: ['appconfig:GetHostedConfigurationVersion'],
      resources: unique(all.map((f) => app(`${profile(f)}/hostedconfigurationversion/*`))),
      wildcardReason: runtimeIds,
    },
  ];
  const strategy = arns.arn({ service: 'appconfig', resource: 'deploymentstrategy', resourceName: arns.deploymentStrategyId ?? '*' });
  // A service that names its region or account is reached elsewhere, where the functions find the
  // member stack's strategy by name (lambdas/runtime/compose/adapters.ts): their grant reads it too.
  const elsewhere = config.services.some((s) => s.resources.featureFlags !== undefined && (s.region !== undefined || s.account !== undefined));
  // Readiness reads the strategy flag changes deploy with; only a grant that names it, or finds it, gets the read.
  if (arns.deploymentStrategyId !== undefined) read.push({ sid: 'AppConfigGetDeploymentStrategy', actions: ['appconfig:GetDeploymentStrategy'], resources: [strategy] });
  else if (elsewhere) {
    const reason = "The strategy of a service elsewhere is the member stack's there, found by name at run time; this grant cannot name its ID.";
    read.push({ sid: 'AppConfigGetDeploymentStrategy', actions: ['appconfig:GetDeploymentStrategy'], resources: [strategy], wildcardReason: reason });
  }
  if (elsewhere) {
    read.push({
      sid: 'AppConfigListDeploymentStrategies',
      actions: ['appconfig:ListDeploymentStrategies'],
      resources: ['*'],
      wildcardReason: 'ListDeploymentStrategies has no resource type (Service Authorization Reference): the functions find the Tourniquet strategy of a service elsewhere by name.',
    });
  }
  const write: StatementSpec[] = [
    { sid: 'AppConfigCreateHostedVersion', actions: ['appconfig:CreateHostedConfigurationVersion'], resources: profiles },
    { sid: 'AppConfigStartDeployment', actions: ['appconfig:StartDeployment'], resources: [...applications, ...environments, ...profiles, strategy] },
    // A kill switch stops the suspect deployment while it is still baking (StopDeployment, AllowRevert).
    { sid: 'AppConfigStopDeployment', actions: ['appconfig:StopDeployment'], resources: unique(all.map((f) => app(`${env(f)}/deployment/*`))), wildcardReason: runtimeIds },
  ];
  // Triage reads the deployment history and the hosted versions to find flags turned on (the first four reads).
  return { read, write, evidence: read.slice(0, 4) };
}
