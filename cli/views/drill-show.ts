import type { DrillResult } from '../../drill/report.js';
import type { TourniquetConfig } from '../../lambdas/core/config.js';
import { incidentsView, postmortemView, showView, type ViewStore } from './incident-views.js';

/**
 * `tourniquet drill --show`: after a scenario, what `tourniquet incidents`, `show <first incident>`
 * and `postmortem <first incident>` print, by the same view functions, against the drill's DynamoDB
 * Local table. Postmortems of unresolved incidents close at the drill's end (virtual time).
 */
export async function drillShow(store: ViewStore, result: DrillResult, config: TourniquetConfig): Promise<string> {
  const sections = [`$ tourniquet incidents\n${await incidentsView(store, { limit: 20 })}`];
  const first = result.incidentId;
  if (first !== null) {
    sections.push(`$ tourniquet show ${first}\n${await showView(store, first)}`);
    const deps = { store, clock: () => new Date(result.ended.at), serviceFor: (name: string) => config.services.find((s) => s.name === name) };
    sections.push(`$ tourniquet postmortem ${first}\n${await postmortemView(deps, first)}`);
  }
  return `\n${sections.join('\n\n')}\n`;
}
