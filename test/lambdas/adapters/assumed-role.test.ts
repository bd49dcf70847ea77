import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

import { AssumedRoleCredentials, AssumeRoleDeniedError } from '../../../lambdas/adapters/assumed-role.js';
import { AwsAccessDeniedError, classifyAwsError, TransientAwsError } from '../../../lambdas/adapters/errors.js';
import { type ClientSettings, type PlaceClients, withServiceClients } from '../../../lambdas/runtime/clients.js';
import { sdkError } from './sdk-errors.js';

const sts = mockClient(STSClient);
const ROLE = 'arn:aws:iam::222222222222:role/Tourniquet-prod-member';
const INCIDENT = 'inc-checkout-20261123T0309-5f2c1a';
const T0 = Date.parse('2026-11-23T03:10:00Z');

/** STS answering with credentials that expire `seconds` after the virtual now. */
function issues(now: () => number, seconds = 900) {
  let n = 0;
  sts.on(AssumeRoleCommand).callsFake(async () => {
    n += 1;
    return { Credentials: { AccessKeyId: `ASIA${n}`, SecretAccessKey: `secret-${n}`, SessionToken: `token-${n}`, Expiration: new Date(now() + seconds * 1000) } };
  });
}

function roles() {
  let now = T0;
  const clock = () => now;
  const credentials = new AssumedRoleCredentials(async () => sts as unknown as STSClient, { now: clock });
  return { credentials, clock, advance: (seconds: number) => void (now += seconds * 1000) };
}

describe('AssumedRoleCredentials', () => {
  beforeEach(() => {
    sts.reset();
  });

  it('assumes the member role with the incident id as session name, for 15 minutes', async () => {
    const { credentials, clock } = roles();
    issues(clock);
    const c = await credentials.credentials(ROLE, INCIDENT);
    expect(c).toEqual({ accessKeyId: 'ASIA1', secretAccessKey: 'secret-1', sessionToken: 'token-1', expiration: new Date(T0 + 900_000) });
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input)).toEqual([{ RoleArn: ROLE, RoleSessionName: INCIDENT, DurationSeconds: 900 }]);
  });

  it('caches per role and session, shares one call between concurrent callers, and keeps sessions apart', async () => {
    const { credentials, clock } = roles();
    issues(clock);
    const [a, b] = await Promise.all([credentials.credentials(ROLE, INCIDENT), credentials.provider(ROLE, INCIDENT)()]);
    expect(a).toBe(b);
    expect(await credentials.credentials(ROLE, INCIDENT)).toBe(a);
    const other = await credentials.credentials(ROLE, 'inc-payments-20261123T0311-0a0a0a');
    expect(other.accessKeyId).toBe('ASIA2');
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleSessionName)).toEqual([INCIDENT, 'inc-payments-20261123T0311-0a0a0a']);
  });

  it('renews credentials five minutes before they expire', async () => {
    const { credentials, clock, advance } = roles();
    issues(clock);
    const first = await credentials.credentials(ROLE, INCIDENT);
    advance(900 - 300 - 1);
    expect(await credentials.credentials(ROLE, INCIDENT)).toBe(first);
    advance(1);
    const renewed = await credentials.credentials(ROLE, INCIDENT);
    expect(renewed.accessKeyId).toBe('ASIA2');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('names the role and the account when AssumeRole is denied, and does not cache the failure', async () => {
    const { credentials } = roles();
    const denied = sdkError(
      'AccessDenied',
      `User: arn:aws:sts::111111111111:assumed-role/Tourniquet-prod-mitigate/Tourniquet-prod-mitigate is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`,
      { status: 403 },
    );
    sts.on(AssumeRoleCommand).rejects(denied);
    const error = await credentials.credentials(ROLE, INCIDENT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AssumeRoleDeniedError);
    // An access-denied error: the mitigate operation records "nothing was changed" and the workflow escalates.
    expect(error).toBeInstanceOf(AwsAccessDeniedError);
    expect(classifyAwsError(error, 'AppConfig GetHostedConfigurationVersion')).toBe(error);
    expect((error as Error).message).toContain(`Could not assume ${ROLE} in account 222222222222 (session ${INCIDENT}): AccessDenied: User: arn:aws:sts::111111111111`);
    expect((error as Error).message).toContain('Deploy the member stack in 222222222222');
    expect((error as Error & { cause: unknown }).cause).toBe(denied);
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIA9', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(T0 + 900_000) } });
    expect((await credentials.credentials(ROLE, INCIDENT)).accessKeyId).toBe('ASIA9');
  });

  it('leaves a throttled AssumeRole transient, for the workflow to retry', async () => {
    const { credentials } = roles();
    sts.on(AssumeRoleCommand).rejects(sdkError('Throttling', 'Rate exceeded'));
    await expect(credentials.credentials(ROLE, INCIDENT)).rejects.toBeInstanceOf(TransientAwsError);
  });
});

describe('withServiceClients', () => {
  beforeEach(() => {
    sts.reset();
  });

  /** Clients that say where they are: the settings they were made with. */
  function fakePlace(settings: ClientSettings): PlaceClients & { settings: ClientSettings } {
    const unused = async () => {
      throw new Error('not used');
    };
    return {
      settings,
      appconfig: unused,
      ecs: unused,
      cloudwatch: unused,
      sns: unused,
      route53: unused,
      wafv2: unused,
      arcCluster: unused,
      rds: unused,
      sfn: unused,
      secretsManager: unused,
      sts: async () => sts as unknown as STSClient,
    } as PlaceClients & { settings: ClientSettings };
  }

  it('answers a service here with the home clients and memoises each place and session', async () => {
    const made: ClientSettings[] = [];
    const home = fakePlace({});
    const clients = withServiceClients(home, (settings) => {
      made.push(settings);
      return fakePlace(settings);
    });
    expect(clients.forService({}, INCIDENT)).toBe(clients);
    expect(clients.forService({ account: '111111111111' }, INCIDENT)).toBe(clients);
    const remote = { account: '222222222222', region: 'eu-west-1', roleArn: ROLE };
    const there = clients.forService(remote, INCIDENT);
    expect(clients.forService(remote, INCIDENT)).toBe(there);
    expect(clients.forService(remote, 'inc-other')).not.toBe(there);
    // Another region of this account: no role, one place whatever the session.
    const regional = clients.forService({ region: 'eu-west-1' }, INCIDENT);
    expect(clients.forService({ region: 'eu-west-1' }, 'inc-other')).toBe(regional);
    expect(made.map((s) => ({ region: s.region, role: s.credentials !== undefined }))).toEqual([
      { region: 'eu-west-1', role: true },
      { region: 'eu-west-1', role: true },
      { region: 'eu-west-1', role: false },
    ]);
  });

  it("gives a workload account's clients the member role's credentials under the session name", async () => {
    issues(() => T0);
    const clients = withServiceClients(fakePlace({}), fakePlace, { now: () => T0 });
    const there = clients.forService({ account: '222222222222', region: 'eu-west-1', roleArn: ROLE }, INCIDENT) as unknown as { settings: ClientSettings };
    const credentials = await there.settings.credentials!();
    expect(credentials.accessKeyId).toBe('ASIA1');
    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toMatchObject({ RoleArn: ROLE, RoleSessionName: INCIDENT });
  });
});
