import { SNSClient } from '@aws-sdk/client-sns';
import { WorkflowStateSchema } from '../core/model.js';
import { AUTOMATION_STATUSES } from '../core/lifecycle.js';
import { statusUpdateFor } from '../core/status-update.js';
import { SnsPublisher } from '../adapters/sns-publisher.js';
import { IncidentStore } from '../store/incident-store.js';
import { readEnv } from '../runtime/env.js';
import { lambdaHandler, logger } from '../runtime/lambda.js';

export interface EscalateDeps {
  readonly store: Pick<IncidentStore, 'appendTimeline' | 'getIncident' | 'transition' | 'releaseMutationLock'>;
  readonly publisher: Pick<SnsPublisher, 'publish'>;
  readonly statusTopicArn: string;
  readonly escalationTopicArn: string;
  readonly clock: () => Date;
}

/**
 * Pages a human: automation found nothing safe to do, the last candidate did not clear the alarm,
 * or the workflow itself failed. The page goes to the escalation topic and the status topic hears it too.
 */
export function createEscalateHandler(deps: EscalateDeps) {
  return async (event: unknown): Promise<{ paged: boolean; reason: string; messageId?: string }> => {
    const state = WorkflowStateSchema.parse(event);
    const now = deps.clock();
    // A human resolved it, or a re-fire's continuation owns it now: that one pages if it must.
    const record = await deps.store.getIncident(state.incident.incidentId);
    if (record.round !== state.incident.round || !AUTOMATION_STATUSES.includes(record.status)) {
      return { paged: false, reason: `incident is ${record.status} in round ${record.round}; nothing to escalate from this execution` };
    }
    const update = statusUpdateFor(state, 'Escalated', now);
    const attributes = { incidentId: state.incident.incidentId, status: 'Escalated', severity: state.incident.severity };
    const page = await deps.publisher.publish({ topicArn: deps.escalationTopicArn, subject: update.subject, message: update.message, attributes });
    // The status audience must not learn about the page from silence: best effort, the page already went out.
    try {
      await deps.publisher.publish({ topicArn: deps.statusTopicArn, subject: update.subject, message: update.message, attributes });
    } catch (error) {
      logger.error('status copy of the escalation failed', { error: error as Error });
    }
    const reason = update.message.split('\n').find((_line, i, all) => all[i - 1] === 'Summary') ?? 'escalated';
    const at = now.toISOString();
    await deps.store.appendTimeline(state.incident.incidentId, {
      at,
      kind: 'escalation',
      message: `Escalated to a human: ${reason}`,
      data: { messageId: page.messageId, ...(state.error ? { error: state.error } : {}) },
    });
    await deps.store.transition(state.incident.incidentId, 'ESCALATED', {
      from: AUTOMATION_STATUSES,
      round: state.incident.round,
      patch: { escalatedAt: at, escalationReason: reason, lastPageAt: at, pages: record.pages + 1, lastNotification: { status: 'Escalated', subject: update.subject, at } },
    });
    await deps.store.releaseMutationLock(state.service.name, state.incident.incidentId);
    return { paged: true, reason, messageId: page.messageId };
  };
}

export const handler = lambdaHandler(() => {
  const env = readEnv('TABLE_NAME', 'STATUS_TOPIC_ARN', 'ESCALATION_TOPIC_ARN');
  return createEscalateHandler({
    store: new IncidentStore({ tableName: env.TABLE_NAME }),
    publisher: new SnsPublisher(new SNSClient({})),
    statusTopicArn: env.STATUS_TOPIC_ARN,
    escalationTopicArn: env.ESCALATION_TOPIC_ARN,
    clock: () => new Date(),
  });
});
