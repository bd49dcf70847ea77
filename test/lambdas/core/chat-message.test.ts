import { describe, expect, it } from '@jest/globals';

import { CHAT_LIMITS, chatbotNotification, chatContentFromText, chatMessageBody } from '../../../lambdas/core/chat-message.js';
import { renderPage } from '../../../lambdas/core/pages.js';
import { statusUpdateFor } from '../../../lambdas/core/status-update.js';
import { workflowState } from '../../fixtures/workflow.js';

const now = new Date('2026-11-23T03:12:00.000Z');

describe('chat messages (AWS Chatbot custom notifications)', () => {
  it('a status update becomes version 1.0, source custom, client-markdown, threaded by incident id', () => {
    const update = statusUpdateFor(workflowState(), 'Investigating', now);
    const body = JSON.parse(chatMessageBody(update.chat!));
    expect(body).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: '[SEV2][Investigating] checkout: 5xx rate',
        keywords: ['inc-20261123T031000Z-abcd1234', 'SEV2', 'checkout', 'Investigating'],
      },
      metadata: { threadId: 'inc-20261123T031000Z-abcd1234', eventType: 'StatusUpdate' },
    });
    expect(body.content.description).toContain('*Summary:* Alarm "checkout-5xx-rate" entered ALARM');
    expect(body.content.description).toContain('*Impact:* Some customers see errors when they pay for their basket.');
    expect(body.content.description).toContain('*Runbook:* https://runbooks.example.com/checkout/5xx-rate');
    expect(body.content.description).toContain('*Workflow:* https://us-east-1.console.aws.amazon.com/states/home');
    expect(body.content.nextSteps[0]).toBe('Open the runbook: https://runbooks.example.com/checkout/5xx-rate');
    expect(body.content.nextSteps.at(-1)).toBe('Full timeline and postmortem draft: tourniquet postmortem inc-20261123T031000Z-abcd1234');
  });

  it('a page offers tourniquet ack and the runbook as next steps', () => {
    const page = renderPage({
      incident: { incidentId: 'inc-1', service: 'checkout', alarmName: 'checkout-5xx-rate', severity: 'SEV1', status: 'ESCALATED', openedAt: '2026-11-23T03:10:00.000Z' },
      why: 'Still ESCALATED and not acknowledged.',
      actions: [],
      now,
      runbook: 'https://runbooks.example.com/checkout/5xx-rate',
    });
    const body = chatbotNotification(page.chat);
    expect(body.content.nextSteps).toEqual([
      'Open the runbook: https://runbooks.example.com/checkout/5xx-rate',
      'Take the incident: tourniquet ack inc-1',
      'Full timeline and postmortem draft: tourniquet postmortem inc-1',
    ]);
    expect(body.metadata).toMatchObject({ threadId: 'inc-1', eventType: 'Page', summary: 'Still ESCALATED and not acknowledged.' });
    expect(page.message).toContain('Runbook: https://runbooks.example.com/checkout/5xx-rate');
  });

  it('caps every field and keeps the JSON valid, whatever the incident text holds', () => {
    const long = 'x'.repeat(20_000);
    const body = chatbotNotification({
      title: `🚨 ${long}`,
      description: `${'é'.repeat(9_000)}😀`,
      nextSteps: Array.from({ length: 9 }, (_, i) => `${i} ${long}`),
      keywords: [...Array.from({ length: 20 }, (_, i) => `k${i}`), 'k1', ''],
      threadId: long,
      summary: 'line one\nline two',
    });
    expect(body.content.title.length).toBeLessThanOrEqual(CHAT_LIMITS.title);
    expect(body.content.title.endsWith('...')).toBe(true);
    expect(body.content.description.length).toBeLessThanOrEqual(CHAT_LIMITS.description);
    expect(body.content.nextSteps).toHaveLength(CHAT_LIMITS.nextSteps);
    expect(body.content.nextSteps!.every((s) => s.length <= CHAT_LIMITS.nextStep)).toBe(true);
    expect(body.content.keywords).toHaveLength(CHAT_LIMITS.keywords);
    expect(new Set(body.content.keywords).size).toBe(CHAT_LIMITS.keywords);
    expect(body.metadata!.threadId!.length).toBeLessThanOrEqual(CHAT_LIMITS.threadId);
    expect(body.metadata!.summary).toBe('line one line two');
    expect(() => JSON.parse(JSON.stringify(body))).not.toThrow();
  });

  it('derives a copy from a plain message: the subject as title, the text in a code block, the attributes as keywords and thread', () => {
    const content = chatContentFromText('[Tourniquet] Alarm event rejected', 'line 1\n```inner```\nline 3', { incidentId: 'inc-9', severity: 'SEV3', status: 'Page' });
    expect(content).toMatchObject({ title: '[Tourniquet] Alarm event rejected', threadId: 'inc-9', keywords: ['inc-9', 'SEV3', 'Page'], eventType: 'Page' });
    expect(content.description).toBe("```\nline 1\n'''inner'''\nline 3\n```");
    const huge = chatContentFromText(undefined, 'y'.repeat(50_000));
    expect(huge.description.length).toBeLessThanOrEqual(CHAT_LIMITS.description);
    expect(huge.description.endsWith('...\n```')).toBe(true);
    expect(huge.title).toBe('y'.repeat(50_000));
    expect(chatbotNotification(huge).content.title.length).toBeLessThanOrEqual(CHAT_LIMITS.title);
  });
});
