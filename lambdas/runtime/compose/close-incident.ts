import type { CloseIncidentDeps } from '../../handlers/close-incident.js';
import type { EnvOf } from '../manifest.js';
import { type Runtime, stores } from './runtime.js';

/** Dependencies of the close-incident function. */
export const composeCloseIncident = async (rt: Runtime, env: EnvOf<'close-incident'>): Promise<CloseIncidentDeps> => ({
  store: (await stores(rt, env.TABLE_NAME)).incidents,
  clock: rt.clock,
});
