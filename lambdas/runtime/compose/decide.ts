import type { DecideDeps } from '../../handlers/decide.js';
import type { EnvOf } from '../manifest.js';
import { type Runtime, stores } from './runtime.js';

/** Dependencies of the decide function. */
export const composeDecide = async (rt: Runtime, env: EnvOf<'decide'>): Promise<DecideDeps> => {
  const [{ incidents, options }, { LearningRecords }] = await Promise.all([stores(rt, env.TABLE_NAME), import('../../store/learning.js')]);
  return { store: incidents, records: new LearningRecords(options), clock: rt.clock };
};
