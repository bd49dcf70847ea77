import { describe, expect, it } from '@jest/globals';

import { createTriageHandler } from '../../../lambdas/handlers/triage.js';
import type { IncidentRecord } from '../../../lambdas/store/records.js';
import { workflowState } from '../../fixtures/workflow.js';

/** The handler parses the workflow state and runs triage (test/lambdas/operations/triage.test.ts). */

const state = workflowState();

function handler(written: unknown[]) {
  const incident = { incidentId: state.incident.incidentId, severity: 'SEV2', alarmName: 'checkout-5xx-rate' } as IncidentRecord;
  return createTriageHandler({
    store: {
      getIncident: async () => incident,
      appendTimeline: async (_id, event) => void written.push(event),
      updateIncident: async (_id, patch) => {
        written.push(patch);
        return incident;
      },
    },
    flags: { recentFlagChanges: async () => [] },
    ecs: { recentDeployments: async () => [] },
    alarms: {
      describeAlarm: async (name) => ({ name, state: 'ALARM', kind: 'metric', periodSeconds: 60, evaluationPeriods: 1, datapointsToAlarm: 1 }),
      describeCompositeChildren: async () => [],
    },
    metrics: { alarmSeries: async () => [] },
    clock: () => new Date('2026-11-23T03:11:00.000Z'),
  });
}

describe('triage handler', () => {
  it('triages the workflow state it is handed', async () => {
    const written: unknown[] = [];
    expect(await handler(written)(JSON.parse(JSON.stringify(state)))).toMatchObject({ severity: 'SEV2', alarms: ['checkout-5xx-rate'], gaps: [] });
    // The triage event, the impact start (estimated: no datapoints), the incident patch.
    expect(written).toHaveLength(3);
  });

  it('rejects a state that does not parse, reading and writing nothing', async () => {
    const written: unknown[] = [];
    await expect(handler(written)({ ...state, incident: undefined })).rejects.toThrow();
    expect(written).toEqual([]);
  });
});
