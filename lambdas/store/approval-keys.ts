import { incidentPk, type ItemKey } from './keys.js';

/**
 * Keys of approval records, in the incident's partition next to its timeline and actions
 * (see `keys.ts` for the other item types):
 *
 * | item            | pk                | sk                       |
 * |-----------------|-------------------|--------------------------|
 * | approval record | `INCIDENT#<id>`   | `APPROVAL#<approvalId>`  |
 *
 * Approval ids start with their request time (`apr-20261123T031100Z-…`), so a prefix query returns
 * an incident's approvals oldest first.
 */

export const APPROVAL_PREFIX = 'APPROVAL#';

export const approvalKey = (incidentId: string, approvalId: string): ItemKey => ({
  pk: incidentPk(incidentId),
  sk: `${APPROVAL_PREFIX}${approvalId}`,
});
