import { describe, expect, it } from '@jest/globals';
import { executionNameFor, incidentIdFor } from '../../../lambdas/core/identity.js';

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
