import { SFNClient } from '@aws-sdk/client-sfn';

import { StepFunctionsExecutions } from '../adapters/step-functions-executions.js';
import { AlarmEventInvalidError, parseAlarmEvent } from '../core/alarm-event.js';
import { parseConfig } from '../core/config.js';
import type { AlarmSignal } from '../core/signal.js';
import { admitSignals, type AdmitSignalsDeps, reportRejectedEvent, type StartSummary } from '../operations/start-execution.js';
import { composeStartExecution } from '../runtime/compose/start-execution.js';
import { composedHandler } from '../runtime/lambda.js';

export type { StarterOutput, StartSummary } from '../operations/start-execution.js';

/** The validated config, embedded by esbuild at bundle time (Lambda env vars are capped at 4 KB). */
declare const __TOURNIQUET_CONFIG__: string | undefined;

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
  if (typeof __TOURNIQUET_CONFIG__ !== 'string') throw new Error('The Tourniquet config was not embedded in this bundle; redeploy with cdk deploy');
  return { config: parseConfig(__TOURNIQUET_CONFIG__, 'embedded config') };
});
