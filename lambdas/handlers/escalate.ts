import {
  type EscalateDeps,
  escalateIncident,
  type EscalateResult,
  EscalationStateSchema,
  ExecutionEndedEventSchema,
  pageUnreadable,
  recordEndedExecution,
} from '../operations/escalate.js';
import { composeEscalate } from '../runtime/compose/escalate.js';
import { composedHandler, logger } from '../runtime/lambda.js';

export type { EscalateDeps, EscalateResult } from '../operations/escalate.js';

/**
 * Escalate (`lambdas/operations/escalate.ts`), by what it is handed: the failure net's execution
 * status-change event (records only; the rule's SNS target pages), the workflow state with or
 * without `$.incident` (records and pages), or anything else (paged raw, never thrown away).
 */
export function createEscalateHandler(deps: EscalateDeps) {
  return async (event: unknown): Promise<EscalateResult> => {
    const ended = ExecutionEndedEventSchema.safeParse(event);
    if (ended.success) return recordEndedExecution(deps, ended.data);
    const state = EscalationStateSchema.safeParse(event);
    if (state.success) return escalateIncident(deps, state.data);
    logger.error('escalation input unreadable; paging it raw', { issues: state.error.issues.slice(0, 5) });
    return pageUnreadable(
      deps,
      event,
      state.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .slice(0, 3)
        .join('; '),
    );
  };
}

export const handler = composedHandler('escalate', composeEscalate, createEscalateHandler);
