import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { describe, expect, it } from '@jest/globals';

import { type ServiceConfig, SEVERITIES, type TourniquetConfig } from '../../../lambdas/core/config.js';
import { decide } from '../../../lambdas/core/decision.js';
import { MITIGATION_TYPES } from '../../../lambdas/core/mitigation-types.js';
import type { Triage } from '../../../lambdas/core/model.js';
import { CATALOGUE, isCatalogued, mitigationOf } from '../../../lambdas/mitigations/index.js';
import type { ArnFormatter } from '../../../lambdas/mitigations/mitigation.js';
import { ROOT, sampleConfig } from '../../lib/support.js';

/** The contract every catalogue module keeps, checked for all of them at once. */

const arns: ArnFormatter = {
  deploymentStrategyId: 'imm0str',
  arn: ({ service, resource, resourceName, region, account, separator }) =>
    `arn:aws:${service}:${region ?? 'eu-west-1'}:${account ?? '111122223333'}:${resource}${separator ?? '/'}${resourceName}`,
};

const quiet = (service: ServiceConfig): Triage => ({
  severity: service.severity,
  window: { from: '2026-11-28T02:30:00.000Z', to: '2026-11-28T03:00:00.000Z' },
  alarm: { name: service.alarms[0]!.name, state: 'ALARM', periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 3 },
  alarms: [service.alarms[0]!.name],
  flagChanges: [],
  ecsDeployments: [],
  symptoms: { downstreamFailure: false, regionalFailure: false, trafficFlood: false, saturation: false, databaseFailure: false },
  gaps: [],
});

const emptyConfig = (config: TourniquetConfig): TourniquetConfig => ({ ...config, services: config.services.map((s) => ({ ...s, resources: {} })) });

describe('the mitigation catalogue', () => {
  it('holds one module per mitigation type, in the doctrine order of MITIGATION_TYPES', () => {
    expect(CATALOGUE.map((m) => m.type)).toEqual([...MITIGATION_TYPES]);
    for (const type of MITIGATION_TYPES) expect(mitigationOf(type).type).toBe(type);
    expect(isCatalogued('teleport-users')).toBe(false);
    expect(() => mitigationOf('teleport-users')).toThrow(/not in this build's catalogue/);
  });

  it.each(CATALOGUE.map((m) => [m.type, m] as const))('%s declares a policy for every severity, a positive write count and a matrix case', (_type, m) => {
    for (const severity of SEVERITIES) expect(['auto', 'approval', 'never']).toContain(m.defaultPolicy[severity]);
    expect(m.writesPerChange).toBeGreaterThan(0);
    expect(m.matrixCase).toMatch(/^[a-z-]+$/);
    expect(m.title.length).toBeGreaterThan(0);
  });

  it.each(CATALOGUE.map((m) => [m.type, m] as const))('%s proposes nothing, and needs no IAM, for a service that configures none of its resources', (_type, m) => {
    const config = emptyConfig(sampleConfig());
    const service = config.services[0]!;
    expect(m.configured(service)).toBe(false);
    const triage = { ...quiet(service), symptoms: { downstreamFailure: true, regionalFailure: true, trafficFlood: true, saturation: true, databaseFailure: true } };
    expect(m.propose({ triage, service, alarmAt: triage.window.to, changeExplains: false }).proposals).toEqual([]);
    const p = m.permissions(config, arns);
    expect([...p.read, ...p.write, ...(p.evidence ?? []), ...(p.settle ?? [])]).toEqual([]);
  });

  it.each(CATALOGUE.map((m) => [m.type, m] as const))(
    '%s: every statement names actions and resources, a wildcard only with a reason, and evidence/settle reads are reads it declares',
    (_type, m) => {
      const p = m.permissions(sampleConfig(), arns);
      const sids = new Set(p.read.map((s) => s.sid));
      for (const s of [...p.read, ...p.write, ...(p.evidence ?? []), ...(p.settle ?? [])]) {
        expect(s.actions.length).toBeGreaterThan(0);
        expect(s.resources.length).toBeGreaterThan(0);
        if (s.resources.some((r) => r.includes('*'))) expect({ sid: s.sid, reason: s.wildcardReason }).toEqual({ sid: s.sid, reason: expect.any(String) });
      }
      // Triage's evidence reads are a subset of the mitigation's reads (settle reads may be narrower statements of the same actions).
      for (const s of p.evidence ?? []) expect(sids.has(s.sid)).toBe(true);
      const readActions = new Set(p.read.flatMap((s) => s.actions));
      for (const s of p.settle ?? []) for (const a of s.actions) expect(readActions.has(a)).toBe(true);
    },
  );

  it('gives a quiet triage no candidate, whatever the config holds', () => {
    const service = sampleConfig().services[0]!;
    const plan = decide(quiet(service), service);
    expect(plan).toMatchObject({ scenario: 'unknown', candidates: [], hasCandidate: false });
  });

  it('is what docs/mitigations.md lists, row for row', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/mitigations.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]);
    expect(rows).toEqual([...MITIGATION_TYPES]);
  });
});
