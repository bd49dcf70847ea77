import { describe, expect, it } from '@jest/globals';

import { TaskNoLongerWaitingError } from '../../../lambdas/adapters/step-functions-tasks.js';
import { type ApprovalDecisionOutput, SealedTokenInvalidError, sealTaskToken } from '../../../lambdas/core/approval-link.js';
import type { TimelineEvent } from '../../../lambdas/core/model.js';
import { type ApprovalDecisions, decideApproval, type DecideApprovalDeps, type DecideApprovalRequest, reviewApproval } from '../../../lambdas/operations/decide-approval.js';
import { type ApprovalRecord, approvalState, type DecisionClaim } from '../../../lambdas/store/approvals.js';
import { APPROVER_EMAILS, candidate, EXECUTION_ARN, fakeSecrets, INCIDENT_ID, manualClock, SECRET, SECRET_ARN, T0, TASK_TOKEN } from '../../support/approvals.js';

const APPROVAL_ID = 'apr-op-1';

/** A PENDING approval expiring 15 minutes after T0, its task token sealed under the test secret. */
function pendingRecord(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const expiresAt = new Date(T0 + 900_000);
  return {
    incidentId: INCIDENT_ID,
    approvalId: APPROVAL_ID,
    status: 'PENDING',
    service: 'checkout',
    severity: 'SEV2',
    candidate,
    executionArn: EXECUTION_ARN,
    requestedAt: new Date(T0).toISOString(),
    expiresAt: expiresAt.toISOString(),
    expiresAtEpoch: expiresAt.getTime() / 1000,
    timeoutSeconds: 900,
    sealedTaskToken: sealTaskToken(TASK_TOKEN, SECRET, { incidentId: INCIDENT_ID, approvalId: APPROVAL_ID }),
    tokenSecretId: SECRET_ARN,
    recipients: APPROVER_EMAILS,
    ...overrides,
  };
}

/** The approval store in memory, with the same claim rule: only a PENDING, unexpired record is claimed. */
function memoryApprovals(clock: () => Date, initial: ApprovalRecord | undefined) {
  let record = initial;
  const calls: string[] = [];
  const approvals: ApprovalDecisions = {
    get: async () => record,
    claimDecision: async (_incidentId, _approvalId, claim: DecisionClaim) => {
      calls.push('claim');
      if (!record) return { claimed: false, state: 'not-found' };
      const state = approvalState(record, clock());
      if (state !== 'pending') return { claimed: false, state, record };
      record = {
        ...record,
        status: 'DECIDED',
        decision: claim.decision,
        decidedBy: claim.by,
        decidedVia: claim.via,
        reason: claim.reason,
        decidedAt: clock().toISOString(),
        claimId: 'claim-1',
        ...(claim.identity ? { decidedByIdentity: claim.identity } : {}),
      };
      return { claimed: true, record, claimId: 'claim-1' };
    },
    releaseClaim: async () => {
      calls.push('release');
      if (!record) return false;
      const { decision: _d, decidedBy: _b, decidedVia: _v, reason: _r, decidedAt: _a, claimId: _c, decidedByIdentity: _i, ...rest } = record;
      record = { ...rest, status: 'PENDING' };
      return true;
    },
    recordDelivery: async (_incidentId, _approvalId, _claimId, delivery, detail) => {
      calls.push(`delivery:${delivery}`);
      const { sealedTaskToken: _token, ...rest } = record!;
      record = { ...rest, delivery, ...(detail ? { deliveryDetail: detail } : {}) };
      return true;
    },
  };
  return { approvals, calls, current: () => record };
}

function setup(options: { record?: ApprovalRecord | null; send?: (token: string, output: ApprovalDecisionOutput) => Promise<void> } = {}) {
  const time = manualClock();
  const store = memoryApprovals(time.clock, options.record === null ? undefined : (options.record ?? pendingRecord()));
  const timeline: TimelineEvent[] = [];
  const sent: { token: string; output: ApprovalDecisionOutput }[] = [];
  const warnings: string[] = [];
  const deps: DecideApprovalDeps = {
    approvals: store.approvals,
    incidents: { appendTimeline: async (_id, event) => void timeline.push(event) },
    tasks: {
      sendDecision: async (token, output) => {
        sent.push({ token, output });
        await options.send?.(token, output);
      },
    },
    secrets: fakeSecrets(),
    clock: time.clock,
    warn: (message) => void warnings.push(message),
  };
  return { ...time, ...store, deps, timeline, sent, warnings };
}

const byCli = (overrides: Partial<DecideApprovalRequest> = {}): DecideApprovalRequest => ({
  incidentId: INCIDENT_ID,
  approvalId: APPROVAL_ID,
  decision: 'approved',
  by: 'arn:aws:sts::123456789012:assumed-role/OnCall/alice',
  via: 'cli',
  reason: 'only change in the window',
  ...overrides,
});

describe('decideApproval', () => {
  it('claims, sends the opened task token with the decision, records the delivery and the timeline', async () => {
    const { deps, sent, timeline, calls, current, advance } = setup();
    advance(60);
    const outcome = await decideApproval(deps, byCli());

    const output = {
      decision: 'approved',
      by: 'arn:aws:sts::123456789012:assumed-role/OnCall/alice',
      via: 'cli',
      reason: 'only change in the window',
      at: '2026-11-23T03:12:00.000Z',
      approvalId: APPROVAL_ID,
    };
    expect(outcome).toMatchObject({ outcome: 'decided', output });
    expect(sent).toEqual([{ token: TASK_TOKEN, output }]);
    expect(calls).toEqual(['claim', 'delivery:delivered']);
    expect(current()).toMatchObject({ status: 'DECIDED', delivery: 'delivered' });
    expect(timeline).toEqual([
      {
        at: '2026-11-23T03:12:00.000Z',
        kind: 'decision',
        message: `Approved ${candidate.type} on ${candidate.target} by arn:aws:sts::123456789012:assumed-role/OnCall/alice: "only change in the window"`,
        data: expect.objectContaining({ approval: 'decided', decision: 'approved', via: 'cli', delivery: 'delivered' }),
      },
    ]);
  });

  it('fills in the link recipients for an email-link decider and says whether the typed email is one of them', async () => {
    const { deps, timeline, current } = setup();
    await decideApproval(deps, {
      ...byCli({ by: 'Ada <SRE@example.com> (email link)', via: 'email-link', reason: null, decision: 'rejected' }),
      identity: { name: 'Ada', email: 'SRE@example.com', sourceIp: '198.51.100.7' },
    });
    expect(current()!.decidedByIdentity).toEqual({ name: 'Ada', email: 'SRE@example.com', sourceIp: '198.51.100.7', recipients: APPROVER_EMAILS, emailIsRecipient: true });
    expect(timeline[0]!.message).toMatch(/^Rejected .* \(no reason given\)$/);
    expect(timeline[0]!.data).toMatchObject({
      approverEmail: 'SRE@example.com',
      emailIsRecipient: true,
      linkRecipients: 'lead@example.com, sre@example.com',
      sourceIp: '198.51.100.7',
    });
  });

  it.each<[string, ApprovalRecord | null]>([
    ['not-found', null],
    ['decided-before', pendingRecord({ status: 'DECIDED', decision: 'approved', decidedBy: 'bob' })],
    ['superseded', pendingRecord({ status: 'SUPERSEDED' })],
    ['expired', pendingRecord({ expiresAtEpoch: T0 / 1000 })],
  ])('answers %s without claiming or sending', async (expected, record) => {
    const { deps, sent, calls, timeline } = setup({ record });
    expect((await decideApproval(deps, byCli())).outcome).toBe(expected);
    expect(sent).toEqual([]);
    expect(calls).toEqual([]);
    expect(timeline).toEqual([]);
  });

  it('answers decided-before when another decider claims first, and sends nothing', async () => {
    const { deps, approvals, sent } = setup();
    const other = pendingRecord({ status: 'DECIDED', decision: 'rejected', decidedBy: 'bob' });
    approvals.claimDecision = async () => ({ claimed: false, state: 'decided', record: other });
    expect(await decideApproval(deps, byCli())).toEqual({ outcome: 'decided-before', record: other });
    expect(sent).toEqual([]);
  });

  it('does not burn the approval when its token cannot be opened', async () => {
    const { deps, calls, current } = setup({ record: pendingRecord({ sealedTaskToken: sealTaskToken(TASK_TOKEN, SECRET, { incidentId: INCIDENT_ID, approvalId: 'apr-other' }) }) });
    await expect(decideApproval(deps, byCli())).rejects.toBeInstanceOf(SealedTokenInvalidError);
    expect(calls).toEqual([]);
    expect(current()).toMatchObject({ status: 'PENDING' });
  });

  it('records a decision the workflow stopped waiting for as task-gone, not acted on', async () => {
    const { deps, calls, timeline } = setup({
      send: async () => Promise.reject(new TaskNoLongerWaitingError('TaskTimedOut', 'Task Timed Out')),
    });
    const outcome = await decideApproval(deps, byCli());
    expect(outcome).toMatchObject({ outcome: 'task-gone', detail: 'Task Timed Out' });
    expect(calls).toEqual(['claim', 'delivery:task-gone']);
    expect(timeline[0]).toMatchObject({
      message: expect.stringMatching(/after the workflow stopped waiting \(TaskTimedOut\); not acted on/),
      data: { delivery: 'task-gone', code: 'TaskTimedOut' },
    });
  });

  it('undoes the claim when the decision could not be delivered, so deciding again works', async () => {
    let failures = 1;
    const { deps, calls, current, sent } = setup({
      send: async () => {
        if (failures-- > 0) throw new Error('Rate exceeded');
      },
    });
    expect(await decideApproval(deps, byCli())).toMatchObject({ outcome: 'undeliverable', detail: 'Rate exceeded' });
    expect(calls).toEqual(['claim', 'release']);
    expect(current()).toMatchObject({ status: 'PENDING' });
    expect((await decideApproval(deps, byCli())).outcome).toBe('decided');
    expect(sent).toHaveLength(2);
  });

  it('warns when an undelivered claim cannot be released', async () => {
    const { deps, approvals, warnings } = setup({ send: async () => Promise.reject(new Error('down')) });
    approvals.releaseClaim = async () => false;
    expect((await decideApproval(deps, byCli())).outcome).toBe('undeliverable');
    expect(warnings).toEqual([`approval ${APPROVAL_ID}: the claim could not be released after a failed delivery`]);
  });

  it('still counts a delivered decision when the record-keeping after it fails', async () => {
    const { deps, approvals, warnings } = setup();
    approvals.recordDelivery = async () => Promise.reject(new Error('throttled'));
    const failing = { ...deps, incidents: { appendTimeline: async () => Promise.reject(new Error('throttled')) } };
    expect((await decideApproval(failing, byCli())).outcome).toBe('decided');
    expect(warnings).toEqual(['approval decision delivered, but recording the delivery failed', 'approval decision delivered, but appending the decision to the timeline failed']);
  });
});

describe('reviewApproval', () => {
  it.each<[string, ApprovalRecord]>([
    ['pending', pendingRecord()],
    ['decided-before', pendingRecord({ status: 'DECIDED' })],
    ['superseded', pendingRecord({ status: 'SUPERSEDED' })],
    ['expired', pendingRecord({ expiresAtEpoch: T0 / 1000 })],
  ])('reads a %s approval and changes nothing', async (expected, record) => {
    const { deps, calls } = setup({ record });
    expect(await reviewApproval(deps, INCIDENT_ID, APPROVAL_ID)).toEqual({ outcome: expected, record });
    expect(calls).toEqual([]);
  });

  it('says not-found for an unknown approval', async () => {
    const { deps } = setup({ record: null });
    expect(await reviewApproval(deps, INCIDENT_ID, 'apr-unknown')).toEqual({ outcome: 'not-found' });
  });
});
