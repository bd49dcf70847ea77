import type { ApprovalRecord } from '../store/approvals.js';

/** Where an approval request stands (pure: the approval endpoint decides on it without loading the store's SDK at start-up). */
export type ApprovalState = 'pending' | 'expired' | 'decided' | 'superseded';

/** The state of a record at `now`: a PENDING record past its expiry is `expired`. */
export function approvalState(record: Pick<ApprovalRecord, 'status' | 'expiresAtEpoch'>, now: Date): ApprovalState {
  if (record.status === 'DECIDED') return 'decided';
  if (record.status === 'SUPERSEDED') return 'superseded';
  return Math.floor(now.getTime() / 1000) >= record.expiresAtEpoch ? 'expired' : 'pending';
}
