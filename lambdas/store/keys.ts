/**
 * Key builders for the incident table's item types. All keys are strings so that the sort key
 * orders items: timeline events by time then sequence, actions by cursor.
 *
 * | item            | pk                          | sk                               |
 * |-----------------|-----------------------------|----------------------------------|
 * | incident        | `INCIDENT#<id>`             | `META`                           |
 * | timeline event  | `INCIDENT#<id>`             | `EVENT#<utc iso>#<seq 6 digits>` |
 * | action record   | `INCIDENT#<id>`             | `ACTION#<cursor 4 digits>#<type>`|
 * | signal event    | `INCIDENT#<id>`             | `EVENT#<utc iso>#S<hash 12>`     |
 * | episode pointer | `EPISODE#<service>`         | `CURRENT`                        |
 * | mutation lock   | `MUTEX#<service>`           | `LOCK`                           |
 * | readiness       | `READINESS#<service>#<type>#<target>` | `LAST`                 |
 * | learning record | `STATS`                     | `<service>#<type>`               |
 *
 * Learning records share one partition: there are few (services × mitigation types), each changes
 * only when an action ends, and one Query lists a service's (`begins_with <service>#`) or all of them.
 */

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export const EVENT_PREFIX = 'EVENT#';
export const ACTION_PREFIX = 'ACTION#';
/** GSI1 partition of every incident: the list is small (incidents are rare), and one partition gives a global time order. */
export const INCIDENT_LIST_PARTITION = 'INCIDENTS';
/** GSI1 partition of the episode pointers of incidents not yet RESOLVED (sparse: a RESOLVED pointer leaves it). */
export const ACTIVE_EPISODE_PARTITION = 'EPISODES';
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

/**
 * A timeline event written for an alarm transition (joined, symptom, cleared, re-fired). Its key is
 * derived from the transition, so a redelivered event writes the same item and is recognised as a
 * duplicate by the conditional put, without a counter read. `S` sorts after the digits of counted events.
 */
export const signalEventKey = (incidentId: string, at: string, signalKey: string): ItemKey => ({
  pk: incidentPk(incidentId),
  sk: `${EVENT_PREFIX}${new Date(at).toISOString()}#S${signalKey}`,
});

/** The service's episode pointer: which incident the service's alarms belong to now. */
export const episodeKey = (service: string): ItemKey => ({ pk: `EPISODE#${service}`, sk: 'CURRENT' });

export const mutexKey = (service: string): ItemKey => ({ pk: `MUTEX#${service}`, sk: 'LOCK' });

/** Leading part of every readiness item's partition key (the readiness function may touch only these). */
export const READINESS_PREFIX = 'READINESS#';

/** The last readiness verdict of one mitigation target (the scheduled check pages on a change of it). */
export const readinessKey = (service: string, type: string, target: string): ItemKey => ({ pk: `${READINESS_PREFIX}${service}#${type}#${target}`, sk: 'LAST' });

/** GSI1 sort key: UTC open time, then id to break ties. */
export const incidentListSortKey = (openedAt: string, incidentId: string): string => `${new Date(openedAt).toISOString()}#${incidentId}`;

/** Partition of the learning records (one item per service and mitigation type). */
export const STATS_PARTITION = 'STATS';

/** Service names are lowercase letters, digits and `-` (config schema), so `<service>#` prefixes exactly one service's records. */
export const statsKey = (service: string, type: string): ItemKey => ({ pk: STATS_PARTITION, sk: `${service}#${type}` });
