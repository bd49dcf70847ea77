import type { DrillResult } from '../../drill/report.js';
import type { TourniquetConfig } from '../../lambdas/core/config.js';
import type { LearningRecords } from '../../lambdas/store/learning.js';
import { incidentsView, postmortemView, showView, type ViewStore } from './incident-views.js';
import { statsView } from './stats-view.js';

/**
 * `tourniquet drill --show`: after a scenario, what `tourniquet incidents`, `show <first incident>`,
 * `postmortem <first incident>` and `stats` print, by the same view functions, against the drill's
 * DynamoDB Local table. Postmortems of unresolved incidents close at the drill's end (virtual time).
 */
export async function drillShow(store: ViewStore, result: DrillResult, config: TourniquetConfig, learning?: Pick<LearningRecords, 'all'>): Promise<string> {
  const sections = [`$ tourniquet incidents\n${await incidentsView(store, { limit: 20 })}`];
  const first = result.incidentId;
  if (first !== null) {
    sections.push(`$ tourniquet show ${first}\n${await showView(store, first)}`);
    const deps = { store, clock: () => new Date(result.ended.at), serviceFor: (name: string) => config.services.find((s) => s.name === name) };
    sections.push(`$ tourniquet postmortem ${first}\n${await postmortemView(deps, first)}`);
  }
  if (learning) sections.push(`$ tourniquet stats\n${statsView(await learning.all(), { json: false })}`);
  return `\n${sections.join('\n\n')}\n`;
}
