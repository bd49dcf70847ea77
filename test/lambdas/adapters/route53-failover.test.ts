import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  type HealthCheck,
  HealthCheckVersionMismatch,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  NoSuchHealthCheck,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  type ResourceRecordSet,
  Route53Client,
  UpdateHealthCheckCommand,
} from '@aws-sdk/client-route-53';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { AwsOperationError, AwsResourceNotFoundError, TransientAwsError } from '../../../lambdas/adapters/errors.js';
import {
  FailoverRecordNotFoundError,
  FailoverResultSchema,
  FailoverSetupError,
  type FailoverState,
  PriorChangePendingError,
  Route53FailoverAdapter,
} from '../../../lambdas/adapters/route53-failover.js';
import type { Route53Config } from '../../../lambdas/core/config.js';
import { sdkError } from './sdk-errors.js';

const ZONE = 'Z0123456789ABC';
const HC = '8f2b6a1e-3c4d-4e5f-9a0b-1c2d3e4f5a6b';
const OTHER_HC = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const route53 = mockClient(Route53Client);
const adapter = () => new Route53FailoverAdapter(new Route53Client({ region: 'us-east-1' }));
const meta = { $metadata: { httpStatusCode: 400 } };

const healthCheckConfig: Route53Config = { mode: 'health-check', hostedZoneId: ZONE, recordName: 'api.example.com', primaryHealthCheckId: HC };
const weightedConfig: Route53Config = {
  mode: 'weighted',
  hostedZoneId: ZONE,
  recordName: 'www.example.com',
  recordType: 'A',
  primarySetIdentifier: 'blue',
  secondarySetIdentifier: 'green',
};

function check(version: number, config: { inverted?: boolean; disabled?: boolean; interval?: number; threshold?: number; type?: 'HTTPS' | 'CALCULATED' } = {}): HealthCheck {
  const type = config.type ?? 'HTTPS';
  return {
    Id: HC,
    CallerReference: 'ref-1',
    HealthCheckVersion: version,
    HealthCheckConfig: {
      Type: type,
      ...(type === 'HTTPS'
        ? { FullyQualifiedDomainName: 'primary.example.com', RequestInterval: config.interval ?? 30, FailureThreshold: config.threshold ?? 3 }
        : { ChildHealthChecks: [OTHER_HC] }),
      Inverted: config.inverted ?? false,
      Disabled: config.disabled ?? false,
    },
  };
}

const failoverPrimary: ResourceRecordSet = {
  Name: 'api.example.com.',
  Type: 'A',
  SetIdentifier: 'primary',
  Failover: 'PRIMARY',
  TTL: 60,
  ResourceRecords: [{ Value: '192.0.2.10' }],
  HealthCheckId: HC,
};
const failoverSecondary: ResourceRecordSet = {
  Name: 'api.example.com.',
  Type: 'A',
  SetIdentifier: 'secondary',
  Failover: 'SECONDARY',
  TTL: 120,
  ResourceRecords: [{ Value: '198.51.100.10' }],
};
const nextName: ResourceRecordSet = { Name: 'static.example.com.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '203.0.113.5' }] };

const blue = (weight: number): ResourceRecordSet => ({
  Name: 'www.example.com.',
  Type: 'A',
  SetIdentifier: 'blue',
  Weight: weight,
  TTL: 60,
  ResourceRecords: [{ Value: '192.0.2.20' }, { Value: '192.0.2.21' }],
  HealthCheckId: HC,
});
const green = (weight: number): ResourceRecordSet => ({
  Name: 'www.example.com.',
  Type: 'A',
  SetIdentifier: 'green',
  Weight: weight,
  TTL: 300,
  ResourceRecords: [{ Value: '198.51.100.20' }],
});

function givenFailoverRecords(records: ResourceRecordSet[] = [failoverPrimary, failoverSecondary, nextName]): void {
  route53
    .on(ListResourceRecordSetsCommand, { HostedZoneId: ZONE, StartRecordName: 'api.example.com.' })
    .resolves({ ResourceRecordSets: records, IsTruncated: false, MaxItems: 300 });
}

function givenWeighted(...records: ResourceRecordSet[]): void {
  route53
    .on(ListResourceRecordSetsCommand, { HostedZoneId: ZONE, StartRecordName: 'www.example.com.', StartRecordType: 'A' })
    .resolves({ ResourceRecordSets: [...records, nextName], IsTruncated: false, MaxItems: 300 });
}

function givenChangeAccepted(id = '/change/C2682N5HXP0BZ4'): void {
  route53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: id, Status: 'PENDING', SubmittedAt: new Date('2026-11-23T10:00:00Z') } });
}

const upserts = () => route53.commandCalls(ChangeResourceRecordSetsCommand).map((c) => c.args[0].input.ChangeBatch?.Changes);

beforeEach(() => {
  route53.reset();
});

describe('Route53FailoverAdapter.failover, health-check mode', () => {
  it('inverts and disables the PRIMARY record’s health check at the version it read', async () => {
    givenFailoverRecords();
    route53.on(GetHealthCheckCommand, { HealthCheckId: HC }).resolves({ HealthCheck: check(7) });
    route53.on(UpdateHealthCheckCommand).resolves({ HealthCheck: check(8, { inverted: true, disabled: true }) });

    const result = await adapter().failover(healthCheckConfig, { comment: 'INC-1' });

    expect(FailoverResultSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({
      status: 'applied',
      mode: 'health-check',
      before: { mode: 'health-check', healthCheckId: HC, inverted: false, disabled: false, healthCheckVersion: 7 },
      after: { mode: 'health-check', healthCheckId: HC, inverted: true, disabled: true, healthCheckVersion: 8 },
      // 30 s × 3 reaction + the larger TTL of the pair (120 s).
      settleSeconds: 210,
    });
    expect(result.changeId).toBeUndefined();
    expect(result.detail).toMatch(/^Inverted and disabled health check .* SECONDARY record; allow 210 s/);
    expect(route53.commandCalls(UpdateHealthCheckCommand).map((c) => c.args[0].input)).toEqual([{ HealthCheckId: HC, HealthCheckVersion: 7, Inverted: true, Disabled: true }]);
  });

  it('is idempotent: an inverted and disabled check is already-applied and nothing is written', async () => {
    givenFailoverRecords();
    route53.on(GetHealthCheckCommand).resolves({ HealthCheck: check(8, { inverted: true, disabled: true }) });
    const result = await adapter().failover(healthCheckConfig, { comment: 'INC-1' });
    expect(result).toMatchObject({ status: 'already-applied', before: { inverted: true, disabled: true }, after: { inverted: true, disabled: true } });
    expect(route53.commandCalls(UpdateHealthCheckCommand)).toHaveLength(0);
  });

  it('still writes when the check is only inverted: an inverted check follows a failing endpoint back to the primary', async () => {
    givenFailoverRecords();
    route53.on(GetHealthCheckCommand).resolves({ HealthCheck: check(3, { inverted: true }) });
    route53.on(UpdateHealthCheckCommand).resolves({ HealthCheck: check(4, { inverted: true, disabled: true }) });
    expect((await adapter().failover(healthCheckConfig, { comment: 'x' })).status).toBe('applied');
  });

  it('re-reads the check and retries once on HealthCheckVersionMismatch', async () => {
    givenFailoverRecords();
    route53
      .on(GetHealthCheckCommand)
      .resolvesOnce({ HealthCheck: check(7) })
      .resolves({ HealthCheck: check(8) });
    route53
      .on(UpdateHealthCheckCommand)
      .rejectsOnce(new HealthCheckVersionMismatch({ message: 'version mismatch', ...meta }))
      .resolves({ HealthCheck: check(9, { inverted: true, disabled: true }) });

    const result = await adapter().failover(healthCheckConfig, { comment: 'x' });

    expect(route53.commandCalls(UpdateHealthCheckCommand).map((c) => c.args[0].input.HealthCheckVersion)).toEqual([7, 8]);
    expect(route53.commandCalls(GetHealthCheckCommand)).toHaveLength(2);
    expect(result).toMatchObject({ status: 'applied', before: { healthCheckVersion: 8 }, after: { healthCheckVersion: 9 } });
    expect(result.detail).toContain('after a concurrent update of the check');
  });

  it('reports already-applied when the re-read after a mismatch shows someone else failed over', async () => {
    givenFailoverRecords();
    route53
      .on(GetHealthCheckCommand)
      .resolvesOnce({ HealthCheck: check(7) })
      .resolves({ HealthCheck: check(8, { inverted: true, disabled: true }) });
    route53.on(UpdateHealthCheckCommand).rejects(new HealthCheckVersionMismatch({ message: 'version mismatch', ...meta }));
    const result = await adapter().failover(healthCheckConfig, { comment: 'x' });
    expect(result.status).toBe('already-applied');
    expect(route53.commandCalls(UpdateHealthCheckCommand)).toHaveLength(1);
  });

  it('gives up with a TransientAwsError after a second mismatch', async () => {
    givenFailoverRecords();
    route53.on(GetHealthCheckCommand).resolves({ HealthCheck: check(7) });
    route53.on(UpdateHealthCheckCommand).rejects(new HealthCheckVersionMismatch({ message: 'version mismatch', ...meta }));
    await expect(adapter().failover(healthCheckConfig, { comment: 'x' })).rejects.toThrow(TransientAwsError);
    expect(route53.commandCalls(UpdateHealthCheckCommand)).toHaveLength(2);
  });

  it('uses 30 s × 3 as the reaction time when the check has no interval (calculated checks) and 60 s for alias TTLs', async () => {
    const aliasPrimary: ResourceRecordSet = {
      Name: 'api.example.com.',
      Type: 'A',
      SetIdentifier: 'primary',
      Failover: 'PRIMARY',
      HealthCheckId: HC,
      AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: 'lb-1.us-east-1.elb.amazonaws.com.', EvaluateTargetHealth: true },
    };
    const aliasSecondary: ResourceRecordSet = { ...aliasPrimary, SetIdentifier: 'secondary', Failover: 'SECONDARY', HealthCheckId: undefined };
    givenFailoverRecords([aliasPrimary, aliasSecondary]);
    route53.on(GetHealthCheckCommand).resolves({ HealthCheck: check(2, { type: 'CALCULATED' }) });
    route53.on(UpdateHealthCheckCommand).resolves({ HealthCheck: check(3, { type: 'CALCULATED', inverted: true, disabled: true }) });
    expect((await adapter().failover(healthCheckConfig, { comment: 'x' })).settleSeconds).toBe(90 + 60);
  });

  it('refuses when no PRIMARY record uses the check, or there is no SECONDARY to fail over to', async () => {
    route53.on(GetHealthCheckCommand).resolves({ HealthCheck: check(1) });
    givenFailoverRecords([{ ...failoverPrimary, HealthCheckId: OTHER_HC }, failoverSecondary]);
    await expect(adapter().failover(healthCheckConfig, { comment: 'x' })).rejects.toThrow(FailoverSetupError);
    route53.reset();
    givenFailoverRecords([failoverPrimary, nextName]);
    await expect(adapter().failover(healthCheckConfig, { comment: 'x' })).rejects.toThrow(/no SECONDARY failover record api\.example\.com\. A/);
    route53.reset();
    givenFailoverRecords([nextName]);
    await expect(adapter().failover(healthCheckConfig, { comment: 'x' })).rejects.toBeInstanceOf(FailoverRecordNotFoundError);
    expect(route53.commandCalls(UpdateHealthCheckCommand)).toHaveLength(0);
  });

  it('explains a missing health check or hosted zone in terms of the config', async () => {
    givenFailoverRecords();
    route53.on(GetHealthCheckCommand).rejects(new NoSuchHealthCheck({ message: 'A health check with id x does not exist.', $metadata: { httpStatusCode: 404 } }));
    const err = await adapter()
      .failover(healthCheckConfig, { comment: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsResourceNotFoundError);
    expect((err as Error).message).toContain('check route53.primaryHealthCheckId');

    route53.reset();
    route53.on(ListResourceRecordSetsCommand).rejects(new NoSuchHostedZone({ message: 'No hosted zone found with ID: Z0123456789ABC', $metadata: { httpStatusCode: 404 } }));
    await expect(adapter().failover(healthCheckConfig, { comment: 'x' })).rejects.toThrow(/check route53\.hostedZoneId/);
  });
});

describe('Route53FailoverAdapter.failover, weighted mode', () => {
  it('moves all weight to the secondary in one batch of two UPSERTs that keep every other field', async () => {
    givenWeighted(blue(70), green(30));
    givenChangeAccepted();

    const result = await adapter().failover(weightedConfig, { comment: 'Tourniquet INC-7: fail over www' });

    expect(upserts()).toEqual([
      [
        { Action: 'UPSERT', ResourceRecordSet: blue(0) },
        { Action: 'UPSERT', ResourceRecordSet: green(100) },
      ],
    ]);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input).toMatchObject({
      HostedZoneId: ZONE,
      ChangeBatch: { Comment: 'Tourniquet INC-7: fail over www' },
    });
    expect(result).toMatchObject({
      status: 'applied',
      mode: 'weighted',
      changeId: '/change/C2682N5HXP0BZ4',
      before: { mode: 'weighted', hostedZoneId: ZONE, primary: blue(70), secondary: green(30) },
      after: { primary: blue(0), secondary: green(100) },
      // 60 s to INSYNC + the larger TTL (300 s).
      settleSeconds: 360,
    });
    expect(result.detail).toContain('blue 70 → 0, green 30 → 100');
  });

  it('keeps alias targets intact', async () => {
    const alias = (id: string, weight: number): ResourceRecordSet => ({
      Name: 'www.example.com.',
      Type: 'A',
      SetIdentifier: id,
      Weight: weight,
      AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: `${id}-lb.us-east-1.elb.amazonaws.com.`, EvaluateTargetHealth: true },
    });
    givenWeighted(alias('blue', 1), alias('green', 1));
    givenChangeAccepted();
    const result = await adapter().failover(weightedConfig, { comment: 'x' });
    expect(upserts()[0]).toEqual([
      { Action: 'UPSERT', ResourceRecordSet: alias('blue', 0) },
      { Action: 'UPSERT', ResourceRecordSet: alias('green', 2) },
    ]);
    expect(result.settleSeconds).toBe(60 + 60);
  });

  it('gives the secondary 100 when both weights are 0, and caps the sum at 255', async () => {
    givenWeighted(blue(0), green(0));
    givenChangeAccepted();
    // Both at 0 means an even split in Route 53, so this is not yet failed over.
    expect((await adapter().failover(weightedConfig, { comment: 'x' })).status).toBe('applied');
    expect(upserts()[0]?.map((c) => c.ResourceRecordSet?.Weight)).toEqual([0, 100]);
    route53.reset();
    givenWeighted(blue(200), green(100));
    givenChangeAccepted();
    await adapter().failover(weightedConfig, { comment: 'x'.repeat(300) });
    const input = route53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input;
    expect(input.ChangeBatch?.Changes?.map((c) => c.ResourceRecordSet?.Weight)).toEqual([0, 255]);
    expect(input.ChangeBatch?.Comment).toHaveLength(256);
  });

  it('is idempotent: primary at 0 and secondary above 0 is already-applied with no write', async () => {
    givenWeighted(blue(0), green(100));
    const result = await adapter().failover(weightedConfig, { comment: 'x' });
    expect(result).toMatchObject({ status: 'already-applied', before: { primary: blue(0) }, after: { primary: blue(0) } });
    expect(result.changeId).toBeUndefined();
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('a retry while its earlier change is still PENDING writes nothing and says so', async () => {
    givenWeighted(blue(0), green(100));
    route53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C123', Status: 'PENDING', SubmittedAt: new Date('2026-11-23T10:00:00Z') } });

    const result = await adapter().failover(weightedConfig, { comment: 'x', priorChangeId: '/change/C123' });

    expect(result.status).toBe('already-applied');
    expect(result.detail).toContain('Change C123 is still PENDING');
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('does not submit a change on top of a PENDING one, and names it', async () => {
    givenWeighted(blue(70), green(30));
    route53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C123', Status: 'PENDING', SubmittedAt: new Date('2026-11-23T10:00:00Z') } });

    const attempt = adapter().failover(weightedConfig, { comment: 'x', priorChangeId: 'C123' });

    await expect(attempt).rejects.toThrow(PriorChangePendingError);
    await expect(attempt).rejects.toThrow(TransientAwsError);
    await expect(attempt).rejects.toThrow(/change C123 to www\.example\.com.* is still PENDING; not submitting a conflicting change/);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);

    route53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C123', Status: 'INSYNC', SubmittedAt: new Date('2026-11-23T10:00:00Z') } });
    givenChangeAccepted();
    await expect(adapter().failover(weightedConfig, { comment: 'x', priorChangeId: 'C123' })).resolves.toMatchObject({ status: 'applied' });
  });

  it('names other weighted records that keep their share', async () => {
    givenWeighted(blue(50), green(25), { ...green(25), SetIdentifier: 'canary' });
    givenChangeAccepted();
    expect((await adapter().failover(weightedConfig, { comment: 'x' })).detail).toContain('Other weighted records keep their share: canary (weight 25).');
  });

  it('follows pagination inside the record name', async () => {
    route53
      .on(ListResourceRecordSetsCommand, { StartRecordName: 'www.example.com.', StartRecordType: 'A', StartRecordIdentifier: undefined })
      .resolves({ ResourceRecordSets: [blue(70)], IsTruncated: true, NextRecordName: 'www.example.com.', NextRecordType: 'A', NextRecordIdentifier: 'green', MaxItems: 1 });
    route53
      .on(ListResourceRecordSetsCommand, { StartRecordName: 'www.example.com.', StartRecordType: 'A', StartRecordIdentifier: 'green' })
      .resolves({ ResourceRecordSets: [green(30), nextName], IsTruncated: true, NextRecordName: 'x.example.com.', NextRecordType: 'A', MaxItems: 2 });
    givenChangeAccepted();
    expect((await adapter().failover(weightedConfig, { comment: 'x' })).status).toBe('applied');
    expect(route53.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(2);
  });

  it('refuses missing or non-weighted records', async () => {
    givenWeighted(blue(70));
    const err = await adapter()
      .failover(weightedConfig, { comment: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailoverRecordNotFoundError);
    expect((err as Error).message).toContain('with set identifier "green"');
    route53.reset();
    givenWeighted(blue(70), { ...green(30), Weight: undefined, Failover: 'SECONDARY' });
    await expect(adapter().failover(weightedConfig, { comment: 'x' })).rejects.toThrow(FailoverSetupError);
  });

  it('turns PriorRequestNotComplete and Throttling into TransientAwsError, InvalidChangeBatch into a clear AwsOperationError', async () => {
    givenWeighted(blue(70), green(30));
    route53
      .on(ChangeResourceRecordSetsCommand)
      .rejects(new PriorRequestNotComplete({ message: 'The request was rejected because Route 53 was still processing a prior request.', ...meta }));
    const prior = await adapter()
      .failover(weightedConfig, { comment: 'x' })
      .catch((e: unknown) => e);
    expect(prior).toBeInstanceOf(TransientAwsError);
    expect((prior as Error).message).toContain('another change to the hosted zone is still being applied');

    route53.on(ChangeResourceRecordSetsCommand).rejects(sdkError('Throttling', 'Rate exceeded'));
    await expect(adapter().failover(weightedConfig, { comment: 'x' })).rejects.toBeInstanceOf(TransientAwsError);

    route53.on(ChangeResourceRecordSetsCommand).rejects(new InvalidChangeBatch({ message: '[a, b]', messages: ['RRSet a is bad', 'RRSet b is bad'], ...meta }));
    const invalid = await adapter()
      .failover(weightedConfig, { comment: 'x' })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(AwsOperationError);
    expect((invalid as Error).message).toContain('Route 53 rejected the change batch: RRSet a is bad; RRSet b is bad');
  });
});

describe('Route53FailoverAdapter.changeStatus', () => {
  it('reports PENDING and INSYNC from GetChange', async () => {
    route53
      .on(GetChangeCommand)
      .resolvesOnce({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date('2026-11-23T10:00:00Z') } })
      .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date('2026-11-23T10:00:00Z') } });
    expect(await adapter().changeStatus('/change/C1')).toBe('PENDING');
    expect(await adapter().changeStatus('/change/C1')).toBe('INSYNC');
    expect(route53.commandCalls(GetChangeCommand)[0]!.args[0].input).toEqual({ Id: '/change/C1' });
  });
});

describe('Route53FailoverAdapter.restore', () => {
  const weightedBefore: FailoverState = { mode: 'weighted', hostedZoneId: ZONE, primary: blue(70), secondary: green(30) } as FailoverState;

  it('weighted: UPSERTs exactly the recorded records', async () => {
    givenWeighted(blue(0), { ...green(100), TTL: 60 });
    givenChangeAccepted('/change/C2');
    const result = await adapter().restore(weightedConfig, weightedBefore, { comment: 'undo INC-7' });
    expect(upserts()).toEqual([
      [
        { Action: 'UPSERT', ResourceRecordSet: blue(70) },
        { Action: 'UPSERT', ResourceRecordSet: green(30) },
      ],
    ]);
    expect(result).toMatchObject({ status: 'applied', changeId: '/change/C2', before: { primary: blue(0) }, after: weightedBefore });
  });

  it('weighted: is idempotent once the records match (value order aside)', async () => {
    givenWeighted({ ...blue(70), ResourceRecords: [{ Value: '192.0.2.21' }, { Value: '192.0.2.20' }] }, green(30));
    const result = await adapter().restore(weightedConfig, weightedBefore);
    expect(result.status).toBe('already-applied');
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('health-check: restores Inverted and Disabled as recorded', async () => {
    givenFailoverRecords();
    route53.on(GetHealthCheckCommand).resolves({ HealthCheck: check(8, { inverted: true, disabled: true }) });
    route53.on(UpdateHealthCheckCommand).resolves({ HealthCheck: check(9) });
    const before: FailoverState = { mode: 'health-check', healthCheckId: HC, inverted: false, disabled: false, healthCheckVersion: 7 };
    const result = await adapter().restore(healthCheckConfig, before);
    expect(route53.commandCalls(UpdateHealthCheckCommand).map((c) => c.args[0].input)).toEqual([{ HealthCheckId: HC, HealthCheckVersion: 8, Inverted: false, Disabled: false }]);
    expect(result).toMatchObject({ status: 'applied', after: { inverted: false, disabled: false, healthCheckVersion: 9 } });

    route53.reset();
    givenFailoverRecords();
    route53.on(GetHealthCheckCommand).resolves({ HealthCheck: check(9) });
    expect((await adapter().restore(healthCheckConfig, before)).status).toBe('already-applied');
  });

  it('refuses a recorded state that belongs to another setup', async () => {
    await expect(adapter().restore(healthCheckConfig, weightedBefore)).rejects.toThrow(FailoverSetupError);
    await expect(adapter().restore(weightedConfig, { ...weightedBefore, primary: { ...blue(70), SetIdentifier: 'red' } } as FailoverState)).rejects.toThrow(FailoverSetupError);
    expect(route53.calls()).toHaveLength(0);
  });
});

describe('Route53FailoverAdapter.previewFailover', () => {
  it('says what it would do without writing', async () => {
    givenWeighted(blue(70), green(30));
    const weighted = await adapter().previewFailover(weightedConfig);
    expect(weighted).toMatchObject({ wouldChange: true, after: { primary: blue(0), secondary: green(100) }, settleSeconds: 360 });
    expect(weighted.detail).toMatch(/^Would set/);

    givenFailoverRecords();
    route53.on(GetHealthCheckCommand).resolves({ HealthCheck: check(8, { inverted: true, disabled: true }) });
    expect(await adapter().previewFailover(healthCheckConfig)).toMatchObject({ wouldChange: false, settleSeconds: 210 });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
    expect(route53.commandCalls(UpdateHealthCheckCommand)).toHaveLength(0);
  });
});

describe('Route53FailoverAdapter.secondaryHealth', () => {
  const SECONDARY_HC = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
  const observations = (success: number, failure: number) => ({
    HealthCheckObservations: [
      ...Array.from({ length: success }, (_, i) => ({
        Region: 'us-east-1' as const,
        IPAddress: `15.177.0.${i}`,
        StatusReport: { Status: 'Success: HTTP Status Code 200, OK', CheckedTime: new Date('2026-11-23T10:00:00Z') },
      })),
      ...Array.from({ length: failure }, (_, i) => ({
        Region: 'eu-west-1' as const,
        IPAddress: `15.177.1.${i}`,
        StatusReport: { Status: 'Failure: HTTP Status Code 503, Service Unavailable', CheckedTime: new Date('2026-11-23T10:00:00Z') },
      })),
    ],
  });

  it("reads the SECONDARY failover record's own health check and finds it healthy", async () => {
    givenFailoverRecords([failoverPrimary, { ...failoverSecondary, HealthCheckId: SECONDARY_HC }, nextName]);
    route53.on(GetHealthCheckStatusCommand, { HealthCheckId: SECONDARY_HC }).resolves(observations(14, 2));

    const health = await adapter().secondaryHealth(healthCheckConfig);

    expect(health).toMatchObject({ healthCheckId: SECONDARY_HC, status: 'healthy', healthyCheckers: 14, checkers: 16 });
    expect(health.detail).toContain('is healthy (14 of 16 checkers report success)');
  });

  it('calls the secondary unhealthy at 18% of checkers or fewer, as Route 53 does', async () => {
    givenFailoverRecords([failoverPrimary, { ...failoverSecondary, HealthCheckId: SECONDARY_HC }, nextName]);
    route53.on(GetHealthCheckStatusCommand).resolves(observations(2, 14));

    const health = await adapter().secondaryHealth(healthCheckConfig);

    expect(health.status).toBe('unhealthy');
    expect(health.detail).toContain('2 of 16 checkers report success (Failure: HTTP Status Code 503, Service Unavailable)');
  });

  it("reads the secondary weighted record's health check in weighted mode", async () => {
    givenWeighted(blue(100), { ...green(0), HealthCheckId: SECONDARY_HC });
    route53.on(GetHealthCheckStatusCommand, { HealthCheckId: SECONDARY_HC }).resolves(observations(8, 0));

    await expect(adapter().secondaryHealth(weightedConfig)).resolves.toMatchObject({ healthCheckId: SECONDARY_HC, status: 'healthy' });
    expect(route53.commandCalls(GetHealthCheckStatusCommand)).toHaveLength(1);
  });

  it('is unknown, with no call, when the secondary record has no health check', async () => {
    givenFailoverRecords();

    const health = await adapter().secondaryHealth(healthCheckConfig);

    expect(health.status).toBe('unknown');
    expect(health.detail).toContain('has no health check');
    expect(route53.commandCalls(GetHealthCheckStatusCommand)).toHaveLength(0);
  });

  it('is unknown when the status cannot be read through the API (a calculated check)', async () => {
    givenFailoverRecords([failoverPrimary, { ...failoverSecondary, HealthCheckId: SECONDARY_HC }, nextName]);
    route53.on(GetHealthCheckStatusCommand).rejects(sdkError('InvalidInput', 'calculated health checks have no status'));

    await expect(adapter().secondaryHealth(healthCheckConfig)).resolves.toMatchObject({ status: 'unknown', healthCheckId: SECONDARY_HC });
  });

  it('names a missing secondary health check', async () => {
    givenFailoverRecords([failoverPrimary, { ...failoverSecondary, HealthCheckId: SECONDARY_HC }, nextName]);
    route53.on(GetHealthCheckStatusCommand).rejects(new NoSuchHealthCheck({ message: 'gone', ...meta }));

    await expect(adapter().secondaryHealth(healthCheckConfig)).rejects.toBeInstanceOf(AwsResourceNotFoundError);
  });
});
