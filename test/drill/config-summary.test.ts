import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from '@jest/globals';

import { configDifferences, configLines, summarizeDrillConfig } from '../../drill/config-summary.js';
import { DEFAULT_CONFIG_PATH, REPO_ROOT } from '../../drill/runner.js';
import { listBuiltInScenarios, loadScenario } from '../../drill/scenario.js';
import { parseConfig, type TourniquetConfig } from '../../lambdas/core/config.js';

const load = (path: string): TourniquetConfig => parseConfig(readFileSync(path, 'utf8'), path);
const sample = load(DEFAULT_CONFIG_PATH);

describe('which config a scenario drills with', () => {
  it('the sample config departs from nothing that ships', () => {
    expect(configDifferences(sample, sample)).toEqual([]);
  });

  it('names every policy the autonomous config turns to auto, with the shipped default', () => {
    const autonomous = load(resolve(REPO_ROOT, 'drill/configs/autonomous.json'));
    expect(configDifferences(autonomous, sample)).toEqual([
      'checkout: route53-failover is auto for SEV1–SEV4 (shipped default: approval)',
      'checkout: waf-block is auto for SEV1–SEV4 (shipped default: approval)',
    ]);
  });

  it('names per-severity overrides, proceeding approval timeouts and global settings unlike the sample', () => {
    const edited = parseConfig(
      JSON.stringify({
        ...JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')),
        dryRun: true,
        services: JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')).services.map((s: Record<string, unknown>) => ({
          ...s,
          policy: { 'ecs-rollback': { SEV3: 'auto' } },
          onApprovalTimeout: { SEV1: 'proceed' },
        })),
      }),
      'edited.json',
    );
    const differences = configDifferences(edited, sample);
    expect(differences).toContain('dryRun is true (sample config: false)');
    expect(differences).toContain('checkout: ecs-rollback is auto for SEV3 (shipped default: approval)');
    expect(differences).toContain('checkout: an unanswered approval proceeds for SEV1 (shipped default: escalate)');
  });

  it.each(listBuiltInScenarios().map((s) => s.name))('%s says why when it drills with a config of its own', (name) => {
    const scenario = loadScenario(name);
    if (scenario.config === DEFAULT_CONFIG_PATH) return;
    expect(scenario.configWhy).toEqual(expect.any(String));
  });

  it('the report header prints the path, the reason and each difference', () => {
    const summary = summarizeDrillConfig(
      load(resolve(REPO_ROOT, 'drill/configs/autonomous.json')),
      resolve(REPO_ROOT, 'drill/configs/autonomous.json'),
      REPO_ROOT,
      'failover automatic',
      sample,
    );
    expect(configLines(summary)).toEqual([
      'Config: drill/configs/autonomous.json (failover automatic)',
      '  differs from shipped: checkout: route53-failover is auto for SEV1–SEV4 (shipped default: approval)',
      '  differs from shipped: checkout: waf-block is auto for SEV1–SEV4 (shipped default: approval)',
    ]);
    expect(configLines(summarizeDrillConfig(sample, DEFAULT_CONFIG_PATH, REPO_ROOT, undefined, sample))).toEqual(['Config: tourniquet.config.json', '  same policies as shipped']);
  });
});
