import { describe, expect, it } from '@jest/globals';

import { approvalPendingNotice, approvalRequestMessage, type ApprovalRequestText } from '../../../lambdas/presentation/approval-email.js';

const text = (onTimeout?: 'escalate' | 'proceed', overrides: Partial<ApprovalRequestText> = {}): ApprovalRequestText => ({
  incidentId: 'inc-20261123T031000Z-1a2b3c4d',
  approvalId: 'apr-1',
  severity: 'SEV1' as const,
  service: 'checkout',
  candidate: { type: 'route53-failover' as const, target: 'api.shop.example', rationale: 'us-east-1 is failing', risk: 'medium' as const, ...(onTimeout ? { onTimeout } : {}) },
  impact: 'checkout unavailable',
  approveUrl: 'https://x/approve',
  rejectUrl: 'https://x/reject',
  expiresAt: new Date('2026-11-23T03:25:00Z'),
  timeoutSeconds: 900,
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Tourniquet-prod:x',
  tableName: 'tourniquet-prod-incidents',
  ...overrides,
});

describe('approvalRequestMessage', () => {
  it('says what, why, the risk, who is affected, both links, the expiry and the CLI alternative', () => {
    const { subject, message } = approvalRequestMessage(text());
    expect(subject).toBe('[SEV1] APPROVAL NEEDED: route53-failover for checkout (inc-20261123T031000Z-1a2b3c4d)');
    expect(message).toContain('Proposed mitigation\n  route53-failover on api.shop.example');
    expect(message).toContain('Why\n  us-east-1 is failing');
    expect(message).toContain('Risk\n  medium');
    expect(message).toContain('Who is affected\n  checkout unavailable');
    expect(message).toContain('nothing happens until you confirm there):\n  https://x/approve');
    expect(message).toContain('Reject:\n  https://x/reject');
    expect(message).toContain('expire at 2026-11-23 03:25:00 UTC (15 minutes after this request)');
    expect(message).toContain('npx tourniquet approve inc-20261123T031000Z-1a2b3c4d --reason "…" --table tourniquet-prod-incidents --region us-east-1');
    expect(message).toContain('Approval apr-1');
  });

  it('quotes a table name the shell would split, and says "minute" for one', () => {
    const { message } = approvalRequestMessage(text(undefined, { tableName: "it's mine", timeoutSeconds: 60 }));
    expect(message).toContain(`--table 'it'\\''s mine'`);
    expect(message).toContain('(1 minute after this request)');
  });
});

describe('approvalPendingNotice', () => {
  it('names the approvers and the CLI, and carries no link', () => {
    const { subject, message } = approvalPendingNotice(text(undefined, { recipients: ['lead@example.com'] }));
    expect(subject).toBe('[SEV1] Waiting for approval: route53-failover for checkout (inc-20261123T031000Z-1a2b3c4d)');
    expect(message).toContain('The approvers (lead@example.com) were sent the approval links.');
    expect(message).toContain('npx tourniquet reject inc-20261123T031000Z-1a2b3c4d');
    expect(message).not.toContain('https://x/');
  });

  it('without approvers, says the CLI is the only way to answer', () => {
    expect(approvalPendingNotice(text()).message).toContain('No approver emails are configured: answer with the CLI.');
  });
});

describe('approval texts say what silence does', () => {
  it('escalate (the default): nothing is applied on silence', () => {
    for (const render of [approvalRequestMessage, approvalPendingNotice]) {
      expect(render(text()).message).toContain('nobody decides by then, Tourniquet does not apply');
      expect(render(text('escalate')).message).not.toContain('APPLIES');
    }
  });

  it('proceed: both the approvers and the status list read that silence applies it', () => {
    for (const render of [approvalRequestMessage, approvalPendingNotice]) {
      expect(render(text('proceed')).message).toContain('Tourniquet APPLIES this mitigation (onApprovalTimeout is "proceed" for this severity)');
    }
  });
});
