import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { DrillResultSchema } from '../../drill/report.js';
import { type DrillSession, openDrillSession, REPO_ROOT, runScenario, type ScenarioRun } from '../../drill/runner.js';
import { checkScenario, loadScenario, type Scenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * Integration: the synthesized state machine, the real handlers, DynamoDB Local and the simulated account.
 * Time is virtual; nothing here sleeps.
 */

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

const mutatingAppConfigCalls = (run: ScenarioRun) =>
  run.account.calls().filter((c) => c.origin === 'drill' && c.service === 'appconfig' && /^(Create|Start|Stop|Update|Delete)/.test(c.command));

describe('drill: feature-regression', () => {
  let run: ScenarioRun;
  beforeAll(async () => {
    run = await runScenario(loadScenario('feature-regression'), session);
  });

  it('restores service with the kill switch and reports the documented JSON fields', () => {
    const result = DrillResultSchema.parse(run.result);
    expect(result).toMatchObject({ scenario: 'feature-regression', restored: true, escalated: false, passed: true, mismatches: [] });
    expect(result.incidentId).toMatch(/^inc-20261123T030900Z-[0-9a-f]{8}$/);
    expect(result.actions).toEqual([expect.objectContaining({ type: 'feature-flag-off', target: expect.stringContaining('new-checkout-flow'), status: 'applied' })]);
    // Mitigated when verified, Resolved after the quiet watch period (docs/lifecycle.md).
    const emails = result.notifications.filter((n) => n.topic === 'status');
    expect(emails.map((n) => n.status)).toEqual(['Investigating', 'Identified', 'Mitigated', 'Resolved']);
    // Each again on the chat topic, in AWS Chatbot's format (test/drill/chat.test.ts).
    expect(result.notifications.filter((n) => n.topic === 'chat').map((n) => n.status)).toEqual(emails.map((n) => n.status));
    expect(result.incidents).toEqual([
      expect.objectContaining({ incidentId: result.incidentId, service: 'checkout', status: 'RESOLVED', alarms: ['checkout-5xx-rate'], pages: 0 }),
    ]);
    expect(emails[0]!.body).toContain('Investigating');
    expect(result.notifications.every((n) => n.subject.startsWith('[SEV2]['))).toBe(true);
    expect(result.mttmSeconds).toBeGreaterThan(0);
    expect(result.mttmSeconds).toBeLessThan(10 * 60);
    // Impact start measured from the alarm's datapoints (GetMetricData on the simulated metric), within a period of the scripted fault.
    expect(result).toMatchObject({ impactStartSource: 'metric-data', impactStartedAt: '2026-11-23T03:06:00.000Z', faultStartedAt: '2026-11-23T03:06:15.000Z', mttdSeconds: 180 });
    expect(result.mttrSeconds).toBe(result.mttdSeconds! + 2 + result.mttmSeconds!);
    expect(result.timeline.map((e) => e.message)).toContain(
      'Impact started at 03:06:00 (first breaching datapoint of checkout-5xx-rate, GetMetricData, 3 breaching datapoints of 60 s); MTTD 180 s',
    );
    expect(result.stateTransitions).toBe(result.states.length);
    expect(result.states).toEqual(expect.arrayContaining(['OpenIncident', 'Triage', 'Decide', 'Mitigate', 'WaitForEffect', 'Verify', 'NotifyMitigated', 'CloseIncident']));
    expect(result.postmortem).toContain('## Timeline (UTC)');
  });

  it('changed exactly one thing in the account: a new flag version with the flag off, deployed once', () => {
    const calls = mutatingAppConfigCalls(run).map((c) => c.command);
    expect(calls).toEqual(['CreateHostedConfigurationVersion', 'StartDeployment']);
    expect(run.result.alarm!.finalState).toBe('OK');
  });

  it('a redelivered alarm event starts nothing new (deterministic execution name)', async () => {
    const summary = await run.redeliver();
    expect(summary.started).toEqual([]);
    expect(summary.alreadyRunning).toHaveLength(1);
    expect(await run.store.listIncidents()).toHaveLength(1);
  });
});

describe('the mitigation catalogue, each restored by the action the matrix picks, then undone', () => {
  it.each([
    ['feature-regression', ['feature-flag-off']],
    ['downstream-failure', ['degrade-flag-on']],
    ['bad-deployment', ['ecs-rollback']],
    ['capacity-saturation', ['ecs-scale-out']],
    ['region-outage', ['route53-failover']],
    ['traffic-flood', ['waf-block']],
    ['mixed-change', ['feature-flag-off', 'ecs-rollback']],
  ])('%s → %j, and tourniquet undo brings the account back to its pre-incident state, once', async (name, actions) => {
    const run = await runScenario(loadScenario(name), session, { undo: true });
    expect(run.result.mismatches).toEqual([]);
    expect(run.result).toMatchObject({ restored: true, escalated: false });
    expect(run.result.actions.map((a) => a.type)).toEqual(actions);
    expect(run.result.undo!.restoredToBefore).toBe(true);
    expect(run.result.undo!.steps.map((s) => s.status)).toEqual(actions.map(() => 'undone'));
    const incidentId = run.result.incidentId!;
    expect((await run.store.listActions(incidentId)).map((a) => a.status)).toEqual(actions.map(() => 'undone'));
    expect((await run.store.listTimeline(incidentId)).at(-1)!.message).toMatch(/^Undo by drill operator: /);
    // A second undo changes nothing.
    const writes = run.account.calls().filter((c) => c.origin === 'drill' && !/^(Get|List|Describe|Publish)/.test(c.command)).length;
    const again = await run.undo('second operator');
    expect(again.map((s) => s.status)).toEqual(actions.map(() => 'already-undone'));
    expect(run.account.calls().filter((c) => c.origin === 'drill' && !/^(Get|List|Describe|Publish)/.test(c.command))).toHaveLength(writes);
  });

  it('mixed-change: the kill switch first, a failed verification, then the rollback', async () => {
    const run = await runScenario(loadScenario('mixed-change'), session);
    const steps = run.result.states.filter((s) => ['Mitigate', 'Verify'].includes(s));
    // The last Verify ends the watch period after the rollback was verified.
    expect(steps).toEqual(['Mitigate', 'Verify', 'Verify', 'Verify', 'Mitigate', 'Verify', 'Verify']);
    const messages = run.result.timeline.map((e) => e.message);
    const failed = messages.findIndex((m) => m.startsWith('Not restored') && m.includes('Next candidate: ecs-rollback'));
    expect(failed).toBeGreaterThan(messages.findIndex((m) => m.startsWith('Applied: feature-flag-off')));
    expect(messages.findIndex((m) => m.includes('ecs-rollback') && m.startsWith('Applied'))).toBeGreaterThan(failed);
  });
});

describe('drill: no-recent-change', () => {
  it('changes nothing, pages a human, and is not restored (the expected outcome)', async () => {
    const run = await runScenario(loadScenario('no-recent-change'), session);
    expect(run.result).toMatchObject({ restored: false, escalated: true, passed: true, actions: [], mutatingCalls: [] });
    expect(run.result.notifications.filter((n) => n.topic === 'escalation').map((n) => n.subject)).toEqual(['[SEV2][Escalated] checkout: 5xx rate']);
    // A human has it now: the record stays ESCALATED (re-paged on a timer) until someone resolves it.
    const incidentId = run.result.incidentId!;
    expect((await run.store.getIncident(incidentId)).status).toBe('ESCALATED');
    const published: string[] = [];
    const { resolveIncident } = await import('../../lambdas/operations/resolve.js');
    await resolveIncident(
      {
        store: run.store,
        clock: () => run.account.clock.now(),
        publisher: { publish: async (m) => (published.push(m.subject ?? ''), { messageId: 'm' }) },
        statusTopicArn: 'arn:aws:sns:us-east-1:123456789012:status',
      },
      incidentId,
      'dave',
      'payment provider recovered',
    );
    expect((await run.store.getIncident(incidentId)).status).toBe('RESOLVED');
    expect(published).toEqual(['[SEV2][Resolved] checkout: checkout-5xx-rate']);
    const { appconfig, ecs } = run.after as { appconfig: unknown; ecs: unknown };
    expect({ appconfig, ecs }).toEqual({ appconfig: (run.before as { appconfig: unknown }).appconfig, ecs: (run.before as { ecs: unknown }).ecs });
  });
});

describe('drill: the health model only recovers when the right thing is done', () => {
  it('switching off a flag that is not the cause leaves the alarm in ALARM, and the workflow escalates', async () => {
    const base = loadScenario('feature-regression');
    const raw = JSON.parse(JSON.stringify(base)) as Record<string, any>;
    raw.name = 'wrong-flag';
    // The errors come from something the flag does not control, but the flag change is still the suspect.
    raw.account.health.checkout.faults = [{ description: 'a bad cache node', errorRatePercent: 8, when: { always: true }, from: '+00:06' }];
    raw.expect = { ...raw.expect, restored: false, actions: ['feature-flag-off'], escalated: true };
    const checked = checkScenario(raw);
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    const run = await runScenario(checked.scenario as Scenario, session);
    expect(run.result.mismatches).toEqual([]);
    expect(run.result).toMatchObject({ restored: false, escalated: true, passed: true });
    expect(run.result.alarm!.finalState).toBe('ALARM');
    expect(run.result.states.filter((s) => s === 'Verify')).toHaveLength(3);
    expect(run.result.timeline.map((e) => e.message).join('\n')).toContain('No automatic candidate left');
  });

  it('a scenario whose expectation is wrong fails the drill with a clear mismatch', async () => {
    const raw = JSON.parse(JSON.stringify(loadScenario('no-recent-change'))) as Record<string, any>;
    raw.expect = { ...raw.expect, restored: true };
    const checked = checkScenario(raw);
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    const run = await runScenario(checked.scenario as Scenario, session);
    expect(run.result.passed).toBe(false);
    expect(run.result.mismatches).toContain('expected restored, got not restored');
  });
});

describe('tourniquet drill --json (CLI)', () => {
  it('prints exactly one JSON object on stdout and exits 0', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'drill', '--scenario', 'feature-regression', '--json'], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const result = DrillResultSchema.parse(JSON.parse(stdout));
    expect(result).toMatchObject({ scenario: 'feature-regression', restored: true });
    expect(stderr).toContain('Running scenario feature-regression');
  });

  it('exits 2 with one line for an unknown scenario', async () => {
    const error = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'drill', '--scenario', 'no-such-scenario'], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('humans in the loop', () => {
  const writes = (run: ScenarioRun) => run.account.calls().filter((c) => c.origin === 'drill' && !/^(Get|List|Describe|Publish)/.test(c.command));

  it('approval-granted: the failover waits for the approval given through the CLI code path, then restores', async () => {
    const run = await runScenario(loadScenario('approval-granted'), session);
    expect(run.result).toMatchObject({ passed: true, restored: true, escalated: false });
    expect(run.result.states).toEqual(expect.arrayContaining(['NeedsApproval', 'AwaitApproval', 'ApprovalDecision']));
    const timeline = run.result.timeline.map((e) => e.message).join('\n');
    expect(timeline).toMatch(/Approval requested for route53-failover/);
    expect(timeline).toMatch(/arn:aws:iam::123456789012:user\/alice/);
    // The approval email went out with both signed links.
    const request = run.account.published().find((m) => /approv/i.test(m.subject ?? ''));
    expect(request?.message).toMatch(/https:\/\/approval\.drill\.invalid\/approval\?t=.+/);
  });

  it.each([
    ['approval-rejected', /A human rejected route53-failover/],
    ['approval-timeout', /Nobody approved route53-failover .* in time/],
    ['paused', /Automation is paused \(paused by carol/],
  ])('%s: nothing changes, a human is paged and told why', async (name, why) => {
    const run = await runScenario(loadScenario(name), session);
    expect(run.result).toMatchObject({ passed: true, restored: false, escalated: true });
    expect(writes(run)).toEqual([]);
    const page = run.account.published().find((m) => m.subject === '[SEV2][Escalated] checkout: 5xx rate');
    expect(page?.message).toMatch(why);
  });

  it('approval timeout with an onApprovalTimeout "proceed" policy: the failover goes ahead and the timeline says why', async () => {
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const config = JSON.parse(readFileSync(join(REPO_ROOT, 'tourniquet.config.json'), 'utf8'));
    config.services[0].onApprovalTimeout = { SEV2: 'proceed' };
    const file = join(mkdtempSync(join(tmpdir(), 'tourniquet-')), 'proceed.json');
    writeFileSync(file, JSON.stringify(config));
    const raw = {
      ...JSON.parse(JSON.stringify(loadScenario('approval-timeout'))),
      name: 'timeout-proceeds',
      config: file,
      expect: { restored: true, actions: ['route53-failover'], escalated: false },
    };
    const checked = checkScenario(raw);
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    const run = await runScenario(checked.scenario as Scenario, session);
    expect(run.result.mismatches).toEqual([]);
    expect(run.result.states).toEqual(expect.arrayContaining(['ApprovalTimedOut', 'TimeoutPolicy', 'ProceedAfterTimeout']));
    expect(run.result.timeline.map((e) => e.message)).toContain(
      'Going ahead with route53-failover: approved by approval timeout policy (Nobody answered in time and the policy for this severity is to proceed)',
    );
  });

  it('dry-run: the report names the action it would take and the account is unchanged', async () => {
    const run = await runScenario(loadScenario('dry-run'), session);
    expect(run.result).toMatchObject({ passed: true, restored: false, actions: [{ type: 'feature-flag-off', status: 'dry-run' }] });
    expect(run.result.actions[0]!.detail).toMatch(/^Dry run: would apply feature-flag-off/);
    expect(writes(run)).toEqual([]);
  });
});

describe('readiness at incident time', () => {
  it('saturated-at-cap: scale-out has no headroom, so it is skipped and a human is paged at once, with nothing changed', async () => {
    const run = await runScenario(loadScenario('saturated-at-cap'), session);
    expect(run.result.mismatches).toEqual([]);
    expect(run.result).toMatchObject({ restored: false, escalated: true });
    expect(run.result.actions).toEqual([]);
    const timeline = await run.store.listTimeline(run.result.incidentId!);
    expect(timeline.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^Skipped ecs-scale-out on ECS service shop-prod\/checkout: no scale headroom/)]));
    // No verification wait: no Verify state ran.
    expect(run.result.states).not.toContain('Verify');
  });
});
