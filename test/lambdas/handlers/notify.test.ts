import { describe, expect, it } from '@jest/globals';

import { SNS_MAX_MESSAGE_BYTES, truncateMessage } from '../../../lambdas/adapters/sns-publisher.js';
import type { TimelineEvent } from '../../../lambdas/core/model.js';
import { createNotifyHandler } from '../../../lambdas/handlers/notify.js';
import { workflowState } from '../../fixtures/workflow.js';
import { fakePublisher, STATUS_TOPIC } from '../../support/approvals.js';
import { useDynamoDbLocal } from '../../support/dynamodb.js';
import { storeWithIncident } from '../../support/incidents.js';

const db = useDynamoDbLocal();
const state = workflowState();
const ID = state.incident.incidentId;
const bytes = (text: string): number => new TextEncoder().encode(text).length;

describe('notify', () => {
  it('sends the Resolved update with the postmortem draft below it, and the other phases without', async () => {
    const { store, clock } = await storeWithIncident(db, state, '2026-11-23T03:30:00.000Z');
    await store.recordActionStart(ID, { cursor: 0, type: 'feature-flag-off', target: 'flag new-checkout-flow' });
    await store.completeAction(ID, 0, 'feature-flag-off', { status: 'applied' });
    await store.setActionEffect(ID, 0, 'feature-flag-off', 'restored');
    await store.transition(ID, 'MITIGATING');
    await store.transition(ID, 'WATCHING', { patch: { mitigatedAt: '2026-11-23T03:14:00.000Z' } });
    await store.transition(ID, 'RESOLVED', { patch: { resolvedAt: '2026-11-23T03:30:00.000Z', resolvedBy: 'Tourniquet (quiet watch period)' } });
    const publisher = fakePublisher();
    const notify = createNotifyHandler({ store, publisher, statusTopicArn: STATUS_TOPIC, clock });
    const attempt = {
      cursor: 0,
      type: 'feature-flag-off' as const,
      target: 'flag new-checkout-flow',
      status: 'applied' as const,
      detail: 'flag off',
      checkAt: '2026-11-23T03:14:00.000Z',
    };

    await notify({ phase: 'Mitigated', state: { ...state, attempt } });
    await notify({ phase: 'Resolved', state: { ...state, attempt } });

    const [mitigated, resolved] = publisher.published;
    expect(mitigated!.message).not.toContain('Postmortem draft');
    expect(resolved!.subject).toBe('[SEV2][Resolved] checkout: 5xx rate');
    const [update, draft] = resolved!.message.split('\n\n---\n\n');
    expect(update).toContain('Status: Resolved');
    expect(draft).toMatch(/^# Postmortem draft: inc-20261123T031000Z-abcd1234\n/);
    for (const section of [
      '## Summary',
      '## Resolution',
      '## Metrics',
      '## What was tried',
      '## Timeline (UTC)',
      '```mermaid',
      '## Root Cause',
      '## Impact',
      '## Action Items',
      '## Lessons Learned',
    ]) {
      expect(draft).toContain(section);
    }
    expect(draft).toContain('| 1 | feature-flag-off on flag new-checkout-flow |');
    expect(draft).toContain('**restored service**');
    // The config's impact sentence of the alarm.
    expect(draft).toContain(`- ${state.service.alarms.find((a) => a.name === state.signal.alarmName)!.impact}`);
  });

  it('fits the update and the draft of a 5,000-event incident in one SNS message, saying how to print every event', async () => {
    const { store, clock } = await storeWithIncident(db, state, '2026-11-23T05:00:00.000Z');
    const long: TimelineEvent[] = Array.from({ length: 5000 }, (_, i) => ({
      at: new Date(Date.parse('2026-11-23T03:10:10.000Z') + i * 1000).toISOString(),
      kind: 'signal',
      message: `event ${i}: checkout-5xx-rate still ALARM; datapoints ${'9.3 '.repeat(50)}`,
    }));
    const publisher = fakePublisher();
    const notify = createNotifyHandler({
      store: {
        appendTimeline: store.appendTimeline.bind(store),
        updateIncident: store.updateIncident.bind(store),
        getIncident: store.getIncident.bind(store),
        listActions: store.listActions.bind(store),
        listTimeline: async () => long,
      },
      publisher,
      statusTopicArn: STATUS_TOPIC,
      clock,
    });
    await notify({ phase: 'Resolved', state });

    const message = publisher.published[0]!.message;
    expect(bytes(long.map((e) => e.message).join('\n'))).toBeGreaterThan(SNS_MAX_MESSAGE_BYTES);
    expect(bytes(message)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES - 4096);
    // The publisher's own cut (the last resort) never has to act.
    expect(truncateMessage(message, SNS_MAX_MESSAGE_BYTES - 200)).toBe(message);
    expect(message).toContain('event 0: ');
    expect(message).toContain('event 4999: ');
    expect(message).toMatch(/- … [\d,]+ more events not shown here \(message size limit\): tourniquet postmortem inc-20261123T031000Z-abcd1234/);
    expect(message).toContain('## Lessons Learned');
  });

  it('still sends the Resolved update when the draft cannot be rendered, saying where to get it', async () => {
    const { store, clock } = await storeWithIncident(db, state, '2026-11-23T05:00:00.000Z');
    const publisher = fakePublisher();
    const failing = {
      appendTimeline: store.appendTimeline.bind(store),
      updateIncident: store.updateIncident.bind(store),
      getIncident: store.getIncident.bind(store),
      listActions: store.listActions.bind(store),
      listTimeline: async () => Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })),
    };
    await createNotifyHandler({ store: failing, publisher, statusTopicArn: STATUS_TOPIC, clock })({ phase: 'Resolved', state });
    expect(publisher.published[0]!.message).toContain(
      'The postmortem draft could not be rendered (ThrottlingException: Rate exceeded); print it with: tourniquet postmortem inc-20261123T031000Z-abcd1234',
    );
  });
});
