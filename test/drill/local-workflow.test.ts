import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from '@jest/globals';

import { type LocalTaskHandler, LocalWorkflow } from '../../drill/local-workflow.js';
import { Scheduler } from '../../drill/scheduler.js';
import { VirtualClock } from '../../drill/sim/clock.js';

const START = '2026-11-23T03:00:00.000Z';
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Drill';
const hms = (d: Date | string) => new Date(d).toISOString().slice(11, 19);

/** Step → Wait 60 s → Step, with a 1-hour execution timeout (the deployed machine has 6 hours). */
const definition = {
  StartAt: 'First',
  TimeoutSeconds: 3600,
  States: {
    First: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:step', Next: 'Pause' },
    Pause: { Type: 'Wait', SecondsPath: '$.pauseSeconds', Next: 'Second' },
    Second: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:step', TimeoutSeconds: 30, End: true },
  },
};

function setup(step: LocalTaskHandler = async (input) => input) {
  const clock = new VirtualClock(START);
  const scheduler = new Scheduler(clock);
  const workflow = new LocalWorkflow({ definition, handlers: { First: step, Second: step }, scheduler, stateMachineArn: ARN });
  return { clock, scheduler, workflow };
}

describe('LocalWorkflow on the scheduler', () => {
  it('StartExecution returns at once; executions run interleaved on one clock', async () => {
    const log: string[] = [];
    const { scheduler, workflow } = setup(async (input) => {
      log.push(`${hms(scheduler.now())} ${(input as { id: string }).id}`);
      return input;
    });
    const sfn = workflow.client();
    scheduler.spawn('starter', async () => {
      const a = await sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'a', input: JSON.stringify({ id: 'a', pauseSeconds: 60 }) }));
      expect(a.executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:Drill:a');
      expect(workflow.executions.map((e) => [e.name, e.status, e.states])).toEqual([['a', 'RUNNING', []]]);
      await scheduler.sleep(10);
      await sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'b', input: JSON.stringify({ id: 'b', pauseSeconds: 20 }) }));
    });
    await scheduler.run();
    // a: 03:00:00 First, 1 s task, 60 s wait → 03:01:01 Second. b: 03:00:10 First → 03:00:31 Second.
    expect(log).toEqual(['03:00:00 a', '03:00:10 b', '03:00:31 b', '03:01:01 a']);
    expect(workflow.executions.map((e) => [e.name, e.status, e.states, hms(e.stoppedAt!)])).toEqual([
      ['a', 'SUCCEEDED', ['First', 'Pause', 'Second'], '03:01:02'],
      ['b', 'SUCCEEDED', ['First', 'Pause', 'Second'], '03:00:32'],
    ]);
    expect(workflow.running).toBe(0);
  });

  it('Standard name semantics: same name and input while running is idempotent, anything else ExecutionAlreadyExists', async () => {
    const { scheduler, workflow } = setup();
    const input = JSON.stringify({ id: 'a', pauseSeconds: 60 });
    const errors: string[] = [];
    scheduler.spawn('starter', async () => {
      const first = workflow.start('a', input);
      expect(workflow.start('a', input).arn).toBe(first.arn);
      try {
        workflow.start('a', JSON.stringify({ id: 'other', pauseSeconds: 1 }));
      } catch (error) {
        errors.push((error as Error).name);
      }
      await scheduler.sleep(3600);
      try {
        workflow.start('a', input);
      } catch (error) {
        errors.push((error as Error).name);
      }
    });
    await scheduler.run();
    expect(errors).toEqual(['ExecutionAlreadyExists', 'ExecutionAlreadyExists']);
    expect(workflow.executions).toHaveLength(1);
  });

  it('applies TimeoutSeconds in virtual time: a slow task fails with States.Timeout, a long wait times the execution out', async () => {
    const { scheduler, workflow } = setup(async (input) => {
      if ((input as { slow?: boolean }).slow) await scheduler.sleep(45);
      return input;
    });
    scheduler.spawn('starter', async () => {
      workflow.start('slow-task', JSON.stringify({ pauseSeconds: 1, slow: true }));
      workflow.start('long-wait', JSON.stringify({ pauseSeconds: 7200 }));
    });
    const outcome = await scheduler.run();
    const [slow, long] = workflow.executions;
    // First is slow too but has no TimeoutSeconds of its own; Second declares 30 s.
    expect(slow).toMatchObject({ status: 'FAILED', failures: [{ state: 'Second', error: 'States.Timeout' }] });
    expect(long).toMatchObject({ status: 'TIMED_OUT', states: ['First', 'Pause'], error: expect.stringMatching(/TimeoutSeconds \(3600 s\)/) });
    expect(hms(long!.stoppedAt!)).toBe('04:00:00');
    expect(outcome.reason).toBe('quiet');
  });
});
