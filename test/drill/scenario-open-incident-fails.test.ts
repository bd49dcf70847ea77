import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type DrillSession, openDrillSession, runScenario, type ScenarioRun } from '../../drill/runner.js';
import { loadScenario, ScenarioInvalidError } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * Integration: open-incident-fails. As feature-regression, but the workflow's first step cannot read
 * the incident the starter recorded (the table throttles the open-incident function: a `taskFailure`
 * fault on OpenIncident with StoreError). The Catch hands the starter's input, without `$.incident`,
 * to Escalate: the incident ends ESCALATED, a human is paged with the alarm's name, nothing changes.
 */

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

describe('drill: open-incident-fails', () => {
  let run: ScenarioRun;
  beforeAll(async () => {
    run = await runScenario(loadScenario('open-incident-fails'), session);
  });

  it('passes as the scenario expects: escalated by the workflow, nothing changed, the execution ends cleanly', () => {
    expect(run.result.mismatches).toEqual([]);
    expect(run.result).toMatchObject({ passed: true, restored: false, escalated: true, mutations: 0, duplicateMutations: 0, executionsStarted: 1 });
    expect(run.result.mutatingCalls).toEqual([]);
    expect(run.result.actions).toEqual([]);
    expect(run.result.states).toEqual(['ReadExecutionContext', 'OpenIncident', 'Escalate', 'CloseIncident', 'Done']);
    expect(run.result.executions).toEqual([expect.objectContaining({ status: 'SUCCEEDED' })]);
  });

  it('the fault hit OpenIncident once (StoreError is not retried by the state machine)', () => {
    expect(run.result.faults).toMatchObject([{ kind: 'taskFailure', state: 'OpenIncident', fired: 1, calls: [{ service: 'states', command: 'OpenIncident' }] }]);
    expect(run.result.faults[0]!.calls[0]!.error).toMatch(/^StoreError: .*ProvisionedThroughputExceededException/);
  });

  it('a human is paged by Escalate, not by the failure net, with the alarm name, its reason and the error', () => {
    const pages = run.result.notifications.filter((n) => n.topic === 'escalation');
    expect(pages).toHaveLength(1);
    const [page] = pages;
    expect(page).toMatchObject({ incidentId: run.result.incidentId, subject: '[SEV2][Escalated] checkout: 5xx rate' });
    expect(page!.via).toBeUndefined();
    expect(page!.body).toContain('Alarm "checkout-5xx-rate" entered ALARM');
    expect(page!.body).toContain('The workflow failed before it took up the incident. Alarm checkout-5xx-rate (checkout): Threshold Crossed');
    expect(page!.body).toContain('ProvisionedThroughputExceededException');
    // The status audience gets the same update; no Investigating update was ever sent.
    expect(run.result.notifications.filter((n) => n.topic === 'status').map((n) => n.status)).toEqual(['Escalated']);
  });

  it('the record is consistent: ESCALATED with its page counted, closed on the timeline, the pointer in step, the lock free', async () => {
    const record = await run.store.getIncident(run.result.incidentId!);
    expect(record).toMatchObject({ status: 'ESCALATED', pages: 1 });
    expect(record.escalationReason).toContain('StoreError');
    expect((await run.store.getEpisode('checkout'))?.status).toBe('ESCALATED');
    expect((await run.store.getMutationLock('checkout'))?.expiresAt ?? 0).toBe(0);
    expect(run.result.timeline.map((t) => t.kind)).toEqual(['incident-opened', 'escalation', 'closed']);
  });

  it('a taskFailure naming no Task state of the synthesized definition is refused before the drill runs', async () => {
    const scenario = loadScenario('open-incident-fails');
    const bad = { ...scenario, faults: [{ ...scenario.faults[0]!, state: 'OpenIncidnet' }] };
    const refused = runScenario(bad, session);
    await expect(refused).rejects.toBeInstanceOf(ScenarioInvalidError);
    await expect(refused).rejects.toThrow(/faults\[0\]\.state: the synthesized definition has no Task state "OpenIncidnet" \(its Task states: .*OpenIncident/);
  });
});
