import { relative } from 'node:path';

import type { Severity, TourniquetConfig } from '../lambdas/core/config.js';
import { MITIGATION_TYPES } from '../lambdas/core/mitigation-types.js';
import { DEFAULT_POLICY, resolvePolicy } from '../lambdas/core/policy.js';

/**
 * Which config a scenario drills with, and how it differs from what ships: a drill that runs a
 * failover on its own proves the failover path, but a reader must not take it for the shipped policy
 * (which asks a human first). The differences are computed from the config, not declared, so they
 * cannot drift; the scenario's `configWhy` says why the drill wants them.
 */

const SEVERITIES: readonly Severity[] = ['SEV1', 'SEV2', 'SEV3', 'SEV4'];

export interface DrillConfigSummary {
  /** Repository-relative path of the config file. */
  readonly path: string;
  /** The scenario's reason for drilling with a config other than the sample (scenario `configWhy`). */
  readonly why?: string;
  /** How the config departs from the shipped behaviour: policy overrides, approval timeouts that proceed, global settings unlike the sample's. */
  readonly differences: string[];
}

/** The severities a mode applies to, read back compactly ("SEV1–SEV4", "SEV3, SEV4"). */
const severityList = (severities: readonly Severity[]): string => (severities.length === SEVERITIES.length ? 'SEV1–SEV4' : severities.join(', '));

/** Leaf values of a settings object, by dotted path. */
const leaves = (value: unknown, prefix: string): [string, unknown][] =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k)) : [[prefix, value]];

/** Settings compared with the sample config, besides the per-service policies. */
const GLOBAL_SETTINGS = ['dryRun', 'changeWindowMinutes', 'brake', 'lifecycle'] as const;

/**
 * What the config changes from the catalogue's default policies and, when the sample config is given,
 * from the sample's global settings (brake, lifecycle, change window, dry run).
 */
export function configDifferences(config: TourniquetConfig, sample?: TourniquetConfig): string[] {
  const out: string[] = [];
  if (sample) {
    for (const key of GLOBAL_SETTINGS) {
      const theirs = new Map(leaves(sample[key], key).map(([k, v]) => [k, JSON.stringify(v)]));
      for (const [path, value] of leaves(config[key], key)) {
        if (theirs.get(path) !== JSON.stringify(value)) out.push(`${path} is ${JSON.stringify(value)} (sample config: ${theirs.get(path) ?? 'not set'})`);
      }
    }
  } else if (config.dryRun) out.push('dryRun is true');
  for (const service of config.services) {
    for (const type of MITIGATION_TYPES) {
      const changed = SEVERITIES.filter((sev) => resolvePolicy(type, sev, service.policy).mode !== DEFAULT_POLICY[type][sev]);
      if (changed.length === 0) continue;
      const modes = [...new Set(changed.map((sev) => resolvePolicy(type, sev, service.policy).mode))].join('/');
      const shipped = [...new Set(changed.map((sev) => DEFAULT_POLICY[type][sev]))].join('/');
      out.push(`${service.name}: ${type} is ${modes} for ${severityList(changed)} (shipped default: ${shipped})`);
    }
    const proceeding = SEVERITIES.filter((sev) => service.onApprovalTimeout?.[sev] === 'proceed');
    if (proceeding.length > 0) out.push(`${service.name}: an unanswered approval proceeds for ${severityList(proceeding)} (shipped default: escalate)`);
  }
  return out;
}

export function summarizeDrillConfig(config: TourniquetConfig, configPath: string, repoRoot: string, why?: string, sample?: TourniquetConfig): DrillConfigSummary {
  return { path: relative(repoRoot, configPath) || configPath, ...(why ? { why } : {}), differences: configDifferences(config, sample) };
}

/** The report's header lines about the config. */
export function configLines(summary: DrillConfigSummary): string[] {
  const lines = [`Config: ${summary.path}${summary.why ? ` (${summary.why})` : ''}`];
  if (summary.differences.length === 0) lines.push('  same policies as shipped');
  for (const d of summary.differences) lines.push(`  differs from shipped: ${d}`);
  return lines;
}
