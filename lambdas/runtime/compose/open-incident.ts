import type { OpenIncidentDeps } from '../../handlers/open-incident.js';
import type { EnvOf } from '../manifest.js';
import { type Runtime, stores } from './runtime.js';

/** Dependencies of the open-incident function. */
export const composeOpenIncident = async (rt: Runtime, env: EnvOf<'open-incident'>): Promise<OpenIncidentDeps> => ({
  store: (await stores(rt, env.TABLE_NAME)).incidents,
  clock: rt.clock,
});
