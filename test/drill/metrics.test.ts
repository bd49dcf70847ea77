import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

import { type DrillResult, DrillResultSchema } from '../../drill/report.js';
import { type DrillSession, openDrillSession, runScenario } from '../../drill/runner.js';
import { loadScenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * Integration: the metrics the real functions publish in whole drills (in memory at virtual time,
 * the drill's `--json` `metrics`), and nothing written to stdout the way Powertools would in Lambda.
 */

let session: DrillSession;
let stdout: string[];
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

/** Runs a scenario, keeping what it writes to stdout. */
async function drill(name: string): Promise<DrillResult> {
  stdout = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (stdout.push(String(chunk)), true));
  try {
    return DrillResultSchema.parse((await runScenario(loadScenario(name), session)).result);
  } finally {
    write.mockRestore();
  }
}

/** The incident-level datapoints (not the cadence's gauges), as [name, value, dimensions]. */
const events = (result: DrillResult) => result.metrics.filter((m) => m.dimensions['service'] !== 'Tourniquet').map((m) => [m.name, m.value, m.dimensions]);

describe('drill metrics: bad-deployment', () => {
  let result: DrillResult;
  beforeAll(async () => {
    result = await drill('bad-deployment');
  });

  it('records the incident opened, the rollback applied and verified effective, and MTTD / MTTM / MTTR as the result reports them', () => {
    expect(result.passed).toBe(true);
    const sev2 = { service: 'checkout', severity: 'SEV2' };
    expect(events(result)).toEqual([
      ['IncidentsOpened', 1, sev2],
      ['MitigationsApplied', 1, { service: 'checkout', mitigation: 'ecs-rollback' }],
      ['MitigationOutcome', 1, { service: 'checkout', mitigation: 'ecs-rollback', outcome: 'effective' }],
      ['MTTD', result.mttdSeconds, sev2],
      ['MTTM', result.mttmSeconds, sev2],
      ['MTTR', result.mttrSeconds, sev2],
    ]);
    expect(result.metrics.find((m) => m.name === 'MTTM')).toMatchObject({ unit: 'Seconds' });
  });

  it('stamps each datapoint with virtual time, in order, inside the drill', () => {
    const times = result.metrics.map((m) => m.at);
    expect([...times].sort()).toEqual(times);
    expect(times.every((t) => t >= loadScenario('bad-deployment').startsAt && t <= result.ended.at)).toBe(true);
    expect(result.metrics.find((m) => m.name === 'IncidentsOpened')!.at).toBe(result.incidents[0]!.openedAt);
  });

  it('publishes the cadence gauges every run, 0 when nothing is open, and writes no EMF to stdout', () => {
    const open = result.metrics.filter((m) => m.name === 'OpenIncidents');
    expect(open.length).toBeGreaterThanOrEqual(2);
    expect(open[0]).toMatchObject({ value: 0, dimensions: { service: 'Tourniquet' } });
    expect(open.some((m) => m.value === 1)).toBe(true);
    expect(result.metrics.filter((m) => m.name === 'OpenIncidentsWithoutPage').every((m) => m.value === 0)).toBe(true);
    expect(stdout.join('')).not.toContain('"_aws"');
  });
});

describe('drill metrics: approvals', () => {
  it('approval-timeout: requested, waiting while nobody answers, then timed out into an escalation (with MTTD, never restored)', async () => {
    const result = await drill('approval-timeout');
    const sev2 = { service: 'checkout', severity: 'SEV2' };
    expect(events(result)).toEqual([
      ['IncidentsOpened', 1, sev2],
      ['ApprovalsRequested', 1, { service: 'checkout', mitigation: 'route53-failover' }],
      ['Escalations', 1, sev2],
      ['MTTD', result.mttdSeconds, sev2],
      ['ApprovalsDecided', 1, { service: 'checkout', mitigation: 'route53-failover', outcome: 'timed-out' }],
    ]);
    expect(result.metrics.filter((m) => m.name === 'ApprovalsWaiting').map((m) => m.value)).toContain(1);
  });

  it('approval-granted: requested, granted, applied', async () => {
    const result = await drill('approval-granted');
    const decided = result.metrics.filter((m) => m.name.startsWith('Approvals') && m.name !== 'ApprovalsWaiting').map((m) => [m.name, m.dimensions['outcome'] ?? null]);
    expect(decided).toEqual([
      ['ApprovalsRequested', null],
      ['ApprovalsDecided', 'granted'],
    ]);
    expect(result.metrics.filter((m) => m.name === 'MitigationsApplied')).toHaveLength(1);
  });
});
