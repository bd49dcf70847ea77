import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type DrillSession, openDrillSession, runScenario, type ScenarioRun } from '../../drill/runner.js';
import { loadScenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * Integration: sns-down. An outage nothing of ours explains fires checkout's alarm while SNS is down
 * (+00:38 to +01:10). The Investigating update fails and catches to Escalate, which records the
 * incident ESCALATED and frees the lock before it tries to page; its page fails too (its retries are
 * over long before SNS is back), so the execution ends FAILED and the failure net's SNS target keeps
 * retrying until the page goes through. The status cadence's re-page timer pages after the outage too.
 */

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

describe('drill: sns-down', () => {
  let run: ScenarioRun;
  const FROM = Date.parse('2026-11-23T14:38:00Z');
  const UNTIL = Date.parse('2026-11-23T15:10:00Z');
  beforeAll(async () => {
    run = await runScenario(loadScenario('sns-down'), session);
  });

  it('passes as the scenario expects: escalated, paged through the failure net, nothing changed', () => {
    expect(run.result.mismatches).toEqual([]);
    expect(run.result).toMatchObject({ passed: true, restored: false, escalated: true, mutations: 0, duplicateMutations: 0 });
    expect(run.result.expected).toMatchObject({ pagedVia: 'failure-net' });
  });

  it('every Publish in the window failed; nothing reached a topic before SNS was back', () => {
    const [fault] = run.result.faults;
    expect(fault).toMatchObject({ kind: 'snsDown', service: 'sns', operation: 'Publish' });
    expect(fault!.fired).toBeGreaterThan(0);
    for (const call of fault!.calls) {
      expect(Date.parse(call.at)).toBeGreaterThanOrEqual(FROM);
      expect(Date.parse(call.at)).toBeLessThan(UNTIL);
    }
    for (const n of run.result.notifications) expect(Date.parse(n.at)).toBeGreaterThanOrEqual(UNTIL);
  });

  it('the status update failed and the workflow went on; Escalate could not page, and the execution ended FAILED for the failure net', () => {
    expect(run.result.states).toEqual([
      'ReadExecutionContext',
      'OpenIncident',
      'Admission',
      'NotifyInvestigating',
      'Triage',
      'Decide',
      'CanMitigate',
      'Escalate',
      'EscalationFailed',
    ]);
    expect(run.result.executions).toEqual([expect.objectContaining({ status: 'FAILED', error: expect.stringContaining('escalate step failed') })]);
  });

  it('the page arrives through the failure net once SNS is back, naming the failed workflow; the re-page timer pages too', () => {
    const pages = run.result.notifications.filter((n) => n.topic === 'escalation');
    const [net] = pages.filter((n) => n.via === 'failure-net');
    expect(net).toBeDefined();
    expect(Date.parse(net!.at)).toBeGreaterThanOrEqual(UNTIL);
    // EventBridge's backoff is capped at 10 minutes: the page is at most that late.
    expect(Date.parse(net!.at) - UNTIL).toBeLessThanOrEqual(10 * 60_000);
    expect(net!.body).toContain(`Tourniquet workflow ${run.result.execution!.name} ended FAILED`);
    expect(net!.body).toContain('Tourniquet.EscalationFailed');
    const incidentId = run.result.incidentId!;
    expect(pages.filter((n) => n.via === undefined)).toEqual([
      expect.objectContaining({ at: '2026-11-23T15:15:00.000Z', incidentId, subject: `[SEV2][Page] checkout: needs a human (${incidentId})` }),
    ]);
    // No status update was sent at all: the Investigating update fell in the outage, and nothing later is a status phase.
    expect(run.result.notifications.filter((n) => n.topic === 'status')).toEqual([]);
  });

  it('the record is consistent: ESCALATED with its reason, the episode pointer in step, the lock free, the failed page on the timeline', async () => {
    const incidentId = run.result.incidentId!;
    const record = await run.store.getIncident(incidentId);
    expect(record.status).toBe('ESCALATED');
    // Recorded first, during the outage, a few seconds after the alarm: not when a page finally got through.
    expect(Date.parse(record.escalatedAt!) - Date.parse('2026-11-23T14:43:00Z')).toBeLessThan(60_000);
    expect(record.escalationReason).toContain('no automated action; paging a human');
    expect((await run.store.getEpisode('checkout'))?.status).toBe('ESCALATED');
    // Free: never taken (no mitigation), or released (expired at 0).
    expect((await run.store.getMutationLock('checkout'))?.expiresAt ?? 0).toBe(0);
    const kinds = run.result.timeline.map((t) => t.kind);
    expect(kinds[0]).toBe('incident-opened');
    expect(kinds).toContain('error');
    const errors = run.result.timeline.filter((t) => t.kind === 'error').map((t) => t.message);
    expect(errors[0]).toMatch(/^Status update "\[SEV2\]\[Investigating\] checkout: 5xx rate" could not be sent/);
    expect(errors).toContainEqual(expect.stringContaining('The escalation page could not be sent'));
    expect(kinds.at(-1)).toBe('page');
  });
});
