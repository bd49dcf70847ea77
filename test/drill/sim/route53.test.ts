import {
  type Change,
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  HealthCheckVersionMismatch,
  InvalidChangeBatch,
  InvalidInput,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  NoSuchHealthCheck,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  type ResourceRecordSet,
  Route53Client,
  UpdateHealthCheckCommand,
} from '@aws-sdk/client-route-53';
import { describe, expect, it } from '@jest/globals';

import { VirtualClock } from '../../../drill/sim/clock.js';
import { canonicalName, type Route53ScenarioInput, Route53ScenarioSchema, SimRoute53 } from '../../../drill/sim/route53.js';
import { CallRecorder, wireClient } from '../../../drill/sim/wire.js';
import { TransientAwsError } from '../../../lambdas/adapters/errors.js';
import { Route53FailoverAdapter } from '../../../lambdas/adapters/route53-failover.js';

const START = '2026-11-23T10:00:00.000Z';
const ZONE = 'Z0123456789ABC';
const HC_PRIMARY = '8f2b6a1e-3c4d-4e5f-9a0b-1c2d3e4f5a6b';
const HC_SECONDARY = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const HC_GREEN = '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e';

/** Seconds after START. */
const at = (seconds: number) => new Date(Date.parse(START) + seconds * 1000);

function section(edit?: (s: Route53ScenarioInput) => void): Route53ScenarioInput {
  const s: Route53ScenarioInput = {
    hostedZone: { id: ZONE, name: 'example.com' },
    healthChecks: [
      // 10 s × 3: Route 53 reacts 30 s after the endpoint does.
      { id: HC_PRIMARY, type: 'HTTPS', fqdn: 'primary.example.com', resourcePath: '/health', requestIntervalSeconds: 10, failureThreshold: 3 },
      { id: HC_SECONDARY, fqdn: 'secondary.example.com' },
      { id: HC_GREEN, fqdn: 'green.example.com', requestIntervalSeconds: 10, failureThreshold: 1 },
    ],
    records: [
      { name: 'api.example.com', type: 'A', setIdentifier: 'primary', failover: 'PRIMARY', ttl: 60, values: ['192.0.2.10'], healthCheckId: HC_PRIMARY },
      { name: 'api.example.com', type: 'A', setIdentifier: 'secondary', failover: 'SECONDARY', ttl: 60, values: ['198.51.100.10'] },
      { name: 'www.example.com', setIdentifier: 'blue', weight: 90, ttl: 30, values: ['192.0.2.20'] },
      { name: 'www.example.com', setIdentifier: 'green', weight: 10, ttl: 30, values: ['198.51.100.20'], healthCheckId: HC_GREEN },
      {
        name: 'edge.example.com',
        setIdentifier: 'east',
        weight: 100,
        alias: { hostedZoneId: 'Z35SXDOTRQ7X7K', dnsName: 'east-lb-1.us-east-1.elb.amazonaws.com', evaluateTargetHealth: true },
      },
      { name: 'edge.example.com', setIdentifier: 'west', weight: 0, alias: { hostedZoneId: 'Z1H1FL5HABSF5', dnsName: 'west-lb-1.us-west-2.elb.amazonaws.com' } },
      { name: 'static.example.com', ttl: 300, values: ['203.0.113.5'] },
    ],
  };
  edit?.(s);
  return s;
}

function setup(edit?: (s: Route53ScenarioInput) => void) {
  const clock = new VirtualClock(START);
  const sim = SimRoute53.fromScenario(Route53ScenarioSchema.parse(section(edit)), { clock, startsAt: START });
  const recorder = new CallRecorder();
  const client = wireClient(new Route53Client({ region: 'us-east-1', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } }), {
    service: sim,
    clock,
    recorder,
    origin: 'drill',
  });
  return { clock, sim, client, recorder };
}

const upsert = (r: ResourceRecordSet): Change => ({ Action: 'UPSERT', ResourceRecordSet: r });
const blue = (weight: number): ResourceRecordSet => ({
  Name: 'www.example.com',
  Type: 'A',
  SetIdentifier: 'blue',
  Weight: weight,
  TTL: 30,
  ResourceRecords: [{ Value: '192.0.2.20' }],
});
const green = (weight: number): ResourceRecordSet => ({
  Name: 'www.example.com.',
  Type: 'A',
  SetIdentifier: 'green',
  Weight: weight,
  TTL: 30,
  ResourceRecords: [{ Value: '198.51.100.20' }],
  HealthCheckId: HC_GREEN,
});
const change = (...changes: Change[]) => new ChangeResourceRecordSetsCommand({ HostedZoneId: ZONE, ChangeBatch: { Comment: 'test', Changes: changes } });

describe('simulated Route 53: ListResourceRecordSets', () => {
  it('lists records by reversed name, then type and set identifier, with canonical names', async () => {
    const { client } = setup();
    const out = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE }));
    expect(out.ResourceRecordSets?.map((r) => [r.Name, r.Type, r.SetIdentifier ?? ''])).toEqual([
      ['api.example.com.', 'A', 'primary'],
      ['api.example.com.', 'A', 'secondary'],
      ['edge.example.com.', 'A', 'east'],
      ['edge.example.com.', 'A', 'west'],
      ['static.example.com.', 'A', ''],
      ['www.example.com.', 'A', 'blue'],
      ['www.example.com.', 'A', 'green'],
    ]);
    expect(out.IsTruncated).toBe(false);
    expect(out.ResourceRecordSets?.[2]).toEqual({
      Name: 'edge.example.com.',
      Type: 'A',
      SetIdentifier: 'east',
      Weight: 100,
      AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: 'east-lb-1.us-east-1.elb.amazonaws.com.', EvaluateTargetHealth: true },
    });
  });

  it('starts at StartRecordName/Type and pages with NextRecordName, Type and Identifier', async () => {
    const { client } = setup();
    const first = await client.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: `/hostedzone/${ZONE}`, StartRecordName: 'WWW.example.com', StartRecordType: 'A', MaxItems: 1 }),
    );
    expect(first.ResourceRecordSets?.map((r) => r.SetIdentifier)).toEqual(['blue']);
    expect(first).toMatchObject({ IsTruncated: true, NextRecordName: 'www.example.com.', NextRecordType: 'A', NextRecordIdentifier: 'green' });
    const second = await client.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: ZONE,
        StartRecordName: first.NextRecordName,
        StartRecordType: first.NextRecordType,
        StartRecordIdentifier: first.NextRecordIdentifier,
      }),
    );
    expect(second.ResourceRecordSets?.map((r) => r.SetIdentifier)).toEqual(['green']);
    expect(second.IsTruncated).toBe(false);
  });

  it('answers NoSuchHostedZone for an unknown zone and InvalidInput for a type without a name', async () => {
    const { client } = setup();
    await expect(client.send(new ListResourceRecordSetsCommand({ HostedZoneId: 'ZNOPE' }))).rejects.toBeInstanceOf(NoSuchHostedZone);
    await expect(client.send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE, StartRecordType: 'A' }))).rejects.toBeInstanceOf(InvalidInput);
  });
});

describe('simulated Route 53: ChangeResourceRecordSets and GetChange', () => {
  it('returns a PENDING change that becomes INSYNC after 60 simulated seconds; listing shows it at once', async () => {
    const { client, clock } = setup();
    const out = await client.send(change(upsert(blue(0)), upsert(green(100))));
    expect(out.ChangeInfo).toEqual({ Id: expect.stringMatching(/^\/change\/C[0-9A-Z]{13}$/), Status: 'PENDING', SubmittedAt: at(0), Comment: 'test' });
    const listed = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE, StartRecordName: 'www.example.com', StartRecordType: 'A' }));
    expect(listed.ResourceRecordSets?.map((r) => r.Weight)).toEqual([0, 100]);

    const status = async () => (await client.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id }))).ChangeInfo?.Status;
    clock.advanceTo(at(59));
    expect(await status()).toBe('PENDING');
    clock.advanceTo(at(60));
    expect(await status()).toBe('INSYNC');
    await expect(client.send(new GetChangeCommand({ Id: '/change/CNOSUCHCHANGE1' }))).rejects.toBeInstanceOf(NoSuchChange);
  });

  it('refuses a second change to the zone while one is PENDING (PriorRequestNotComplete), and accepts it after INSYNC', async () => {
    const { client, clock } = setup();
    await client.send(change(upsert(blue(50))));
    clock.advanceTo(at(30));
    await expect(client.send(change(upsert(blue(40))))).rejects.toBeInstanceOf(PriorRequestNotComplete);
    clock.advanceTo(at(60));
    await expect(client.send(change(upsert(blue(40))))).resolves.toHaveProperty('ChangeInfo.Status', 'PENDING');
  });

  it('queues changes instead when rejectWhilePending is off', async () => {
    const { client } = setup((s) => {
      s.rejectWhilePending = false;
    });
    await client.send(change(upsert(blue(50))));
    await expect(client.send(change(upsert(blue(40))))).resolves.toHaveProperty('ChangeInfo.Status', 'PENDING');
  });

  it('validates CREATE and DELETE like Route 53 and applies a batch all or nothing', async () => {
    const { client, sim } = setup();
    const before = sim.snapshot().hostedZones[0]!.records;

    const dup = await client.send(change(upsert(blue(1)), { Action: 'CREATE', ResourceRecordSet: green(10) })).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(InvalidChangeBatch);
    expect((dup as InvalidChangeBatch).messages).toEqual(["Tried to create resource record set [name='www.example.com.', type='A', set-identifier='green'] but it already exists"]);

    const wrongDelete = await client.send(change({ Action: 'DELETE', ResourceRecordSet: green(11) })).catch((e: unknown) => e);
    expect((wrongDelete as InvalidChangeBatch).messages).toEqual([
      "Tried to delete resource record set [name='www.example.com.', type='A', set-identifier='green'] but the values provided do not match the current values",
    ]);
    const missing = await client.send(change({ Action: 'DELETE', ResourceRecordSet: { ...blue(90), SetIdentifier: 'purple' } })).catch((e: unknown) => e);
    expect((missing as InvalidChangeBatch).message).toContain('but it was not found');
    // Nothing of the failed batches was applied.
    expect(sim.snapshot().hostedZones[0]!.records).toEqual(before);

    await client.send(change({ Action: 'DELETE', ResourceRecordSet: green(10) }));
    expect(
      sim
        .snapshot()
        .hostedZones[0]!.records.filter((r) => r.Name === 'www.example.com.')
        .map((r) => r.SetIdentifier),
    ).toEqual(['blue']);
  });

  it('refuses malformed records and conflicting routing', async () => {
    const { client } = setup();
    const send = (...changes: Change[]) => client.send(change(...changes));
    await expect(send(upsert(blue(256)))).rejects.toBeInstanceOf(InvalidInput);
    await expect(send(upsert({ Name: 'x.example.com', Type: 'A', ResourceRecords: [{ Value: '192.0.2.1' }] }))).rejects.toThrow('Expected exactly one of [AliasTarget');
    await expect(send(upsert({ Name: 'x.example.com', Type: 'A', Weight: 1, TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] }))).rejects.toThrow(
      "Missing field 'SetIdentifier'",
    );
    await expect(send(upsert({ Name: 'x.example.com', Type: 'A', SetIdentifier: 'eu', Region: 'eu-west-1', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] }))).rejects.toThrow(
      'Region is not supported',
    );
    await expect(send(upsert({ ...green(5), HealthCheckId: '00000000-0000-4000-8000-000000000000' }))).rejects.toBeInstanceOf(NoSuchHealthCheck);

    const outside = await send(upsert({ Name: 'api.example.org', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] })).catch((e: unknown) => e);
    expect((outside as InvalidChangeBatch).messages).toEqual(['RRSet with DNS name api.example.org. is not permitted in zone example.com.']);
    const badIp = await send(upsert({ ...blue(5), ResourceRecords: [{ Value: 'not-an-ip' }] })).catch((e: unknown) => e);
    expect((badIp as InvalidChangeBatch).message).toContain('ARRDATAIllegalIPv4Address');
    const mixed = await send(upsert({ Name: 'www.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] })).catch((e: unknown) => e);
    expect((mixed as InvalidChangeBatch).messages?.[0]).toContain('cannot mix routing policies');
    const twoPrimaries = await send(
      upsert({ Name: 'api.example.com', Type: 'A', SetIdentifier: 'other', Failover: 'PRIMARY', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] }),
    ).catch((e: unknown) => e);
    expect((twoPrimaries as InvalidChangeBatch).messages).toEqual(['RRSet with DNS name api.example.com., type A has more than one PRIMARY failover record']);
    const cname = await send(upsert({ Name: 'static.example.com', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'elsewhere.example.net' }] })).catch((e: unknown) => e);
    expect((cname as InvalidChangeBatch).messages?.[0]).toContain('conflicts with other records');
  });
});

describe('simulated Route 53: health checks', () => {
  it('returns the configuration and version, and updates it with an optimistic version check', async () => {
    const { client } = setup();
    const got = await client.send(new GetHealthCheckCommand({ HealthCheckId: HC_PRIMARY }));
    expect(got.HealthCheck).toEqual({
      Id: HC_PRIMARY,
      CallerReference: expect.any(String),
      HealthCheckVersion: 1,
      HealthCheckConfig: {
        Type: 'HTTPS',
        FullyQualifiedDomainName: 'primary.example.com',
        Port: 443,
        ResourcePath: '/health',
        RequestInterval: 10,
        FailureThreshold: 3,
        MeasureLatency: false,
        Inverted: false,
        Disabled: false,
        EnableSNI: true,
      },
    });
    const updated = await client.send(new UpdateHealthCheckCommand({ HealthCheckId: HC_PRIMARY, HealthCheckVersion: 1, Inverted: true, Disabled: true }));
    expect(updated.HealthCheck).toMatchObject({ HealthCheckVersion: 2, HealthCheckConfig: { Inverted: true, Disabled: true } });
    await expect(client.send(new UpdateHealthCheckCommand({ HealthCheckId: HC_PRIMARY, HealthCheckVersion: 1, Inverted: false }))).rejects.toBeInstanceOf(
      HealthCheckVersionMismatch,
    );
    // Without a version the update always applies.
    await expect(client.send(new UpdateHealthCheckCommand({ HealthCheckId: HC_PRIMARY, Inverted: false }))).resolves.toHaveProperty('HealthCheck.HealthCheckVersion', 3);
    await expect(client.send(new UpdateHealthCheckCommand({ HealthCheckId: HC_PRIMARY, Regions: ['us-east-1'] }))).rejects.toBeInstanceOf(InvalidInput);
    await expect(client.send(new GetHealthCheckCommand({ HealthCheckId: '00000000-0000-4000-8000-000000000000' }))).rejects.toBeInstanceOf(NoSuchHealthCheck);
  });

  it('reports the checkers’ observations of the endpoint', async () => {
    const { client, sim, clock } = setup();
    sim.setEndpointHealth(HC_PRIMARY, false, at(100));
    clock.advanceTo(at(125));
    const out = await client.send(new GetHealthCheckStatusCommand({ HealthCheckId: HC_PRIMARY }));
    expect(out.HealthCheckObservations).toHaveLength(3);
    expect(out.HealthCheckObservations?.[0]).toEqual({
      Region: 'us-east-1',
      IPAddress: expect.any(String),
      StatusReport: { Status: 'Failure: HTTP Status Code 503, Service Unavailable', CheckedTime: at(120) },
    });
  });

  it('reacts after RequestInterval × FailureThreshold, and Inverted + Disabled always reads unhealthy', async () => {
    const { client, sim } = setup();
    sim.setEndpointHealth(HC_PRIMARY, false, at(100));
    expect(sim.healthCheckStatus(HC_PRIMARY, at(129))).toBe('Healthy');
    expect(sim.healthCheckStatus(HC_PRIMARY, at(130))).toBe('Unhealthy');
    sim.setEndpointHealth(HC_PRIMARY, true, at(200));
    expect(sim.healthCheckStatus(HC_PRIMARY, at(230))).toBe('Healthy');

    await client.send(new UpdateHealthCheckCommand({ HealthCheckId: HC_PRIMARY, Inverted: true, Disabled: true }));
    expect(sim.healthCheckStatus(HC_PRIMARY, at(29))).toBe('Healthy');
    expect(sim.healthCheckStatus(HC_PRIMARY, at(30))).toBe('Unhealthy');
    // Disabled ignores the endpoint: still unhealthy while the endpoint is down.
    expect(sim.healthCheckStatus(HC_PRIMARY, at(150))).toBe('Unhealthy');
  });

  it('asks the health model for endpoint health when one is wired', () => {
    const clock = new VirtualClock(START);
    const asked: string[] = [];
    const sim = SimRoute53.fromScenario(Route53ScenarioSchema.parse(section()), {
      clock,
      startsAt: START,
      endpointHealth: (id, when) => {
        asked.push(`${id}@${when.toISOString()}`);
        return id === HC_PRIMARY ? when < at(60) : undefined;
      },
    });
    expect(sim.healthCheckStatus(HC_PRIMARY, at(89))).toBe('Healthy');
    expect(sim.healthCheckStatus(HC_PRIMARY, at(90))).toBe('Unhealthy');
    expect(sim.healthCheckStatus(HC_SECONDARY, at(90))).toBe('Healthy');
    expect(asked).toContain(`${HC_PRIMARY}@${at(60).toISOString()}`);
  });
});

describe('simulated Route 53: what DNS clients see', () => {
  it('fails over when the primary endpoint fails, after the check reacts and the TTL expires', () => {
    const { sim } = setup();
    sim.setEndpointHealth(HC_PRIMARY, false, at(100));
    // Route 53 flips at 130 s (30 s reaction); resolvers keep the primary for the 60 s TTL.
    expect(sim.servingSetIdentifier(ZONE, 'api.example.com', at(189))).toBe('primary');
    expect(sim.servingSetIdentifier(ZONE, 'API.example.com.', at(190))).toBe('secondary');
    expect(sim.servingShares(ZONE, 'api.example.com', at(190))).toEqual({ secondary: 1 });
  });

  it('keeps answering with the primary when the secondary is unhealthy too', () => {
    const { sim } = setup((s) => {
      s.records[1]!.healthCheckId = HC_SECONDARY;
      s.healthChecks![1]!.healthy = false;
    });
    sim.setEndpointHealth(HC_PRIMARY, false, at(0));
    expect(sim.servingSetIdentifier(ZONE, 'api.example.com', at(600))).toBe('primary');
  });

  it('follows a health-check inversion: reaction time plus TTL', async () => {
    const { client, sim } = setup();
    await client.send(new UpdateHealthCheckCommand({ HealthCheckId: HC_PRIMARY, HealthCheckVersion: 1, Inverted: true, Disabled: true }));
    expect(sim.servingSetIdentifier(ZONE, 'api.example.com', at(89))).toBe('primary');
    expect(sim.servingSetIdentifier(ZONE, 'api.example.com', at(90))).toBe('secondary');
  });

  it('splits weighted traffic by weight and moves it only after INSYNC plus TTL', async () => {
    const { client, sim } = setup();
    expect(sim.servingShares(ZONE, 'www.example.com', at(0))).toEqual({ blue: 0.9, green: 0.1 });
    await client.send(change(upsert(blue(0)), upsert(green(100))));
    // INSYNC at 60 s, TTL 30 s.
    expect(sim.servingShares(ZONE, 'www.example.com', at(89))).toEqual({ blue: 0.9, green: 0.1 });
    expect(sim.servingShares(ZONE, 'www.example.com', at(90))).toEqual({ green: 1 });
    expect(sim.servingShare(ZONE, 'www.example.com', 'blue', at(90))).toBe(0);
    expect(sim.servingSetIdentifier(ZONE, 'www.example.com', at(90))).toBe('green');
  });

  it('gives zero-weight records traffic only when every weighted one is unhealthy', async () => {
    const { client, sim } = setup();
    await client.send(change(upsert(blue(0)), upsert(green(100))));
    sim.setEndpointHealth(HC_GREEN, false, at(200));
    // green reacts in 10 s × 1, then the 30 s TTL.
    expect(sim.servingShares(ZONE, 'www.example.com', at(239))).toEqual({ green: 1 });
    expect(sim.servingShares(ZONE, 'www.example.com', at(240))).toEqual({ blue: 1 });
  });

  it('treats every record as healthy when none is, and splits evenly when all weights are 0', async () => {
    const { client, sim } = setup((s) => {
      s.records[2]!.healthCheckId = HC_SECONDARY;
      s.healthChecks![1]!.healthy = false;
      s.healthChecks![2]!.healthy = false;
    });
    expect(sim.servingShares(ZONE, 'www.example.com', at(0))).toEqual({ blue: 0.9, green: 0.1 });
    expect(sim.servingShares(ZONE, 'edge.example.com', at(0))).toEqual({ east: 1 });
    await client.send(
      change(
        upsert({
          Name: 'edge.example.com',
          Type: 'A',
          SetIdentifier: 'east',
          Weight: 0,
          AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: 'east-lb-1.us-east-1.elb.amazonaws.com', EvaluateTargetHealth: true },
        }),
      ),
    );
    // Alias records age with the alias TTL (60 s) after INSYNC (60 s).
    expect(sim.servingShares(ZONE, 'edge.example.com', at(119))).toEqual({ east: 1 });
    expect(sim.servingShares(ZONE, 'edge.example.com', at(120))).toEqual({ east: 0.5, west: 0.5 });
    expect(sim.servingShares(ZONE, 'static.example.com', at(0))).toEqual({ '': 1 });
    expect(sim.servingShares(ZONE, 'nothing.example.com', at(0))).toEqual({});
    expect(sim.servingSetIdentifier(ZONE, 'nothing.example.com', at(0))).toBeUndefined();
  });

  it('snapshots zones, changes, health checks and what clients see, as plain JSON', async () => {
    const { client, sim, clock, recorder } = setup();
    await client.send(change(upsert(blue(0)), upsert(green(100))));
    clock.advanceTo(at(30));
    const snap = sim.snapshot();
    expect(snap.changes).toEqual([
      { id: expect.stringMatching(/^\/change\//), hostedZoneId: ZONE, status: 'PENDING', submittedAt: at(0).toISOString(), insyncAt: at(60).toISOString(), comment: 'test' },
    ]);
    expect(snap.healthChecks.find((h) => h.id === HC_PRIMARY)).toEqual({
      id: HC_PRIMARY,
      type: 'HTTPS',
      inverted: false,
      disabled: false,
      version: 1,
      requestIntervalSeconds: 10,
      failureThreshold: 3,
      endpointHealthy: true,
      status: 'Healthy',
    });
    expect(snap.dns.find((d) => d.name === 'www.example.com.')).toEqual({ hostedZoneId: ZONE, name: 'www.example.com.', type: 'A', shares: { blue: 0.9, green: 0.1 } });
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(recorder.list()).toEqual([expect.objectContaining({ service: 'route53', command: 'ChangeResourceRecordSets', origin: 'drill' })]);
  });
});

describe('Route53ScenarioSchema', () => {
  it('fills defaults', () => {
    const parsed = Route53ScenarioSchema.parse(section());
    expect(parsed).toMatchObject({ propagationSeconds: 60, aliasTtlSeconds: 60, rejectWhilePending: true });
    expect(parsed.healthChecks[1]).toMatchObject({ type: 'HTTPS', requestIntervalSeconds: 30, failureThreshold: 3, inverted: false, disabled: false, healthy: true, changes: [] });
  });

  it('refuses records that are neither alias nor plain, routing without a set identifier, and unknown health checks', () => {
    const issues = (edit: (s: Route53ScenarioInput) => void) => {
      const r = Route53ScenarioSchema.safeParse(section(edit));
      return r.success ? [] : r.error.issues.map((i) => i.message);
    };
    expect(issues((s) => void (s.records[0]!.alias = { hostedZoneId: 'Z1', dnsName: 'x.example.net' }))).toContain('a record has either alias, or both ttl and values');
    expect(issues((s) => void delete s.records[2]!.setIdentifier)).toContain('weighted and failover records need a setIdentifier; simple records have none');
    expect(issues((s) => void (s.records[1]!.healthCheckId = '00000000-0000-4000-8000-000000000000'))).toContain(
      'health check 00000000-0000-4000-8000-000000000000 is not declared in healthChecks',
    );
    expect(issues((s) => void (s.healthChecks![0]!.changes = [{ at: '5 minutes', healthy: false }]))).toHaveLength(1);
  });

  it('applies endpoint health changes at their offsets', () => {
    const clock = new VirtualClock(START);
    const sim = SimRoute53.fromScenario(Route53ScenarioSchema.parse(section((s) => void (s.healthChecks![0]!.changes = [{ at: '+00:02', healthy: false }]))), {
      clock,
      startsAt: START,
    });
    expect(sim.healthCheckStatus(HC_PRIMARY, at(149))).toBe('Healthy');
    expect(sim.healthCheckStatus(HC_PRIMARY, at(150))).toBe('Unhealthy');
  });

  it('canonicalName writes names the way Route 53 lists them', () => {
    expect(canonicalName('WWW.Example.com')).toBe('www.example.com.');
    expect(canonicalName('*.example.com.')).toBe('\\052.example.com.');
    expect(canonicalName('\\052.example.com.')).toBe('\\052.example.com.');
  });
});

describe('the Route 53 failover adapter against the simulation', () => {
  const weighted = { mode: 'weighted', hostedZoneId: ZONE, recordName: 'www.example.com', recordType: 'A', primarySetIdentifier: 'blue', secondarySetIdentifier: 'green' } as const;
  const healthCheck = { mode: 'health-check', hostedZoneId: ZONE, recordName: 'api.example.com', primaryHealthCheckId: HC_PRIMARY } as const;

  it('weighted: fails over, is idempotent, retries PriorRequestNotComplete as transient, and restores exactly', async () => {
    const { client, clock, sim } = setup();
    const adapter = new Route53FailoverAdapter(client);
    const original = sim.snapshot().hostedZones[0]!.records;

    const first = await adapter.failover(weighted, { comment: 'INC-1 failover' });
    expect(first).toMatchObject({ status: 'applied', settleSeconds: 90, changeId: expect.stringMatching(/^\/change\//) });
    expect(await adapter.changeStatus(first.changeId!)).toBe('PENDING');
    expect((await adapter.failover(weighted, { comment: 'again' })).status).toBe('already-applied');
    await expect(adapter.restore(weighted, first.before)).rejects.toBeInstanceOf(TransientAwsError);

    clock.advanceTo(at(first.settleSeconds));
    expect(await adapter.changeStatus(first.changeId!)).toBe('INSYNC');
    expect(sim.servingSetIdentifier(ZONE, 'www.example.com', clock.now())).toBe('green');

    const undo = await adapter.restore(weighted, first.before);
    expect(undo.status).toBe('applied');
    expect(sim.snapshot().hostedZones[0]!.records).toEqual(original);
    expect((await adapter.restore(weighted, first.before)).status).toBe('already-applied');
  });

  it('health-check: inverts and disables the check, then restores it', async () => {
    const { client, clock, sim } = setup();
    const adapter = new Route53FailoverAdapter(client);
    const done = await adapter.failover(healthCheck, { comment: 'INC-2' });
    // 10 s × 3 reaction + 60 s TTL.
    expect(done).toMatchObject({ status: 'applied', settleSeconds: 90, after: { inverted: true, disabled: true, healthCheckVersion: 2 } });
    clock.advanceTo(at(done.settleSeconds));
    expect(sim.servingSetIdentifier(ZONE, 'api.example.com', clock.now())).toBe('secondary');
    expect((await adapter.failover(healthCheck, { comment: 'INC-2' })).status).toBe('already-applied');
    expect((await adapter.restore(healthCheck, done.before)).after).toMatchObject({ inverted: false, disabled: false });
    expect(sim.servingSetIdentifier(ZONE, 'api.example.com', at(done.settleSeconds * 2 + 1))).toBe('primary');
  });
});
