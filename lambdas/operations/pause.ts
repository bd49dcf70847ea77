import { GLOBAL_SCOPE, type PauseState, type PauseSwitch } from '../store/pause.js';

/** Flips the pause switch (one service, or every service when none is given); shared by `tourniquet pause|resume` and the drill operator. */
export async function setPause(pause: Pick<PauseSwitch, 'set'>, paused: boolean, options: { service?: string; by: string; reason?: string }): Promise<PauseState> {
  return pause.set(options.service ?? GLOBAL_SCOPE, paused, options.by, options.reason);
}
