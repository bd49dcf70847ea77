import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { findAlarm, parseConfig, type TourniquetConfig } from '../core/config.js';
import { AlarmEventInvalidError, parseAlarmEvent } from '../core/alarm-event.js';
import { executionNameFor } from '../core/identity.js';
import type { AlarmSignal } from '../core/signal.js';
import type { WorkflowInput } from '../core/model.js';
import { SnsPublisher } from '../adapters/sns-publisher.js';
import { classifyAwsError } from '../adapters/errors.js';
import { readEnv } from '../runtime/env.js';
import { lambdaHandler, logger } from '../runtime/lambda.js';

/** The validated config, embedded by esbuild at bundle time (Lambda env vars are capped at 4 KB). */
declare const __TOURNIQUET_CONFIG__: string | undefined;

export interface StartExecutionDeps {
  readonly config: TourniquetConfig;
  readonly sfn: Pick<SFNClient, 'send'>;
  readonly stateMachineArn: string;
  readonly publisher: Pick<SnsPublisher, 'publish'>;
  readonly escalationTopicArn: string;
}

export interface StartSummary {
  readonly started: string[];
  readonly alreadyRunning: string[];
  readonly ignored: string[];
  readonly unknownAlarms: string[];
}

/** Input handed to the state machine; `ReadExecutionContext` adds the execution reference. */
export type StarterOutput = Omit<WorkflowInput, 'execution'>;

/**
 * Turns an alarm (EventBridge event or SNS notification) into one state-machine execution per
 * ALARM transition. The execution name is derived from the alarm and its transition time, so
 * duplicate deliveries start nothing new. Alarms that are not configured and events that cannot
 * be parsed are reported to the escalation topic: nothing is dropped silently.
 */
export function createStartExecutionHandler(deps: StartExecutionDeps) {
  const report = async (subject: string, message: string): Promise<void> => {
    await deps.publisher.publish({ topicArn: deps.escalationTopicArn, subject, message });
  };

  return async (event: unknown): Promise<StartSummary> => {
    let signals: AlarmSignal[];
    try {
      signals = parseAlarmEvent(event);
    } catch (error) {
      if (!(error instanceof AlarmEventInvalidError)) throw error;
      logger.error('alarm event rejected', { error });
      await report('[Tourniquet] Alarm event rejected', `An alarm event reached Tourniquet but could not be read: ${error.message}\nNo incident was opened. Check the alarm's action or the EventBridge rule.`);
      return { started: [], alreadyRunning: [], ignored: [], unknownAlarms: [] };
    }

    const summary: StartSummary = { started: [], alreadyRunning: [], ignored: [], unknownAlarms: [] };
    for (const signal of signals) {
      if (signal.state !== 'ALARM') {
        summary.ignored.push(`${signal.alarmName} (${signal.state})`);
        continue;
      }
      const owner = findAlarm(deps.config, signal.alarmName);
      if (!owner) {
        summary.unknownAlarms.push(signal.alarmName);
        await report(
          `[Tourniquet] Unconfigured alarm: ${signal.alarmName}`,
          `Alarm "${signal.alarmName}" (${signal.alarmArn}) entered ALARM at ${signal.stateChangeTime}, but no service in the Tourniquet config owns it, so no incident was opened. Reason: ${signal.reason}`,
        );
        continue;
      }
      const input: StarterOutput = {
        signal,
        service: owner.service,
        settings: {
          changeWindowMinutes: deps.config.changeWindowMinutes,
          dryRun: deps.config.dryRun || owner.service.dryRun,
          stage: deps.config.stage,
          maintenanceWindows: deps.config.maintenanceWindows
            .filter((w) => !w.services || w.services.includes(owner.service.name))
            .map(({ start, end, reason }) => ({ start, end, ...(reason ? { reason } : {}) })),
        },
      };
      const name = executionNameFor(signal);
      try {
        await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: deps.stateMachineArn, name, input: JSON.stringify(input) }));
        summary.started.push(name);
        logger.info('execution started', { name, alarm: signal.alarmName });
      } catch (error) {
        if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
          summary.alreadyRunning.push(name);
          logger.info('duplicate delivery: execution already exists', { name });
          continue;
        }
        throw classifyAwsError(error, `StartExecution ${name}`);
      }
    }
    return summary;
  };
}

export const handler = lambdaHandler(() => {
  if (typeof __TOURNIQUET_CONFIG__ !== 'string') throw new Error('The Tourniquet config was not embedded in this bundle; redeploy with cdk deploy');
  const env = readEnv('STATE_MACHINE_ARN', 'ESCALATION_TOPIC_ARN');
  return createStartExecutionHandler({
    config: parseConfig(__TOURNIQUET_CONFIG__, 'embedded config'),
    sfn: new SFNClient({}),
    stateMachineArn: env.STATE_MACHINE_ARN,
    publisher: new SnsPublisher(new SNSClient({})),
    escalationTopicArn: env.ESCALATION_TOPIC_ARN,
  });
});
