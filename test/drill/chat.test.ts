import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { type DrillSession, openDrillSession, runScenario, type ScenarioRun } from '../../drill/runner.js';
import { loadScenario } from '../../drill/scenario.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/** The chat topic in a drill: every status update and page again, as AWS Chatbot custom notifications (docs/chat.md). */

let session: DrillSession;
beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
});
afterAll(async () => {
  await session?.close();
});

/** The runbook tourniquet.config.json gives alarm checkout-5xx-rate (its own, over the service's). */
const RUNBOOK = 'https://runbooks.example.com/checkout/5xx-rate';

const chatOf = (run: ScenarioRun) => run.result.notifications.filter((n) => n.topic === 'chat').map((n) => ({ ...n, parsed: JSON.parse(n.body) }));

describe('drill: chat copies', () => {
  let restored: ScenarioRun;
  let escalated: ScenarioRun;
  beforeAll(async () => {
    restored = await runScenario(loadScenario('bad-deployment'), session);
    escalated = await runScenario(loadScenario('no-recent-change'), session);
  });

  it('--json notifications include a Chatbot-format message for every status update, whose runbook link is the configured one', () => {
    const status = restored.result.notifications.filter((n) => n.topic === 'status');
    const chat = chatOf(restored);
    expect(chat.map((n) => n.status)).toEqual(status.map((n) => n.status));
    for (const message of chat) {
      expect(message.parsed).toMatchObject({
        version: '1.0',
        source: 'custom',
        content: { textType: 'client-markdown', title: message.subject, keywords: expect.arrayContaining([restored.result.incidentId, 'SEV2', 'checkout']) },
        metadata: { threadId: restored.result.incidentId },
      });
      expect(message.parsed.content.description).toContain(`*Runbook:* ${RUNBOOK}`);
      expect(message.parsed.content.nextSteps[0]).toBe(`Open the runbook: ${RUNBOOK}`);
      expect(message.incidentId).toBe(restored.result.incidentId);
    }
    // The email copies carry the same link.
    for (const n of status) expect(n.body).toContain(`Runbook: ${RUNBOOK}`);
  });

  it('a page goes to chat once (not once more for its status-topic copy) and offers tourniquet ack', () => {
    const pages = escalated.result.notifications.filter((n) => n.topic === 'escalation');
    expect(pages).toHaveLength(1);
    const chat = chatOf(escalated);
    const escalations = chat.filter((n) => n.status === 'Escalated');
    expect(escalations).toHaveLength(1);
    expect(escalations[0]!.parsed.metadata.eventType).toBe('Page');
    expect(escalations[0]!.parsed.content.nextSteps).toContain(`Take the incident: tourniquet ack ${escalated.result.incidentId}`);
    expect(escalations[0]!.parsed.content.description).toContain(`*Runbook:* ${RUNBOOK}`);
  });

  it('the decision rationale on the timeline names the runbook', () => {
    const decision = restored.result.timeline.find((e) => e.kind === 'decision');
    expect(decision?.message).toContain(`Runbook: ${RUNBOOK}`);
  });
});
