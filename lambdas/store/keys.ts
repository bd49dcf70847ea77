/**
 * Key builders for the incident table's item types. All keys are strings so that the sort key
 * orders items: timeline events by time then sequence, actions by cursor.
 *
 * | item            | pk                          | sk                               |
 * |-----------------|-----------------------------|----------------------------------|
 * | incident        | `INCIDENT#<id>`             | `META`                           |
 * | timeline event  | `INCIDENT#<id>`             | `EVENT#<utc iso>#<seq 6 digits>` |
 * | action record   | `INCIDENT#<id>`             | `ACTION#<cursor 4 digits>#<type>`|
 * | open lock       | `OPEN#<service>#<alarm>`    | `LOCK`                           |
 * | mutation lock   | `MUTEX#<service>`           | `LOCK`                           |
 */

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export const EVENT_PREFIX = 'EVENT#';
export const ACTION_PREFIX = 'ACTION#';
/** GSI1 partition of every incident: the list is small (incidents are rare), and one partition gives a global time order. */
export const INCIDENT_LIST_PARTITION = 'INCIDENTS';
/** Action cursors are zero-padded to this width so they sort numerically. */
export const MAX_ACTION_CURSOR = 9999;

export const incidentPk = (incidentId: string): string => `INCIDENT#${incidentId}`;

export const incidentKey = (incidentId: string): ItemKey => ({ pk: incidentPk(incidentId), sk: 'META' });

/**
 * The time part is normalized to UTC so events written with different offsets still sort by instant;
 * the sequence makes two events in the same millisecond distinct and keeps their write order.
 */
export const eventKey = (incidentId: string, at: string, seq: number): ItemKey => ({
  pk: incidentPk(incidentId),
  sk: `${EVENT_PREFIX}${new Date(at).toISOString()}#${String(seq).padStart(6, '0')}`,
});

export const actionKey = (incidentId: string, cursor: number, type: string): ItemKey => ({
  pk: incidentPk(incidentId),
  sk: `${ACTION_PREFIX}${String(cursor).padStart(4, '0')}#${type}`,
});

/** Service names cannot contain `#`, so the first `#` after the service unambiguously starts the alarm name. */
export const openLockKey = (service: string, alarmName: string): ItemKey => ({ pk: `OPEN#${service}#${alarmName}`, sk: 'LOCK' });

export const mutexKey = (service: string): ItemKey => ({ pk: `MUTEX#${service}`, sk: 'LOCK' });

/** GSI1 sort key: UTC open time, then id to break ties. */
export const incidentListSortKey = (openedAt: string, incidentId: string): string => `${new Date(openedAt).toISOString()}#${incidentId}`;
