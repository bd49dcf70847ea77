import { SFNClient } from '@aws-sdk/client-sfn';

import { StepFunctionsExecutions } from '../adapters/step-functions-executions.js';
import { AlarmEventInvalidError, parseAlarmEvent } from '../core/alarm-event.js';
import { parseConfig } from '../core/config.js';
import type { AlarmSignal } from '../core/signal.js';
import { admitSignals, type AdmitSignalsDeps, reportRejectedEvent, type StartSummary } from '../operations/start-execution.js';
import { composeStartExecution } from '../runtime/compose/start-execution.js';
import { CONFIG_FILE, DEPLOYED_CONFIG_DIR, readDeployedFile } from '../runtime/deployed-config.js';
import { composedHandler } from '../runtime/lambda.js';

export type { StarterOutput, StartSummary } from '../operations/start-execution.js';

/** What the starter needs: the operation's deps, with the Step Functions client its executions start through. */
export interface StartExecutionDeps extends Omit<AdmitSignalsDeps, 'workflows'> {
  readonly sfn: Pick<SFNClient, 'send'>;
}

/**
 * The alarm intake: an alarm event (EventBridge or SNS) in, its signals admitted into their
 * services' episodes (`lambdas/operations/start-execution.ts`); an event that cannot be read is
 * reported to the escalation topic instead.
 */
export function createStartExecutionHandler(deps: StartExecutionDeps) {
  const admission: AdmitSignalsDeps = { ...deps, workflows: new StepFunctionsExecutions(deps.stateMachineArn, deps.sfn) };
  return async (event: unknown): Promise<StartSummary> => {
    let signals: AlarmSignal[];
    try {
      signals = parseAlarmEvent(event);
    } catch (error) {
      if (!(error instanceof AlarmEventInvalidError)) throw error;
      return reportRejectedEvent(admission, event, error);
    }
    return admitSignals(admission, signals, event);
  };
}

export const handler = composedHandler('start-execution', composeStartExecution, createStartExecutionHandler, () => {
  // The whole config exceeds Lambda's 4 KB environment: it comes in the config layer, read once per cold start.
  return { config: parseConfig(readDeployedFile(CONFIG_FILE), `${DEPLOYED_CONFIG_DIR}/${CONFIG_FILE}`) };
});
