import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

import { runDrill } from '../../cli/commands/drill-action.js';
import { drillShow } from '../../cli/views/drill-show.js';
import { incidentsView } from '../../cli/views/incident-views.js';
import { statsView } from '../../cli/views/stats-view.js';
import { localDocumentClient } from '../../drill/dynamodb-local.js';
import { type DrillSession, loadDrillConfig, openDrillSession, runScenario, type ScenarioRun } from '../../drill/runner.js';
import { loadScenario } from '../../drill/scenario.js';
import { LearningRecords } from '../../lambdas/store/learning.js';
import { sharedDynamoDbEndpoint } from '../support/dynamodb.js';

/**
 * `tourniquet drill --show`: the views the operator commands print, read from the drill's DynamoDB
 * Local table after a scenario (escalation-timer: paged, acknowledged by alice, resolved by her; no
 * mitigation tried, so stats has no record).
 */

const SCENARIO = 'escalation-timer';
let session: DrillSession;
let run: ScenarioRun;

beforeAll(async () => {
  session = await openDrillSession({ endpoint: sharedDynamoDbEndpoint() });
  run = await runScenario(loadScenario(SCENARIO), session);
}, 120_000);

afterAll(async () => {
  await session?.close();
});

describe('drill --show', () => {
  it('prints incidents, show and postmortem of the first incident from the drill table', async () => {
    const id = run.result.incidentId!;
    expect(id).toMatch(/^inc-/);
    const learning = new LearningRecords({ tableName: run.tableName, client: localDocumentClient(session.dynamodb.endpoint) });
    const text = await drillShow(run.store, run.result, loadDrillConfig(loadScenario(SCENARIO)), learning);
    const sections = text.trim().split(/\n\n(?=\$ tourniquet )/);
    expect(sections.map((s) => s.split('\n')[0])).toEqual(['$ tourniquet incidents', `$ tourniquet show ${id}`, `$ tourniquet postmortem ${id}`, '$ tourniquet stats']);
    expect(sections[0]).toMatch(new RegExp(`\\n${id} +RESOLVED +SEV1 +checkout `));
    expect(sections[1]).toMatch(/\n {2}acknowledged +2026-\d\d-\d\d 15:50:00Z by alice\n/);
    expect(sections[1]).toMatch(/\n {2}resolved +2026-\d\d-\d\d 16:50:00Z by alice/);
    expect(sections[1]).toContain('Actions (0)\n  none');
    expect(sections[2]).toContain(`# Postmortem draft: ${id}`);
    expect(sections[3]).toBe(`$ tourniquet stats\n${statsView([], { json: false })}`);
  });

  it('the same view filters work on the drill table', async () => {
    expect(await incidentsView(run.store, { limit: 5, statuses: ['ESCALATED'] })).toBe('no incidents');
    expect(JSON.parse(await incidentsView(run.store, { limit: 5, service: 'checkout' }, { json: true }))).toEqual([
      expect.objectContaining({ incidentId: run.result.incidentId, status: 'RESOLVED', acknowledgedBy: 'alice' }),
    ]);
  });

  it('--show with --json is refused before any scenario runs', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runDrill({ scenario: SCENARIO, show: true, json: true })).toBe(2);
    expect(stderr).toHaveBeenCalledWith('tourniquet: --show prints the views as text after each scenario; it does not combine with --json\n');
    stderr.mockRestore();
  });
});
