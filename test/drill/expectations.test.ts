import { describe, expect, it } from '@jest/globals';

import { appliedTypes, type DrillFacts, type IncidentOutcome, judge, mutationBudget } from '../../drill/expectations.js';
import type { ExecutionRecord } from '../../drill/local-workflow.js';
import { fixtureScenario, START } from './sim/fixture.js';

const incident = (over: Partial<IncidentOutcome> = {}): IncidentOutcome => ({
  incidentId: 'inc-1',
  service: 'checkout',
  status: 'RESOLVED',
  alarms: ['checkout-5xx-rate'],
  actions: [{ type: 'feature-flag-off', status: 'applied' }],
  pages: 0,
  restored: true,
  escalated: false,
  ...over,
});

const execution = (over: Partial<ExecutionRecord> = {}): ExecutionRecord => ({
  name: 'x',
  arn: 'arn:x',
  status: 'SUCCEEDED',
  states: [],
  failures: [],
  startedAt: START,
  stoppedAt: START,
  ...over,
});

/** Facts of the fixture's expected story: the kill switch restored checkout, two writes, nothing else. */
const facts = (over: Partial<DrillFacts> = {}): DrillFacts => ({
  primaryFiredAt: new Date(START),
  primaryFinalState: 'OK',
  incidents: [incident()],
  first: { restored: true, escalated: false, applied: ['feature-flag-off'] },
  executions: [execution()],
  mutatingCalls: [{ command: 'CreateHostedConfigurationVersion' }, { command: 'StartDeployment' }],
  mutations: 2,
  budget: 2,
  problems: [],
  ...over,
});

describe('the ledger budget of mutating calls', () => {
  it('allows the writes of one change per action carried out, and one more per action taken back', () => {
    expect(mutationBudget([{ type: 'feature-flag-off', status: 'applied' }])).toBe(2);
    expect(mutationBudget([{ type: 'ecs-rollback', status: 'undone' }])).toBe(2);
    expect(mutationBudget([{ type: 'degrade-flag-on', status: 'undone' }])).toBe(4);
    expect(mutationBudget([{ type: 'waf-block', status: 'failed' }])).toBe(1);
  });

  it('allows nothing for an action found already in place or only previewed', () => {
    expect(
      mutationBudget([
        { type: 'ecs-rollback', status: 'already-applied' },
        { type: 'feature-flag-off', status: 'dry-run' },
      ]),
    ).toBe(0);
  });

  it('counts reverted and undone actions as applied, in ledger order', () => {
    expect(
      appliedTypes([
        { type: 'ecs-rollback', status: 'undone' },
        { type: 'feature-flag-off', status: 'dry-run' },
        { type: 'route53-failover', status: 'applied' },
        { type: 'waf-block', status: 'failed' },
      ]),
    ).toEqual(['ecs-rollback', 'route53-failover']);
  });
});

describe('judge', () => {
  const scenario = fixtureScenario();

  it('finds nothing wrong with the expected story', () => {
    expect(judge(scenario, facts())).toEqual([]);
  });

  it('names a change made twice for one incident action', () => {
    const mismatches = judge(scenario, facts({ mutations: 4, budget: 2 }));
    expect(mismatches).toEqual(['4 change(s) reached the account but the ledger accounts for 2: some incident action was carried out twice (2 duplicate change(s))']);
  });

  it('keeps the single-incident expectations and reports failed executions with their failed states', () => {
    const mismatches = judge(
      scenario,
      facts({
        first: { restored: false, escalated: true, applied: [] },
        executions: [execution({ name: 'e1', status: 'FAILED', error: 'boom', failures: [{ state: 'Verify', error: 'Error', cause: 'bad' }] })],
        primaryFiredAt: undefined,
      }),
    );
    expect(mismatches).toEqual([
      'alarm checkout-5xx-rate never entered ALARM in the simulated history',
      'execution e1 FAILED: boom',
      'state Verify failed: Error: bad',
      'expected restored, got not restored',
      'expected no escalation, got one',
      'expected actions [feature-flag-off], got []',
    ]);
  });

  it('checks alarmAt, incident count, executions and per-incident expectations in opening order per service', () => {
    const s = fixtureScenario((input) => {
      input.expect = {
        alarmAt: '+00:09',
        incidentCount: 2,
        maxExecutions: 1,
        incidents: [
          { service: 'checkout', status: 'RESOLVED', alarms: ['checkout-5xx-rate'], actions: ['feature-flag-off'], restored: true },
          { service: 'checkout', escalated: true, minPages: 2 },
        ],
      };
    });
    const mismatches = judge(
      s,
      facts({
        primaryFiredAt: new Date(Date.parse(START) + 10 * 60_000),
        incidents: [
          incident(),
          incident({ incidentId: 'inc-2', status: 'ESCALATED', escalated: true, pages: 1, restored: false, actions: [] }),
          incident({ incidentId: 'inc-3', service: 'search' }),
        ],
        executions: [execution(), execution({ name: 'y' })],
      }),
    );
    expect(mismatches).toEqual([
      'expected alarm checkout-5xx-rate to enter ALARM at +00:09 (2026-11-23T10:09:00.000Z), it did at 2026-11-23T10:10:00.000Z',
      'expected 2 incident(s), got 3 (checkout ×2, search ×1)',
      'expected at most 1 executions, 2 were started',
      'checkout incident #2 (inc-2): expected at least 2 page(s), got 1',
    ]);
  });

  it('says which incident is missing and what differs on the ones that exist', () => {
    const s = fixtureScenario((input) => {
      input.account.alarms.push({ name: 'checkout-p99-latency', service: 'checkout', threshold: 5, periodSeconds: 60, evaluationPeriods: 3 });
      input.expect = {
        incidents: [{ service: 'checkout', status: 'RESOLVED', alarms: ['checkout-5xx-rate', 'checkout-p99-latency'], actions: ['ecs-rollback'] }, { service: 'checkout' }],
      };
    });
    expect(judge(s, facts())).toEqual([
      'checkout incident #1 (inc-1): expected alarms checkout-p99-latency on it, it has checkout-5xx-rate',
      'checkout incident #1 (inc-1): expected actions [ecs-rollback], got [feature-flag-off]',
      'expected checkout incident #2, but checkout had only 1',
    ]);
  });

  it('pagedVia failure-net: a failed execution whose net page was delivered is the story; without that page it is a mismatch', () => {
    const s = fixtureScenario((input) => {
      input.expect = { ...input.expect, pagedVia: 'failure-net' };
    });
    const failed = execution({
      name: 'e1',
      status: 'FAILED',
      error: 'EscalationFailed',
      input: '{"incidentId":"inc-1"}',
      failures: [{ state: 'Escalate', error: 'TransientAwsError', cause: 'sns down' }],
    });
    expect(judge(s, facts({ executions: [failed], failureNetPages: [{ execution: 'e1', incidentId: 'inc-1' }] }))).toEqual([]);
    expect(judge(s, facts({ executions: [failed], failureNetPages: [] }))).toEqual([
      'execution e1 FAILED: EscalationFailed',
      'state Escalate failed: TransientAwsError: sns down',
      'expected the page for inc-1 to arrive through the failure net, but the net delivered no page for its executions',
    ]);
    // Without pagedVia a failed execution stays a mismatch even when the net paged for it.
    expect(judge(scenario, facts({ executions: [failed], failureNetPages: [{ execution: 'e1', incidentId: 'inc-1' }] }))[0]).toBe('execution e1 FAILED: EscalationFailed');
  });

  it('pagedVia workflow: a page carrying the incident id, and none from the failure net', () => {
    const s = fixtureScenario((input) => {
      input.expect = { ...input.expect, pagedVia: 'workflow' };
    });
    expect(judge(s, facts({ incidents: [incident({ pages: 1 })] }))).toEqual([]);
    expect(judge(s, facts({ incidents: [incident({ pages: 0 })], failureNetPages: [{ execution: 'e1', incidentId: 'inc-1' }] }))).toEqual([
      'expected the workflow to page for inc-1, but no message on the escalation topic carries its id',
      'expected the workflow to page for inc-1, but the failure net had to (1 page(s))',
    ]);
  });
});
