import {
  AccessDeniedException,
  ConflictException,
  EndpointTemporarilyUnavailableException,
  GetRoutingControlStateCommand,
  ListRoutingControlsCommand,
  ResourceNotFoundException,
  Route53RecoveryClusterClient,
  type RoutingControlState,
  ThrottlingException,
  UpdateRoutingControlStatesCommand,
} from '@aws-sdk/client-route53-recovery-cluster';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import {
  type ArcEndpoint,
  ArcEndpointsUnavailableError,
  ArcRoutingControlAdapter,
  ArcRoutingControlNotFoundError,
  ArcSafetyRuleConflictError,
  type ArcState,
  ArcStateMismatchError,
  controlPanelOf,
} from '../../../lambdas/adapters/arc-routing-control.js';
import { AwsAccessDeniedError, TransientAwsError } from '../../../lambdas/adapters/errors.js';
import { type ArcConfig, ArcConfigSchema } from '../../../lambdas/core/config.js';
import { sdkError } from './sdk-errors.js';

const ACCOUNT = '111122223333';
const PANEL = `arn:aws:route53-recovery-control::${ACCOUNT}:controlpanel/0123456789abcdef0123456789abcdef`;
const PRIMARY = `${PANEL}/routingcontrol/abcdef0123456789`;
const SECONDARY = `${PANEL}/routingcontrol/0123456789abcdef`;
const RULE = `${PANEL}/safetyrule/aaaabbbbccccdddd`;
const ENDPOINTS: ArcEndpoint[] = [
  { endpoint: 'https://aaaaaaaa.route53-recovery-cluster.us-east-1.amazonaws.com/v1', region: 'us-east-1' },
  { endpoint: 'https://bbbbbbbb.route53-recovery-cluster.us-west-2.amazonaws.com/v1', region: 'us-west-2' },
  { endpoint: 'https://cccccccc.route53-recovery-cluster.eu-west-1.amazonaws.com/v1', region: 'eu-west-1' },
];
const config = (overrides: Partial<ArcConfig> = {}): ArcConfig =>
  ArcConfigSchema.parse({
    clusterArn: `arn:aws:route53-recovery-control::${ACCOUNT}:cluster/4b325d3b-0e28-4dcf-ba4a-97e5d3a0e6b1`,
    clusterEndpoints: ENDPOINTS,
    primaryRoutingControlArn: PRIMARY,
    secondaryRoutingControlArn: SECONDARY,
    ...overrides,
  });

// One client (and one mock) per endpoint, as the real factory makes them.
const clients = ENDPOINTS.map((e) => new Route53RecoveryClusterClient({ region: e.region, endpoint: e.endpoint }));
const mocks = clients.map((c) => mockClient(c));
const clientFor = (e: ArcEndpoint) => clients[ENDPOINTS.findIndex((x) => x.endpoint === e.endpoint)]!;
/** An adapter whose first call starts at endpoint `start`. */
const adapter = (start = 0) => new ArcRoutingControlAdapter(clientFor, { random: () => start / ENDPOINTS.length });
const meta = { $metadata: { httpStatusCode: 400 } };
const NAMES: Record<string, string> = { [PRIMARY]: 'us-east-1-cell', [SECONDARY]: 'us-west-2-cell' };

function givenStates(primary: RoutingControlState, secondary: RoutingControlState, on: number[] = [0, 1, 2]): void {
  for (const i of on) {
    for (const [arn, state] of [
      [PRIMARY, primary],
      [SECONDARY, secondary],
    ] as const) {
      mocks[i]!.on(GetRoutingControlStateCommand, { RoutingControlArn: arn }).resolves({ RoutingControlArn: arn, RoutingControlState: state, RoutingControlName: NAMES[arn] });
    }
    mocks[i]!.on(UpdateRoutingControlStatesCommand).resolves({});
  }
}

const unavailable = () =>
  new EndpointTemporarilyUnavailableException({ message: 'The cluster endpoint isn’t available. Try another cluster endpoint.', $metadata: { httpStatusCode: 503 } });
const updates = (i: number) => mocks[i]!.commandCalls(UpdateRoutingControlStatesCommand).map((c) => c.args[0].input);
const allUpdates = () => [0, 1, 2].flatMap(updates);

beforeEach(() => {
  for (const m of mocks) m.reset();
});

describe('ArcRoutingControlAdapter.failover', () => {
  it('sets the secondary On and the primary Off in one UpdateRoutingControlStates call, honouring every safety rule', async () => {
    givenStates('On', 'Off');
    const result = await adapter().failover(config());
    expect(result).toMatchObject({
      status: 'applied',
      before: { primaryArn: PRIMARY, primary: 'On', secondaryArn: SECONDARY, secondary: 'Off' },
      after: { primaryArn: PRIMARY, primary: 'Off', secondaryArn: SECONDARY, secondary: 'On' },
      endpoint: ENDPOINTS[0]!.endpoint,
    });
    expect(allUpdates()).toEqual([
      {
        UpdateRoutingControlStateEntries: [
          { RoutingControlArn: SECONDARY, RoutingControlState: 'On' },
          { RoutingControlArn: PRIMARY, RoutingControlState: 'Off' },
        ],
      },
    ]);
    expect(result.detail).toContain('us-west-2-cell (0123456789abcdef) On (was Off) and us-east-1-cell (abcdef0123456789) Off (was On)');
    expect(result.detail).toContain('honouring every safety rule');
    expect(result.detail).toContain(`via ${ENDPOINTS[0]!.endpoint} in us-east-1`);
  });

  it('passes SafetyRulesToOverride only when the config lists rules', async () => {
    givenStates('On', 'Off');
    await adapter().failover(config({ safetyRulesToOverride: [RULE] }));
    expect(allUpdates()[0]).toMatchObject({ SafetyRulesToOverride: [RULE] });
  });

  it('is idempotent: secondary On and primary Off is already-applied and nothing is written', async () => {
    givenStates('Off', 'On');
    const result = await adapter().failover(config());
    expect(result).toMatchObject({ status: 'already-applied', before: { primary: 'Off', secondary: 'On' }, after: { primary: 'Off', secondary: 'On' } });
    expect(result.detail).toContain('already On');
    expect(allUpdates()).toHaveLength(0);
  });

  it('fails over from both On (active-active) by turning the primary Off', async () => {
    givenStates('On', 'On');
    const result = await adapter().failover(config());
    expect(result.status).toBe('applied');
    expect(result.after).toMatchObject({ primary: 'Off', secondary: 'On' });
  });

  it('moves on to the next endpoint when one is unavailable, and reports which one answered', async () => {
    givenStates('On', 'Off', [1, 2]);
    mocks[0]!.onAnyCommand().rejects(unavailable());
    const a = adapter(0);
    const result = await a.failover(config());
    expect(result.status).toBe('applied');
    expect(result.endpoint).toBe(ENDPOINTS[1]!.endpoint);
    expect(result.detail).toContain(`via ${ENDPOINTS[1]!.endpoint} in us-west-2`);
    expect(updates(1)).toHaveLength(1);
    expect(updates(0)).toHaveLength(0);
    // Endpoint 0 was tried once; every later call started at the endpoint that answered.
    expect(mocks[0]!.calls()).toHaveLength(1);
    expect(mocks[2]!.calls()).toHaveLength(0);
  });

  it('moves on after throttling, a server error and an unreachable host; wraps around from a random start', async () => {
    givenStates('On', 'Off', [0]);
    mocks[2]!.onAnyCommand().rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));
    // A DNS failure for the endpoint's host, as Node reports it.
    mocks[1]!.onAnyCommand().rejects(Object.assign(new Error('getaddrinfo ENOTFOUND bbbbbbbb.route53-recovery-cluster.us-west-2.amazonaws.com'), { code: 'ENOTFOUND' }));
    const result = await adapter(1).failover(config());
    expect(result.endpoint).toBe(ENDPOINTS[0]!.endpoint);
    expect(updates(0)).toHaveLength(1);
    mocks[0]!.reset();
    mocks[0]!.onAnyCommand().rejects(sdkError('InternalServerException', 'boom', { fault: 'server', status: 500 }));
    givenStates('On', 'Off', [2]);
    mocks[2]!.reset();
    givenStates('On', 'Off', [2]);
    expect((await adapter(0).failover(config())).endpoint).toBe(ENDPOINTS[2]!.endpoint);
  });

  it('throws a retryable ArcEndpointsUnavailableError naming every endpoint when none answers', async () => {
    for (const m of mocks) m.onAnyCommand().rejects(unavailable());
    const err = await adapter()
      .failover(config())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArcEndpointsUnavailableError);
    expect(err).toBeInstanceOf(TransientAwsError);
    expect((err as Error).name).toBe('TransientAwsError');
    for (const e of ENDPOINTS) expect((err as Error).message).toContain(e.endpoint);
  });

  it('turns a safety-rule ConflictException into a non-retryable error naming the rule, without trying other endpoints', async () => {
    givenStates('On', 'Off');
    mocks[0]!
      .on(UpdateRoutingControlStatesCommand)
      .rejects(
        new ConflictException({ message: `Cannot update routing control states: the update violates safety rule ${RULE}`, resourceId: RULE, resourceType: 'SafetyRule', ...meta }),
      );
    const err = await adapter()
      .failover(config())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArcSafetyRuleConflictError);
    expect(err).not.toBeInstanceOf(TransientAwsError);
    expect((err as ArcSafetyRuleConflictError).safetyRuleArns).toEqual([RULE]);
    expect((err as Error).message).toMatch(
      new RegExp(`^ARC safety rule ${RULE} refused UpdateRoutingControlStates \\(routing controls 0123456789abcdef → On and abcdef0123456789 → Off\\)`),
    );
    expect((err as Error).message).toContain('honoured, not overridden');
    expect(updates(1)).toHaveLength(0);
    expect(updates(2)).toHaveLength(0);
  });

  it('leaves a ConflictException that names no safety rule to the workflow to retry, without asking another endpoint', async () => {
    givenStates('On', 'Off');
    mocks[0]!
      .on(UpdateRoutingControlStatesCommand)
      .rejects(new ConflictException({ message: 'There was a conflict with this request. Try again.', resourceId: undefined, resourceType: undefined, ...meta }));
    await expect(adapter().failover(config())).rejects.toThrow(TransientAwsError);
    expect(updates(1)).toHaveLength(0);
  });

  it('does not ask other endpoints after access denied or a missing routing control', async () => {
    mocks[0]!.onAnyCommand().rejects(new AccessDeniedException({ message: 'not authorized to perform route53-recovery-cluster:GetRoutingControlState', ...meta }));
    await expect(adapter().failover(config())).rejects.toBeInstanceOf(AwsAccessDeniedError);
    expect(mocks[1]!.calls()).toHaveLength(0);
    mocks[0]!.reset();
    mocks[0]!.onAnyCommand().rejects(new ResourceNotFoundException({ message: 'Routing control not found', resourceId: PRIMARY, resourceType: 'RoutingControl', ...meta }));
    const err = await adapter()
      .failover(config())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArcRoutingControlNotFoundError);
    expect((err as Error).message).toContain('check the routing control ARNs');
  });
});

describe('ArcRoutingControlAdapter.preview', () => {
  it('says what a failover would change without writing', async () => {
    givenStates('On', 'Off');
    const p = await adapter().preview(config());
    expect(p).toMatchObject({ wouldChange: true, before: { primary: 'On', secondary: 'Off' }, endpoint: ENDPOINTS[0]!.endpoint });
    expect(p.notExecutable).toBeUndefined();
    expect(p.detail).toMatch(/^Would set ARC routing control us-west-2-cell .* On \(now Off\)/);
    expect(allUpdates()).toHaveLength(0);
  });

  it('says "already in place" when traffic is already on the secondary', async () => {
    givenStates('Off', 'On');
    const p = await adapter().preview(config());
    expect(p).toMatchObject({ wouldChange: false, before: { primary: 'Off', secondary: 'On' } });
    expect(p.notExecutable).toBeUndefined();
    expect(p.detail).toContain('already on the secondary cell');
  });

  it('is not executable when the secondary routing control cannot be found on the cluster', async () => {
    givenStates('On', 'Off');
    for (const m of mocks)
      m.on(GetRoutingControlStateCommand, { RoutingControlArn: SECONDARY }).rejects(
        new ResourceNotFoundException({ message: 'not found', resourceId: SECONDARY, resourceType: 'RoutingControl', ...meta }),
      );
    const p = await adapter().preview(config());
    expect(p.wouldChange).toBe(false);
    expect(p.before).toBeUndefined();
    expect(p.notExecutable).toContain(SECONDARY);
  });
});

describe('ArcRoutingControlAdapter.restore', () => {
  const failedOver: ArcState = { primaryArn: PRIMARY, primary: 'Off', secondaryArn: SECONDARY, secondary: 'On' };
  const normal: ArcState = { primaryArn: PRIMARY, primary: 'On', secondaryArn: SECONDARY, secondary: 'Off' };

  it('sets both routing controls back to the recorded states in one call', async () => {
    givenStates('Off', 'On');
    const result = await adapter().restore(config(), normal);
    expect(result).toMatchObject({ status: 'applied', before: failedOver, after: normal });
    expect(allUpdates()).toEqual([
      {
        UpdateRoutingControlStateEntries: [
          { RoutingControlArn: SECONDARY, RoutingControlState: 'Off' },
          { RoutingControlArn: PRIMARY, RoutingControlState: 'On' },
        ],
      },
    ]);
    expect(result.detail).toContain('Restored ARC routing controls in one UpdateRoutingControlStates call');
  });

  it('writes nothing when the recorded states are already in place', async () => {
    givenStates('On', 'Off');
    expect((await adapter().restore(config(), normal)).status).toBe('already-applied');
    expect(allUpdates()).toHaveLength(0);
  });

  it('refuses a recorded state of other routing controls', async () => {
    await expect(adapter().restore(config(), { ...normal, primaryArn: `${PANEL}/routingcontrol/ffffffffffffffff` })).rejects.toBeInstanceOf(ArcStateMismatchError);
    for (const m of mocks) expect(m.calls()).toHaveLength(0);
  });
});

describe('ArcRoutingControlAdapter.readiness', () => {
  const listing = (primary: RoutingControlState, secondary: RoutingControlState) => ({
    RoutingControls: [
      { ControlPanelArn: PANEL, ControlPanelName: 'checkout', RoutingControlArn: PRIMARY, RoutingControlName: 'us-east-1-cell', RoutingControlState: primary, Owner: ACCOUNT },
      { ControlPanelArn: PANEL, ControlPanelName: 'checkout', RoutingControlArn: SECONDARY, RoutingControlName: 'us-west-2-cell', RoutingControlState: secondary, Owner: ACCOUNT },
    ],
  });

  it('asks every endpoint, finds both controls, expects the primary On and names no override', async () => {
    mocks[0]!.on(ListRoutingControlsCommand).rejects(unavailable());
    mocks[1]!.on(ListRoutingControlsCommand, { ControlPanelArn: PANEL }).resolves(listing('On', 'Off'));
    mocks[2]!.on(ListRoutingControlsCommand, { ControlPanelArn: PANEL }).resolves(listing('On', 'Off'));
    const checks = await adapter().readiness(config());
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks[0]!.detail).toMatch(/^2 of 3 endpoint\(s\) answered/);
    expect(checks[0]!.detail).toContain('EndpointTemporarilyUnavailableException');
    expect(checks.map((c) => c.check)).toEqual([
      expect.stringContaining('ARC cluster endpoints answer'),
      `primary routing control ${PRIMARY} on the cluster`,
      `secondary routing control ${SECONDARY} on the cluster`,
      'primary cell takes the traffic',
      'safety rules a failover may override',
    ]);
    expect(checks[4]!.detail).toMatch(/^none: every safety rule is honoured/);
  });

  it('is not ready when no endpoint answers, a control is missing, or traffic is already failed over', async () => {
    for (const m of mocks) m.on(ListRoutingControlsCommand).rejects(unavailable());
    let checks = await adapter().readiness(config());
    expect(checks[0]).toMatchObject({ ok: false });
    expect(checks[1]).toMatchObject({ ok: false, detail: 'could not be read: no endpoint answered' });

    for (const m of mocks) m.reset();
    for (const m of mocks) m.on(ListRoutingControlsCommand).resolves({ RoutingControls: listing('On', 'Off').RoutingControls.slice(0, 1) });
    checks = await adapter().readiness(config());
    expect(checks.find((c) => c.check.startsWith('secondary'))).toMatchObject({ ok: false, detail: expect.stringContaining('check arc.secondaryRoutingControlArn') });

    for (const m of mocks) m.reset();
    for (const m of mocks) m.on(ListRoutingControlsCommand).resolves(listing('Off', 'On'));
    checks = await adapter().readiness(config({ safetyRulesToOverride: [RULE] }));
    expect(checks.find((c) => c.check === 'primary cell takes the traffic')).toMatchObject({ ok: false, detail: expect.stringContaining('already on the secondary cell') });
    expect(checks.at(-1)!.detail).toContain(`configured to override ${RULE}`);
  });

  it('follows ListRoutingControls pages', async () => {
    const [p, s] = listing('On', 'Off').RoutingControls;
    for (const m of mocks) {
      m.on(ListRoutingControlsCommand, { ControlPanelArn: PANEL }).resolves({ RoutingControls: [p!], NextToken: 't1' });
      m.on(ListRoutingControlsCommand, { ControlPanelArn: PANEL, NextToken: 't1' }).resolves({ RoutingControls: [s!] });
    }
    const checks = await adapter().readiness(config());
    expect(checks.every((c) => c.ok)).toBe(true);
  });
});

describe('controlPanelOf', () => {
  it('is the routing control ARN up to /routingcontrol/', () => {
    expect(controlPanelOf(PRIMARY)).toBe(PANEL);
  });
});
