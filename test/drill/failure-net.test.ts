import { describe, expect, it } from '@jest/globals';

import { DrillFailureNet, FAILURE_NET_MAX_AGE_SECONDS, failureNetMessage, statusChangeEvent } from '../../drill/failure-net.js';
import type { ExecutionRecord } from '../../drill/local-workflow.js';
import { Scheduler } from '../../drill/scheduler.js';
import { VirtualClock } from '../../drill/sim/clock.js';

const START = '2026-11-23T03:00:00.000Z';
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Tourniquet-prod';
const failed: ExecutionRecord = {
  name: 'checkout-5xx-rate-20261123T030000Z-abcd1234',
  arn: `${ARN.replace(':stateMachine:', ':execution:')}:checkout-5xx-rate-20261123T030000Z-abcd1234`,
  status: 'FAILED',
  errorName: 'Tourniquet.EscalationFailed',
  cause: 'The escalate step failed after retries.',
  input: '{"incidentId":"inc-1"}',
  states: [],
  failures: [],
  startedAt: START,
  stoppedAt: START,
};

function setup(publish: (message: string) => Promise<{ messageId: string }>) {
  const clock = new VirtualClock(START);
  const scheduler = new Scheduler(clock);
  const recorded: unknown[] = [];
  const net = new DrillFailureNet({ scheduler, stateMachineArn: ARN, publish, record: async (e) => void recorded.push(e) });
  return { clock, scheduler, net, recorded };
}

describe('the drill failure net', () => {
  it('renders the page the deployed rule sends, from the status-change event', () => {
    const event = statusChangeEvent(failed, ARN);
    expect(event.detail).toMatchObject({ status: 'FAILED', error: 'Tourniquet.EscalationFailed', input: '{"incidentId":"inc-1"}' });
    expect(failureNetMessage(event)).toBe(
      `Tourniquet workflow ${failed.name} ended FAILED: a human must check the incident. Error: Tourniquet.EscalationFailed: The escalate step failed after retries.. Execution: ${failed.arn} (stopped at 2026-11-23T03:00:00Z).`,
    );
  });

  it('retries the page with backoff while SNS is down and delivers it after the outage; the record goes at once', async () => {
    const back = Date.parse(START) + 2 * 3600_000;
    const { clock, scheduler, net, recorded } = setup(async () => {
      if (clock.nowMs() < back) throw Object.assign(new Error('SNS is down'), { name: 'InternalErrorException' });
      return { messageId: 'page-1' };
    });
    net.onExecutionEnded({ ...failed, status: 'SUCCEEDED' });
    scheduler.spawn('execution', async () => net.onExecutionEnded(failed));
    await scheduler.run();
    expect(recorded).toHaveLength(1);
    const page = net.deliveries.find((d) => d.target === 'page')!;
    expect(page).toMatchObject({ messageId: 'page-1' });
    expect(page.deadLettered).toBeUndefined();
    expect(Date.parse(page.deliveredAt!) - back).toBeLessThanOrEqual(600_000);
    expect(net.pageIds).toEqual(new Set(['page-1']));
  });

  it('sends the event to the dead-letter queue once it is 24 hours old', async () => {
    const { clock, scheduler, net } = setup(async () => {
      throw new Error('still down');
    });
    scheduler.spawn('execution', async () => net.onExecutionEnded(failed));
    await scheduler.run();
    const page = net.deliveries.find((d) => d.target === 'page')!;
    expect(page.deadLettered).toBe('Error: still down');
    expect(page.attempts).toBeLessThanOrEqual(185);
    expect(clock.nowMs() - Date.parse(START)).toBeLessThanOrEqual(FAILURE_NET_MAX_AGE_SECONDS * 1000);
  });
});
