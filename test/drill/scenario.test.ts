import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ListDeploymentsCommand } from '@aws-sdk/client-appconfig';
import { ListServiceDeploymentsCommand } from '@aws-sdk/client-ecs';
import { afterAll, describe, expect, it } from '@jest/globals';

import {
  atOffset,
  checkAgainstConfig,
  checkScenario,
  listBuiltInScenarios,
  loadScenario,
  offsetSeconds,
  type Scenario,
  ScenarioInvalidError,
  ScenarioNotFoundError,
} from '../../drill/scenario.js';
import { SimulatedAccount } from '../../drill/sim/account.js';
import { parseConfig } from '../../lambdas/core/config.js';
import { scenarioInput } from './sim/fixture.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG_PATH = path.join(ROOT, 'tourniquet.config.json');
const config = parseConfig(readFileSync(CONFIG_PATH, 'utf8'));
const TOPICS = ['arn:aws:sns:us-east-1:123456789012:tourniquet-prod-status'];
const tmp = mkdtempSync(path.join(tmpdir(), 'tq-scenario-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function accountAfterHistory(scenario: Scenario): Promise<SimulatedAccount> {
  const account = SimulatedAccount.fromScenario(scenario, { topicArns: TOPICS });
  await account.applyHistory();
  return account;
}

describe('offsets', () => {
  it('reads +HH:MM, +HH:MM:SS and negative offsets', () => {
    expect(offsetSeconds('+00:05')).toBe(300);
    expect(offsetSeconds('+01:02:03')).toBe(3723);
    expect(offsetSeconds('-26:00')).toBe(-93_600);
    expect(atOffset('2026-11-23T03:00:00Z', '+00:09').toISOString()).toBe('2026-11-23T03:09:00.000Z');
    expect(() => offsetSeconds('5m')).toThrow(RangeError);
  });
});

describe('built-in scenarios', () => {
  it('lists both built-ins', () => {
    const listed = listBuiltInScenarios();
    expect(listed.map((s) => s.name)).toEqual(expect.arrayContaining(['feature-regression', 'no-recent-change']));
    expect(listed.find((s) => s.name === 'feature-regression')?.description).toMatch(/new checkout flow/);
  });

  it.each(listBuiltInScenarios().map((s) => s.name))('%s loads against its config (the sample config unless it names another)', (name) => {
    const scenario = loadScenario(name);
    expect(scenario.name).toBe(name);
    const own = scenario.config === CONFIG_PATH ? config : parseConfig(readFileSync(scenario.config!, 'utf8'), scenario.config!);
    expect(scenario.account.appconfig.propagationSeconds).toBe(45);
    expect(checkAgainstConfig(scenario, own)).toEqual([]);
  });

  const withPrimaryAlarm = listBuiltInScenarios()
    .map((s) => loadScenario(s.name))
    .filter((s) => s.alarm !== undefined && s.expect.alarmAt !== undefined)
    .map((s) => s.name);
  it.each(withPrimaryAlarm)('%s: its history makes the primary alarm fire at expect.alarmAt, not before', async (name) => {
    const scenario = loadScenario(name);
    const alarm = scenario.alarm!;
    const account = await accountAfterHistory(scenario);
    const expected = atOffset(scenario.startsAt, scenario.expect.alarmAt!);
    expect(account.cloudwatch.stateAt(alarm, account.clock.now()).state).toBe('OK');
    expect(account.cloudwatch.nextTransition(alarm, 'ALARM', account.clock.now())).toEqual(expected);
    expect(account.cloudwatch.stateChangeEvent(alarm, expected).detail.state.value).toBe('ALARM');
  });

  it('loads by file path too', () => {
    const file = path.join(ROOT, 'drill', 'scenarios', 'feature-regression.json');
    expect(loadScenario(file).name).toBe('feature-regression');
  });

  it('feature-regression: the flag was turned on inside the change window and is live at alarm time', async () => {
    const scenario = loadScenario('feature-regression');
    const account = await accountAfterHistory(scenario);
    const alarmAt = atOffset(scenario.startsAt, scenario.expect.alarmAt!);
    account.clock.advanceTo(alarmAt);
    const { Items } = await account.clients().appconfig.send(new ListDeploymentsCommand({ ApplicationId: 'chk4app', EnvironmentId: 'prd5env' }));
    const windowStart = alarmAt.getTime() - config.changeWindowMinutes * 60_000;
    const recent = Items!.filter((d) => d.StartedAt!.getTime() >= windowStart);
    expect(recent.map((d) => [d.DeploymentNumber, d.ConfigurationVersion, d.State])).toEqual([[2, '2', 'COMPLETE']]);
    const minutesBefore = (alarmAt.getTime() - recent[0]!.StartedAt!.getTime()) / 60_000;
    expect(minutesBefore).toBeGreaterThanOrEqual(3);
    expect(minutesBefore).toBeLessThanOrEqual(10);
    expect(account.appconfig.effectiveFlags('chk4app', 'prd5env', 'flg6prf', alarmAt)['new-checkout-flow']).toBe(true);
    expect(scenario.expect).toMatchObject({ restored: true, actions: ['feature-flag-off'], escalated: false });
  });

  it('no-recent-change: nothing changed in the change window, yet history exists before it', async () => {
    const scenario = loadScenario('no-recent-change');
    const account = await accountAfterHistory(scenario);
    const alarmAt = atOffset(scenario.startsAt, scenario.expect.alarmAt!);
    account.clock.advanceTo(alarmAt);
    const windowStart = alarmAt.getTime() - config.changeWindowMinutes * 60_000;
    const { appconfig, ecs } = account.clients();
    const flags = (await appconfig.send(new ListDeploymentsCommand({ ApplicationId: 'chk4app', EnvironmentId: 'prd5env' }))).Items!;
    const services = (await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'shop-prod', service: 'checkout' }))).serviceDeployments!;
    expect(flags.length).toBeGreaterThan(1);
    expect(services.length).toBeGreaterThan(1);
    expect(flags.filter((d) => d.StartedAt!.getTime() >= windowStart)).toEqual([]);
    expect(services.filter((d) => d.createdAt!.getTime() >= windowStart)).toEqual([]);
    expect(scenario.expect).toMatchObject({ restored: false, actions: [], escalated: true });
  });
});

describe('scenario validation', () => {
  it('lists every shape problem with its path', () => {
    const raw = scenarioInput() as Record<string, unknown>;
    raw['name'] = 'Bad Name';
    raw['startsAt'] = 'yesterday';
    raw['history'] = [{ at: '5 minutes', startDeployment: { configurationVersion: 2 } }, { at: '+00:06' }];
    (raw['account'] as { alarms: { periodSeconds: number }[] }).alarms[0]!.periodSeconds = 45;
    const checked = checkScenario(raw);
    expect(checked.ok).toBe(false);
    const paths = checked.ok ? [] : checked.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'startsAt', 'history[0].at', 'history[1]', 'account.alarms[0].periodSeconds']));
  });

  it('lists every broken reference with its path', () => {
    const raw = scenarioInput();
    raw.alarm = 'nope';
    raw.account.health['checkout']!.faults![0]!.when = { flagEnabled: 'ghost-flag' };
    raw.account.appconfig.deployed.version = 7;
    raw.history = [
      { at: '+00:05', startDeployment: { configurationVersion: 9 } },
      { at: '+00:03', updateService: { taskDefinition: 'checkout:99' } },
    ];
    raw.expect.alarmAt = '+00:04';
    const checked = checkScenario(raw);
    expect(checked.ok).toBe(false);
    const problems = checked.ok ? [] : checked.problems;
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        'alarm',
        'account.health.checkout.faults[0].when.flagEnabled',
        'account.appconfig.deployed.version',
        'history[0].startDeployment.configurationVersion',
        'history[1].at',
        'history[1].updateService.taskDefinition',
        'expect.alarmAt',
      ]),
    );
    expect(problems.find((p) => p.path === 'history[1].at')?.message).toMatch(/time order/);
  });

  it('checks a scenario against the config it drills', () => {
    const checked = checkScenario({ ...scenarioInput(), name: 'mismatch' });
    if (!checked.ok) throw new Error('fixture should be valid');
    const scenario = checked.scenario;
    scenario.account.appconfig.application.id = 'oth3app';
    delete (scenario.account.appconfig.flags as Record<string, string>)['express-pay'];
    scenario.account.ecs.cluster = 'other';
    const problems = checkAgainstConfig(scenario, config, 'tourniquet.config.json');
    expect(problems.map((p) => p.path)).toEqual(['account.appconfig.application.id', 'account.appconfig.flags', 'account.ecs.cluster']);
    expect(problems[1]?.message).toBe('flag "express-pay" of tourniquet.config.json (service "checkout") is missing');
    expect(problems[0]?.message).toContain('"chk4app"');
  });

  it('checks every account alarm the config knows, not only the primary one, and the services humans and expectations name', () => {
    const checked = checkScenario({
      ...scenarioInput(),
      name: 'episode',
      account: {
        ...scenarioInput().account,
        alarms: [
          ...scenarioInput().account.alarms,
          // Known to the config as a checkout alarm, but declared on another health entry.
          { name: 'checkout-p99-latency', service: 'search', threshold: 800, periodSeconds: 60, evaluationPeriods: 3 },
          // Not in the config at all: fine, the starter reports unconfigured alarms.
          { name: 'someone-elses-alarm', service: 'search', threshold: 1, periodSeconds: 60, evaluationPeriods: 1 },
        ],
        health: { ...scenarioInput().account.health, search: { baselineErrorRatePercent: 0 } },
      },
      operator: { actions: [{ at: '+01:00', ack: { service: 'billing', by: 'alice' } }] },
      expect: { incidents: [{ service: 'billing' }] },
    });
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    expect(checkAgainstConfig(checked.scenario, config, 'tourniquet.config.json')).toEqual([
      { path: 'account.alarms[1].service', message: 'tourniquet.config.json maps alarm "checkout-p99-latency" to service "checkout", not "search"' },
      { path: 'operator.actions[0].ack.service', message: 'service "billing" is not in tourniquet.config.json' },
      { path: 'expect.incidents[0].service', message: 'service "billing" is not in tourniquet.config.json' },
    ]);
  });

  it('episode fields: delivery defaults, until, human actions, pulses, per-incident expectations', () => {
    const checked = checkScenario({
      ...scenarioInput(),
      alarm: undefined,
      delivery: { deliveries: 3 },
      until: '+48:00',
      operator: {
        actions: [
          { at: '+01:00', ack: { service: 'checkout', by: 'alice', reason: 'looking' } },
          { at: '+02:00', resolve: { service: 'checkout', by: 'alice' } },
        ],
      },
      expect: { incidentCount: 1, maxExecutions: 3, incidents: [{ service: 'checkout', status: 'RESOLVED', alarms: ['checkout-5xx-rate'], minPages: 1 }] },
    });
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    expect(checked.scenario.delivery).toEqual({ deliveries: 3, delaySeconds: 2, redeliveryIntervalSeconds: 0 });
    expect(checked.scenario.operator.actions.map((a) => (a.ack ? 'ack' : 'resolve'))).toEqual(['ack', 'resolve']);
    expect(checked.scenario.operator.approvals).toEqual([]);
  });

  it('refuses episode fields that cannot work, with their paths', () => {
    const raw = scenarioInput() as Record<string, any>;
    delete raw['alarm'];
    raw['until'] = '+999:00';
    raw['operator'] = {
      actions: [
        { at: '+01:00', ack: { service: 'checkout', by: 'alice' }, resolve: { service: 'checkout', by: 'alice' } },
        { at: '-00:10', ack: { service: 'checkout', by: 'bob' } },
      ],
    };
    raw['account'].health.checkout.faults[0].pulse = { onSeconds: 0, offSeconds: 60 };
    raw['expect'] = { restored: true, alarmAt: '+00:09', incidents: [{ service: 'checkout', alarms: ['ghost-alarm'] }] };
    const checked = checkScenario(raw);
    expect(checked.ok).toBe(false);
    const problems = checked.ok ? [] : checked.problems;
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        'until',
        'operator.actions[0]',
        'operator.actions[1].at',
        'account.health.checkout.faults[0].pulse.onSeconds',
        'expect',
        'expect.alarmAt',
        'expect.incidents[0].alarms[0]',
      ]),
    );
    expect(problems.filter((p) => p.path === 'expect').map((p) => p.message)).toEqual([
      'restored, actions and escalated go together (the single-incident expectation): give all three or none',
      'restored, actions and escalated are about the primary alarm: name it in `alarm`',
    ]);
    const empty = checkScenario({ ...scenarioInput(), expect: {} });
    expect(empty.ok ? [] : empty.problems.map((p) => p.message)).toEqual(['say what should happen: restored/actions/escalated, incidents or incidentCount']);
  });

  it("refuses a scenario file whose IDs are not the config's, naming the file", () => {
    const input = scenarioInput();
    input.account.appconfig.environment.id = 'stg1env';
    const file = path.join(tmp, 'wrong-env.json');
    writeFileSync(file, JSON.stringify(input));
    expect(() => loadScenario(file)).toThrow(ScenarioInvalidError);
    expect(() => loadScenario(file)).toThrow(/wrong-env\.json: 1 problem\(s\)[\s\S]*account\.appconfig\.environment\.id/);
  });

  it("resolves a scenario's config relative to the scenario file", () => {
    const input = scenarioInput();
    input.config = 'missing.config.json';
    const file = path.join(tmp, 'own-config.json');
    writeFileSync(file, JSON.stringify(input));
    const error = (() => {
      try {
        loadScenario(file);
      } catch (e) {
        return e as ScenarioInvalidError;
      }
      throw new Error('expected a failure');
    })();
    expect(error.problems[0]?.path).toBe('config');
    expect(error.problems[0]?.message).toContain(path.join(tmp, 'missing.config.json'));
  });

  it('reports invalid JSON and unknown names', () => {
    const file = path.join(tmp, 'broken.json');
    writeFileSync(file, '{ "name": ');
    expect(() => loadScenario(file)).toThrow(/not valid JSON/);
    expect(() => loadScenario('no-such-scenario')).toThrow(ScenarioNotFoundError);
    expect(() => loadScenario('no-such-scenario')).toThrow(/built-in: .*feature-regression/);
  });
});
