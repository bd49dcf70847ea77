import * as z from 'zod';

import { SnsPublisher } from '../adapters/sns-publisher.js';
import { StatusPhaseSchema, WorkflowStateSchema } from '../core/model.js';
import { statusUpdateFor } from '../core/status-update.js';
import { withPostmortem } from '../operations/postmortem.js';
import { composeNotify } from '../runtime/compose/notify.js';
import { composedHandler } from '../runtime/lambda.js';
import { IncidentStore } from '../store/incident-store.js';

const NotifyEventSchema = z.object({ phase: StatusPhaseSchema, state: WorkflowStateSchema });

export interface NotifyDeps {
  /** getIncident, listTimeline and listActions render the postmortem draft the Resolved update carries. */
  readonly store: Pick<IncidentStore, 'appendTimeline' | 'updateIncident' | 'getIncident' | 'listTimeline' | 'listActions'>;
  readonly publisher: Pick<SnsPublisher, 'publish'>;
  readonly statusTopicArn: string;
  readonly clock: () => Date;
}

/**
 * Publishes a status update in the communication template and records it on the timeline. The
 * Resolved update carries the postmortem draft below it (fitted to one SNS message). The incident's
 * status is not changed here: the lifecycle steps (mitigate, verify, escalate) move it.
 */
export function createNotifyHandler(deps: NotifyDeps) {
  return async (event: unknown): Promise<{ status: string; subject: string; messageId: string }> => {
    const { phase, state } = NotifyEventSchema.parse(event);
    const now = deps.clock();
    const update = statusUpdateFor(state, phase, now);
    const message =
      phase === 'Resolved'
        ? await withPostmortem(
            { store: deps.store, serviceFor: (name) => (name === state.service.name ? state.service : undefined), clock: deps.clock },
            state.incident.incidentId,
            update.message,
          )
        : update.message;
    let messageId: string;
    try {
      ({ messageId } = await deps.publisher.publish({
        topicArn: deps.statusTopicArn,
        subject: update.subject,
        message,
        attributes: { incidentId: state.incident.incidentId, status: phase, severity: state.incident.severity },
        ...(update.chat ? { chat: update.chat } : {}),
      }));
    } catch (error) {
      // The workflow retries, then goes on without this update (a failed status update never stops a
      // mitigation); the status cadence sends the next one when it is due. The record says what was missed.
      await deps.store
        .appendTimeline(state.incident.incidentId, {
          at: now.toISOString(),
          kind: 'error',
          message: `Status update "${update.subject}" could not be sent: ${(error as Error).message}`,
          data: { status: phase },
        })
        .catch(() => undefined);
      throw error;
    }
    const at = now.toISOString();
    await deps.store.appendTimeline(state.incident.incidentId, {
      at,
      kind: 'notification',
      message: `Status update sent: ${update.subject}`,
      data: { status: phase, messageId },
    });
    await deps.store.updateIncident(state.incident.incidentId, { lastNotification: { status: phase, subject: update.subject, at } });
    return { status: phase, subject: update.subject, messageId };
  };
}

export const handler = composedHandler('notify', composeNotify, createNotifyHandler);
