/**
 * Defaults of the operator use cases, in a module that imports nothing: the CLI shows them in
 * `--help` without loading the use cases (and the SDK clients and catalogue behind them).
 */

/** Default minutes after a human's resolve during which a re-fire re-opens the incident (config lifecycle.flapCooldownMinutes). */
export const DEFAULT_FLAP_COOLDOWN_MINUTES = 30;
