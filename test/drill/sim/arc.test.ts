import {
  ConflictException,
  EndpointTemporarilyUnavailableException,
  GetRoutingControlStateCommand,
  ListRoutingControlsCommand,
  ResourceNotFoundException,
  Route53RecoveryClusterClient,
  UpdateRoutingControlStatesCommand,
  ValidationException,
} from '@aws-sdk/client-route53-recovery-cluster';
import { describe, expect, it } from '@jest/globals';

import { checkScenario } from '../../../drill/scenario.js';
import { type ArcScenarioInput, ArcScenarioSchema, SimArc } from '../../../drill/sim/arc.js';
import { VirtualClock } from '../../../drill/sim/clock.js';
import { CallRecorder, wireClient } from '../../../drill/sim/wire.js';
import { ArcRoutingControlAdapter, ArcSafetyRuleConflictError } from '../../../lambdas/adapters/arc-routing-control.js';
import { ArcConfigSchema } from '../../../lambdas/core/config.js';
import { at, fixtureAccount, scenarioInput, START } from './fixture.js';

const PREFIX = 'arn:aws:route53-recovery-control::123456789012';
const PANEL = `${PREFIX}:controlpanel/cp0checkout`;
const EAST = `${PANEL}/routingcontrol/rc0east`;
const WEST = `${PANEL}/routingcontrol/rc0west`;
const RULE = `${PANEL}/safetyrule/sr0oneon`;
const E1 = 'https://host-1.route53-recovery-cluster.us-east-1.amazonaws.com/v1';
const E2 = 'https://host-2.route53-recovery-cluster.us-west-2.amazonaws.com/v1';
const E3 = 'https://host-3.route53-recovery-cluster.eu-west-1.amazonaws.com/v1';

function section(edit?: (s: ArcScenarioInput) => void): ArcScenarioInput {
  const s: ArcScenarioInput = {
    cluster: { id: 'cl0shop', name: 'shop' },
    endpoints: [
      { endpoint: E1, region: 'us-east-1', outages: [{ from: '+00:05', kind: 'unavailable' }] },
      { endpoint: E2, region: 'us-west-2' },
      { endpoint: E3, region: 'eu-west-1', outages: [{ from: '+00:00', until: '+00:30', kind: 'unreachable' }] },
    ],
    controlPanel: { id: 'cp0checkout', name: 'checkout' },
    routingControls: [
      { id: 'rc0east', name: 'us-east-1-cell', state: 'On' },
      { id: 'rc0west', name: 'us-west-2-cell', state: 'Off' },
    ],
    safetyRules: [{ id: 'sr0oneon', name: 'at-least-one-cell-on', assertedControls: ['us-east-1-cell', 'us-west-2-cell'], type: 'ATLEAST', threshold: 1 }],
    traffic: { cells: ['us-east-1-cell', 'us-west-2-cell'], healthCheckSeconds: 10, ttlSeconds: 60 },
  };
  edit?.(s);
  return s;
}

function setup(edit?: (s: ArcScenarioInput) => void) {
  const clock = new VirtualClock(START);
  const sim = SimArc.fromScenario(section(edit), { clock, startsAt: START });
  const recorder = new CallRecorder();
  const clients = new Map<string, Route53RecoveryClusterClient>();
  const client = (endpoint: string, region = 'us-east-1') => {
    let c = clients.get(endpoint);
    if (!c) {
      c = wireClient(new Route53RecoveryClusterClient({ region, endpoint, credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } }), {
        service: sim.endpointService(endpoint),
        clock,
        recorder,
        origin: 'drill',
        endpoint,
      });
      clients.set(endpoint, c);
    }
    return c;
  };
  return { clock, sim, recorder, client };
}

const update = (entries: [string, 'On' | 'Off'][], overrides?: string[]) =>
  new UpdateRoutingControlStatesCommand({
    UpdateRoutingControlStateEntries: entries.map(([RoutingControlArn, RoutingControlState]) => ({ RoutingControlArn, RoutingControlState })),
    ...(overrides ? { SafetyRulesToOverride: overrides } : {}),
  });

describe('SimArc data plane', () => {
  it('answers GetRoutingControlState and ListRoutingControls with the consensus state', async () => {
    const { client } = setup();
    const e2 = client(E2);
    expect(await e2.send(new GetRoutingControlStateCommand({ RoutingControlArn: EAST }))).toMatchObject({
      RoutingControlArn: EAST,
      RoutingControlName: 'us-east-1-cell',
      RoutingControlState: 'On',
    });
    const listed = await e2.send(new ListRoutingControlsCommand({ ControlPanelArn: PANEL, MaxResults: 1 }));
    expect(listed.RoutingControls).toEqual([
      { ControlPanelArn: PANEL, ControlPanelName: 'checkout', RoutingControlArn: EAST, RoutingControlName: 'us-east-1-cell', RoutingControlState: 'On', Owner: '123456789012' },
    ]);
    const rest = await e2.send(new ListRoutingControlsCommand({ ControlPanelArn: PANEL, NextToken: listed.NextToken }));
    expect(rest.RoutingControls?.map((c) => c.RoutingControlName)).toEqual(['us-west-2-cell']);
    expect(rest.NextToken).toBeUndefined();
  });

  it('refuses unknown routing controls and control panels with ResourceNotFoundException', async () => {
    const { client } = setup();
    await expect(client(E2).send(new GetRoutingControlStateCommand({ RoutingControlArn: `${PANEL}/routingcontrol/nope` }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client(E2).send(new ListRoutingControlsCommand({ ControlPanelArn: `${PREFIX}:controlpanel/other` }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('applies a batch at once: secondary On and primary Off together keep "at least one On"', async () => {
    const { client, sim } = setup();
    await client(E2).send(
      update([
        [WEST, 'On'],
        [EAST, 'Off'],
      ]),
    );
    expect(sim.state(EAST)).toBe('Off');
    expect(sim.state(WEST)).toBe('On');
    expect(sim.snapshot().safetyRules).toEqual([{ arn: RULE, name: 'at-least-one-cell-on', holds: true }]);
  });

  it('refuses an update that breaks an assertion rule with a ConflictException naming the rule, and changes nothing', async () => {
    const { client, sim } = setup();
    const err = await client(E2)
      .send(update([[EAST, 'Off']]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictException);
    expect((err as ConflictException).message).toContain(RULE);
    expect((err as ConflictException).resourceId).toBe(RULE);
    expect(sim.state(EAST)).toBe('On');
  });

  it('lets a listed safety rule be overridden, and refuses to override a rule that does not exist', async () => {
    const { client, sim } = setup();
    await client(E2).send(update([[EAST, 'Off']], [RULE]));
    expect(sim.state(EAST)).toBe('Off');
    await expect(client(E2).send(update([[EAST, 'On']], [`${PANEL}/safetyrule/nope`]))).rejects.toBeInstanceOf(ValidationException);
  });

  it('models AND, OR and inverted rules', async () => {
    const { client } = setup((s) => {
      s.safetyRules = [{ id: 'sr0notboth', name: 'never-both-on', assertedControls: ['us-east-1-cell', 'us-west-2-cell'], type: 'AND', inverted: true }];
    });
    await expect(client(E2).send(update([[WEST, 'On']]))).rejects.toBeInstanceOf(ConflictException);
    await client(E2).send(
      update([
        [WEST, 'On'],
        [EAST, 'Off'],
      ]),
    );
  });

  it('fails each endpoint during its outage: unavailable, unreachable, or an unknown host', async () => {
    const { client, clock, recorder } = setup();
    // E3 is unreachable until +00:30; E1 answers until +00:05.
    await expect(client(E3).send(new GetRoutingControlStateCommand({ RoutingControlArn: EAST }))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(client(E1).send(new GetRoutingControlStateCommand({ RoutingControlArn: EAST }))).resolves.toMatchObject({ RoutingControlState: 'On' });
    clock.advanceTo(at(5 * 60));
    await expect(client(E1).send(new GetRoutingControlStateCommand({ RoutingControlArn: EAST }))).rejects.toBeInstanceOf(EndpointTemporarilyUnavailableException);
    clock.advanceTo(at(30 * 60));
    await expect(client(E3).send(new GetRoutingControlStateCommand({ RoutingControlArn: EAST }))).resolves.toMatchObject({ RoutingControlState: 'On' });
    await expect(client('https://elsewhere.example.com').send(new GetRoutingControlStateCommand({ RoutingControlArn: EAST }))).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const calls = recorder.list();
    expect(calls.map((c) => [c.endpoint, c.error?.name ?? 'ok'])).toEqual([
      [E3, 'Error'],
      [E1, 'ok'],
      [E1, 'EndpointTemporarilyUnavailableException'],
      [E3, 'ok'],
      ['https://elsewhere.example.com', 'Error'],
    ]);
  });

  it('setEndpointAnswering overrides the scenario outages from an instant on', async () => {
    const { client, sim, clock } = setup();
    clock.advanceTo(at(10 * 60));
    sim.setEndpointAnswering(E1, true);
    await expect(client(E1).send(new GetRoutingControlStateCommand({ RoutingControlArn: EAST }))).resolves.toBeDefined();
    sim.setEndpointAnswering(E2, false);
    await expect(client(E2).send(new GetRoutingControlStateCommand({ RoutingControlArn: EAST }))).rejects.toBeInstanceOf(EndpointTemporarilyUnavailableException);
  });
});

describe('SimArc traffic', () => {
  it('moves users to the secondary cell once the health check flipped and the TTL passed (failover routing)', async () => {
    const { client, sim, clock } = setup();
    expect(sim.servingShare(EAST, at(0))).toBe(1);
    clock.advanceTo(at(60));
    await client(E2).send(
      update([
        [WEST, 'On'],
        [EAST, 'Off'],
      ]),
    );
    // 10 s health check + 60 s TTL.
    expect(sim.servingShare(EAST, at(60 + 69))).toBe(1);
    expect(sim.servingShare(EAST, at(60 + 70))).toBe(0);
    expect(sim.servingShare(WEST, at(60 + 70))).toBe(1);
    expect(sim.snapshot().traffic).toEqual({ 'us-east-1-cell': 1, 'us-west-2-cell': 0 });
  });

  it('answers with the primary when no cell is On, and splits evenly in weighted routing', async () => {
    const both = setup((s) => {
      s.safetyRules = [];
    });
    await both.client(E2).send(update([[EAST, 'Off']]));
    expect(both.sim.servingShare(EAST, at(3600))).toBe(1);
    const weighted = setup((s) => {
      s.traffic = { cells: ['us-east-1-cell', 'us-west-2-cell'], routing: 'weighted' };
      s.routingControls = [
        { id: 'rc0east', name: 'us-east-1-cell', state: 'On' },
        { id: 'rc0west', name: 'us-west-2-cell', state: 'On' },
      ];
    });
    expect(weighted.sim.servingShare(WEST, at(0))).toBe(0.5);
  });
});

describe('ArcScenarioSchema', () => {
  it('checks references to routing controls', () => {
    const result = ArcScenarioSchema.safeParse(
      section((s) => {
        s.safetyRules = [{ id: 'sr0x', name: 'x', assertedControls: ['nope'] }];
        s.traffic = { cells: ['missing'] };
      }),
    );
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual([
      'routing control "nope" is not declared in routingControls',
      'routing control "missing" is not declared in routingControls',
    ]);
  });

  it('a scenario fault servedByCell must name a traffic cell of account.arc', () => {
    const input = scenarioInput();
    input.account.health['checkout']!.faults = [{ errorRatePercent: 30, when: { servedByCell: 'us-east-1-cell' } }];
    let checked = checkScenario(input);
    expect(checked.ok ? [] : checked.problems.map((p) => p.message)).toContain('"us-east-1-cell" is not one of account.arc.traffic.cells');
    input.account.arc = section();
    checked = checkScenario(input);
    expect(checked.ok).toBe(true);
  });
});

describe('the simulated account with account.arc', () => {
  const account = () =>
    fixtureAccount((s) => {
      s.account.arc = section();
      s.account.health['checkout']!.faults = [{ description: 'us-east-1 fails', errorRatePercent: 30, when: { servedByCell: 'us-east-1-cell' }, from: '+00:02' }];
    });

  it('ties the health model to the routing controls: failing over removes the regional fault once DNS follows', async () => {
    const acc = account();
    const adapter = new ArcRoutingControlAdapter(({ endpoint, region }) => acc.clients().arcCluster(endpoint, region), { random: () => 0 });
    const config = ArcConfigSchema.parse({
      clusterArn: `${PREFIX}:cluster/cl0shop`,
      clusterEndpoints: [
        { endpoint: E1, region: 'us-east-1' },
        { endpoint: E2, region: 'us-west-2' },
      ],
      primaryRoutingControlArn: EAST,
      secondaryRoutingControlArn: WEST,
    });
    acc.clock.advanceTo(at(6 * 60));
    expect(acc.health.errorRate('checkout', acc.clock.now())).toBeCloseTo(30.5);
    const result = await adapter.failover(config);
    // E1 is down from +00:05, so E2 answered.
    expect(result).toMatchObject({ status: 'applied', endpoint: E2 });
    expect(result.detail).toContain(`after ${E1} (EndpointTemporarilyUnavailableException`);
    const writes = acc.calls().filter((c) => c.command === 'UpdateRoutingControlStates' && c.error === undefined);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.endpoint).toBe(E2);
    expect(acc.health.errorRate('checkout', new Date(acc.clock.nowMs() + 69_000))).toBeCloseTo(30.5);
    expect(acc.health.errorRate('checkout', new Date(acc.clock.nowMs() + 70_000))).toBeCloseTo(0.5);
    expect(acc.observable()['arc']).toEqual({ 'us-east-1-cell': 'Off', 'us-west-2-cell': 'On' });
    expect(acc.snapshot().arc.endpoints.map((e) => e.answering)).toEqual([false, true, false]);
  });

  it('surfaces a safety rule refusal to the adapter as a non-retryable error', async () => {
    const acc = fixtureAccount((s) => {
      s.account.arc = section((a) => {
        // A rule that needs both cells On: no failover can satisfy it.
        a.safetyRules = [{ id: 'sr0both', name: 'both-on', assertedControls: ['us-east-1-cell', 'us-west-2-cell'], type: 'AND' }];
        a.routingControls = [
          { id: 'rc0east', name: 'us-east-1-cell', state: 'On' },
          { id: 'rc0west', name: 'us-west-2-cell', state: 'On' },
        ];
      });
    });
    const adapter = new ArcRoutingControlAdapter(({ endpoint, region }) => acc.clients().arcCluster(endpoint, region), { random: () => 0.5 });
    const config = ArcConfigSchema.parse({
      clusterArn: `${PREFIX}:cluster/cl0shop`,
      clusterEndpoints: [{ endpoint: E2, region: 'us-west-2' }],
      primaryRoutingControlArn: EAST,
      secondaryRoutingControlArn: WEST,
    });
    const err = await adapter.failover(config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArcSafetyRuleConflictError);
    expect((err as ArcSafetyRuleConflictError).safetyRuleArns).toEqual([`${PANEL}/safetyrule/sr0both`]);
    expect(acc.arc.state(EAST)).toBe('On');
  });
});
