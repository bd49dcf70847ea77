import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { loadWorkflowDefinition } from '../../drill/definition.js';
import type { LocalTaskHandler } from '../../drill/local-workflow.js';
import { type DrillSession, loadDrillConfig, openDrillSession, runScenario, type ScenarioRun } from '../../drill/runner.js';
import { checkScenario, loadScenario, type Scenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * "Every failure ends with a human told and a consistent record": a failure is injected at every
 * Task state of the synthesized definition in turn, and each run must end with the execution
 * stopped, a page sent (by Escalate, or held by the failure net) or the incident resolved, the
 * incident ESCALATED or RESOLVED with its episode pointer agreeing, and the mutation lock free.
 * Whole episodes run on the drill's virtual clock against DynamoDB Local: no real sleeps.
 */

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
}, 60_000);
afterAll(async () => {
  await session?.close();
});

/** before: fails without doing anything (not retried); after: the handler's effects stand, then it fails (a crash); transient: TransientAwsError on every attempt, past the Retry. */
const KINDS = ['before', 'after', 'transient'] as const;
type Kind = (typeof KINDS)[number];

function failing(kind: Kind, handler: LocalTaskHandler): LocalTaskHandler {
  const fault = (name: string) => Object.assign(new Error(`injected ${kind} fault`), { name });
  return async (input) => {
    if (kind === 'after') {
      await handler(input);
      throw fault('InjectedFault');
    }
    throw fault(kind === 'transient' ? 'TransientAwsError' : 'InjectedFault');
  };
}

/** The scenario whose path reaches each Task state. */
const SCENARIO_FOR: Record<string, string> = {
  OpenIncident: 'feature-regression',
  NotifyInvestigating: 'feature-regression',
  Triage: 'feature-regression',
  Decide: 'feature-regression',
  NotifyIdentified: 'feature-regression',
  Mitigate: 'feature-regression',
  AwaitApproval: 'approval-granted',
  Verify: 'feature-regression',
  NotifyMitigated: 'feature-regression',
  NotifyResolved: 'feature-regression',
  Escalate: 'no-recent-change',
  CloseIncident: 'feature-regression',
};

/** The invariants of the issue, checked on one finished run. */
async function expectHumanToldAndRecordConsistent({ result, store }: ScenarioRun, label: string): Promise<void> {
  expect({ label, running: result.executions.filter((e) => e.status === 'RUNNING').map((e) => e.name) }).toEqual({ label, running: [] });
  expect(result.incidents.length).toBeGreaterThan(0);
  const netPages = result.notifications.filter((n) => n.via === 'failure-net');
  for (const i of result.incidents) {
    const record = await store.getIncident(i.incidentId);
    const episode = await store.getEpisode(i.service);
    const paged = result.notifications.some((n) => n.topic === 'escalation' && n.incidentId === i.incidentId) || netPages.length > 0;
    // Released = gone, or expired (release is an update that sets the expiry to 0).
    const lock = await store.getMutationLock(i.service);
    const held = lock !== undefined && lock.expiresAt * 1000 > Date.parse(result.ended.at) ? lock.incidentId : null;
    expect({ label, status: record.status, pointer: episode?.status, told: paged || record.status === 'RESOLVED', lock: held }).toEqual({
      label,
      status: expect.stringMatching(/^(ESCALATED|RESOLVED)$/),
      pointer: record.status,
      told: true,
      lock: null,
    });
  }
  // The drill's own check: no incident ended without a page or a resolve.
  expect(result.mismatches.filter((m) => /silent end|dead-letter/.test(m))).toEqual([]);
}

describe('a failure at every Task state ends with a human told and a consistent record', () => {
  it('covers every Task state of the synthesized definition', () => {
    const { handlerByState } = loadWorkflowDefinition(loadDrillConfig(loadScenario('feature-regression')));
    expect(Object.keys(handlerByState).sort()).toEqual(Object.keys(SCENARIO_FOR).sort());
  });

  for (const [state, scenarioName] of Object.entries(SCENARIO_FOR)) {
    for (const kind of KINDS) {
      it(`${state}: ${kind}`, async () => {
        let hit = 0;
        const inject = (handler: LocalTaskHandler): LocalTaskHandler => {
          const faulty = failing(kind, handler);
          return (input) => ((hit += 1), faulty(input));
        };
        const run = await runScenario(loadScenario(scenarioName), session, { taskFault: (name, handler) => (name === state ? inject(handler) : handler) });
        expect({ state, hit: hit > 0 }).toEqual({ state, hit: true });
        await expectHumanToldAndRecordConsistent(run, `${state} ${kind}`);
        // When Escalate itself failed, the failure net holds the page.
        if (state === 'Escalate') expect(run.result.notifications.filter((n) => n.via === 'failure-net')).toHaveLength(1);
      }, 60_000);
    }
  }
});

describe('SNS down', () => {
  function withSnsDown(name: string, until: string): Scenario {
    const raw = JSON.parse(JSON.stringify(loadScenario(name))) as Record<string, any>;
    raw.name = `${name}-sns-down`;
    raw.faults = [{ kind: 'snsDown', until, description: 'SNS unreachable for the first hours of the incident' }];
    const checked = checkScenario(raw);
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    return checked.scenario;
  }

  it('the record is ESCALATED with the lock free at once, and the failure net delivers the page after the outage', async () => {
    const run = await runScenario(withSnsDown('no-recent-change', '+03:00'), session);
    await expectHumanToldAndRecordConsistent(run, 'sns down');
    const { result } = run;
    expect(result.executions.map((e) => e.status)).toEqual(['FAILED']);
    const record = await run.store.getIncident(result.incidents[0]!.incidentId);
    // Escalated while SNS was down (minutes after the alarm), paged by the net once it came back.
    expect(record.escalatedAt! < result.notifications.find((n) => n.via === 'failure-net')!.at).toBe(true);
    const net = result.notifications.filter((n) => n.via === 'failure-net');
    expect(net).toHaveLength(1);
    expect(net[0]!.body).toMatch(/ended FAILED: a human must check the incident\. Error: Tourniquet\.EscalationFailed/);
    expect(Date.parse(net[0]!.at) - Date.parse(result.alarm!.firedAt!)).toBeGreaterThan(2 * 3600_000);
    expect(result.timeline.map((e) => e.message)).toContain('The escalation page could not be sent (TransientAwsError); the failure net and the re-page timer will page.');
  }, 120_000);
});
