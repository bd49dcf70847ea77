import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type DrillSession, openDrillSession, runScenario, type ScenarioRun } from '../../drill/runner.js';
import { loadScenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * Integration: cross-account. Tourniquet's functions run in the central account 111111111111 with
 * their own roles; checkout is in 222222222222 (eu-west-1), whose services answer only sessions of
 * the member role. The forwarded alarm opens the incident, and triage, mitigate and verify each
 * assume the member role with the incident id as session name. Broken on purpose: a member role
 * that does not trust mitigate's role denies its AssumeRole, the incident records why, a human is paged.
 */

const MEMBER = 'arn:aws:iam::222222222222:role/Tourniquet-prod-member';

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

describe('drill: cross-account', () => {
  let run: ScenarioRun;
  beforeAll(async () => {
    run = await runScenario(loadScenario('cross-account'), session);
  });

  it('passes: the kill switch runs in the workload account and the incident resolves', () => {
    expect(run.result.mismatches).toEqual([]);
    expect(run.result).toMatchObject({ passed: true, restored: true, escalated: false, mutations: 2 });
    expect(run.result.incidents[0]).toMatchObject({ service: 'checkout', status: 'RESOLVED' });
  });

  it('each acting function assumes the member role once, under the incident id', () => {
    const incidentId = run.result.incidentId!;
    const assumed = run.account.calls().filter((c) => c.service === 'sts' && c.command === 'AssumeRole');
    expect(assumed.map((c) => ({ by: c.caller, input: c.input, error: c.error }))).toEqual(
      ['triage', 'mitigate', 'verify'].map((fn) => ({
        by: `arn:aws:sts::111111111111:assumed-role/Tourniquet-prod-${fn}/Tourniquet-prod-${fn}`,
        input: { RoleArn: MEMBER, RoleSessionName: incidentId, DurationSeconds: 900 },
        error: undefined,
      })),
    );
  });

  it('every call to the workload account is signed by the member role under the incident id, and the flag change is one of them', () => {
    const incidentId = run.result.incidentId!;
    const workload = run.account.calls().filter((c) => c.origin === 'drill' && c.service !== 'sns' && c.service !== 'sts');
    expect(workload.length).toBeGreaterThan(5);
    expect(new Set(workload.map((c) => c.caller))).toEqual(new Set([`arn:aws:sts::222222222222:assumed-role/Tourniquet-prod-member/${incidentId}`]));
    expect(workload.filter((c) => c.command === 'StartDeployment').map((c) => c.error)).toEqual([undefined]);
  });

  it('the flag change deploys with the workload account’s own zero-bake strategy, found by name, not the central stack’s', () => {
    // The functions' DEPLOYMENT_STRATEGY_ID is the central stack's (cen1str), which the workload account does not have.
    const appconfig = run.account.calls().filter((c) => c.origin === 'drill' && c.service === 'appconfig');
    expect(appconfig.filter((c) => c.command === 'ListDeploymentStrategies').length).toBeGreaterThanOrEqual(1);
    const deployments = appconfig.filter((c) => c.command === 'StartDeployment');
    expect(deployments.map((c) => (c.input as { DeploymentStrategyId?: string }).DeploymentStrategyId)).toEqual(['imm0str']);
  });

  it('a call that skips the role chain is denied: the mitigate function’s own credentials cannot read or change the workload account', async () => {
    const own = run.world!.functionClients(run.account, 'mitigate', () => Date.parse(run.result.ended.at));
    const appconfig = await own.appconfig();
    const { GetConfigurationProfileCommand, StartDeploymentCommand } = await import('@aws-sdk/client-appconfig');
    for (const command of [
      new GetConfigurationProfileCommand({ ApplicationId: 'chk4app', ConfigurationProfileId: 'flg6prf' }),
      new StartDeploymentCommand({
        ApplicationId: 'chk4app',
        EnvironmentId: 'prd5env',
        ConfigurationProfileId: 'flg6prf',
        ConfigurationVersion: '1',
        DeploymentStrategyId: 'imm0str',
      }),
    ]) {
      await expect(appconfig.send(command as never)).rejects.toMatchObject({ name: expect.stringMatching(/AccessDenied/) });
    }
    expect(run.result.roleChain).toMatchObject({ memberRoleArn: MEMBER, workloadAccount: '222222222222', callsWithoutRole: 0 });
    expect(run.result.roleChain!.assumed.map((a) => a.by)).toEqual(['Tourniquet-prod-triage', 'Tourniquet-prod-mitigate', 'Tourniquet-prod-verify']);
  });

  it('the alarm event came from the workload account and region', () => {
    const [transition] = run.result.alarmTransitions;
    expect(transition).toMatchObject({ alarm: 'checkout-5xx-rate', state: 'ALARM' });
    const event = run.account.cloudwatch.stateChangeEvent('checkout-5xx-rate', new Date(transition!.at));
    expect(event).toMatchObject({ account: '222222222222', region: 'eu-west-1', resources: ['arn:aws:cloudwatch:eu-west-1:222222222222:alarm:checkout-5xx-rate'] });
  });
});

describe('drill: cross-account with a member role that does not trust mitigate', () => {
  let run: ScenarioRun;
  beforeAll(async () => {
    run = await runScenario(loadScenario('cross-account'), session, { memberRoleTrusts: ['triage', 'verify', 'readiness'] });
  });

  it('changes nothing, pages a human, and the timeline names the role and account of the denied AssumeRole', () => {
    expect(run.result).toMatchObject({ restored: false, escalated: true, mutations: 0 });
    // Denied before anything was claimed (the preview reads the flag first): no ledger entry, the Catch escalates with the reason.
    expect(run.result.actions).toEqual([]);
    const escalation = run.result.timeline.find((e) => e.kind === 'escalation')?.message ?? '';
    expect(escalation).toContain(`Could not assume ${MEMBER} in account 222222222222 (session ${run.result.incidentId}): AccessDenied`);
    expect(escalation).toContain('assumed-role/Tourniquet-prod-mitigate/Tourniquet-prod-mitigate is not authorized to perform: sts:AssumeRole');
    expect(run.result.mismatches).toContain(`expected mitigate (role Tourniquet-prod-mitigate) to assume ${MEMBER} with session name ${run.result.incidentId}, it did not`);
  });

  it('no call reached the workload account without the member role', () => {
    const workload = run.account.calls().filter((c) => c.origin === 'drill' && c.service !== 'sns' && c.service !== 'sts');
    expect(workload.every((c) => c.caller?.startsWith('arn:aws:sts::222222222222:assumed-role/Tourniquet-prod-member/'))).toBe(true);
  });
});
