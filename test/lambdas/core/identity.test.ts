import { describe, expect, it } from '@jest/globals';

import { executionArnFor, executionConsoleUrl, executionNameFor, incidentIdFor, signalKeyFor } from '../../../lambdas/core/identity.js';

const signal = {
  alarmName: 'checkout 5xx rate (ALB) / prod',
  alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout 5xx rate (ALB) / prod',
  stateChangeTime: '2026-11-23T03:10:00.123+0000'.replace('+0000', 'Z'),
};

describe('deterministic names', () => {
  it('gives the same incident id and execution name for the same alarm transition', () => {
    expect(incidentIdFor(signal)).toBe(incidentIdFor({ ...signal }));
    expect(executionNameFor(signal)).toBe(executionNameFor({ ...signal }));
    expect(incidentIdFor(signal)).toMatch(/^inc-20261123T031000Z-[0-9a-f]{8}$/);
  });

  it('differs for another transition of the same alarm', () => {
    expect(incidentIdFor({ ...signal, stateChangeTime: '2026-11-23T04:10:00.000Z' })).not.toBe(incidentIdFor(signal));
  });

  it('makes valid Step Functions names (≤ 80 chars of [A-Za-z0-9-_]) even from long odd alarm names', () => {
    const name = executionNameFor({ ...signal, alarmName: `${'x'.repeat(200)} ü/ok` });
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(executionNameFor(signal)).toMatch(/^checkout-5xx-rate-ALB-prod-20261123T031000Z-[0-9a-f]{8}$/);
  });
});

describe('signal keys', () => {
  const transition = { alarmArn: signal.alarmArn, stateChangeTime: '2026-11-23T03:10:00.123Z', state: 'ALARM' as const };

  it('identify one transition: alarm, instant and new state', () => {
    expect(signalKeyFor(transition)).toMatch(/^[0-9a-f]{12}$/);
    expect(signalKeyFor({ ...transition, stateChangeTime: '2026-11-23T05:10:00.123+02:00' })).toBe(signalKeyFor(transition));
    expect(signalKeyFor({ ...transition, state: 'OK' })).not.toBe(signalKeyFor(transition));
    expect(signalKeyFor({ ...transition, stateChangeTime: '2026-11-23T03:10:00.124Z' })).not.toBe(signalKeyFor(transition));
    expect(signalKeyFor({ ...transition, alarmArn: `${signal.alarmArn}-2` })).not.toBe(signalKeyFor(transition));
  });
});

describe('execution ARNs', () => {
  it('are what Step Functions gives an execution of the state machine with that name', () => {
    expect(executionArnFor('arn:aws:states:eu-west-1:123456789012:stateMachine:Tourniquet-prod', 'n-1')).toBe(
      'arn:aws:states:eu-west-1:123456789012:execution:Tourniquet-prod:n-1',
    );
    expect(executionConsoleUrl('arn:aws:states:eu-west-1:123456789012:execution:Tourniquet-prod:n-1')).toBe(
      'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn%3Aaws%3Astates%3Aeu-west-1%3A123456789012%3Aexecution%3ATourniquet-prod%3An-1',
    );
  });
});
