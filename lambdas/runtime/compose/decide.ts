import type { DecideDeps } from '../../handlers/decide.js';
import type { EnvOf } from '../manifest.js';
import { type Runtime, stores } from './runtime.js';

/** Dependencies of the decide function. */
export const composeDecide = async (rt: Runtime, env: EnvOf<'decide'>): Promise<DecideDeps> => ({ store: (await stores(rt, env.TABLE_NAME)).incidents, clock: rt.clock });
