import type { NotifyDeps } from '../../handlers/notify.js';
import type { EnvOf } from '../manifest.js';
import { notifyingPublisher, type Runtime, stores } from './runtime.js';

/** Dependencies of the notify function. */
export const composeNotify = async (rt: Runtime, env: EnvOf<'notify'>): Promise<NotifyDeps> => ({
  store: (await stores(rt, env.TABLE_NAME)).incidents,
  publisher: await notifyingPublisher(rt, env),
  statusTopicArn: env.STATUS_TOPIC_ARN,
  clock: rt.clock,
});
