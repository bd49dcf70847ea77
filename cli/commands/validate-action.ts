import { readFile } from 'node:fs/promises';

import { ConfigInvalidError, parseConfig } from '../../lambdas/core/config.js';
import { configWarnings } from '../../lambdas/core/config-warnings.js';
import { type CommandResult, DEFAULT_CONFIG_FILE } from './validate.js';

/** What `tourniquet validate` does, loaded only when it runs (registration: validate.ts). */

/** Checks a config file and reports every problem with its JSON path (exit 2 on any). */
export async function runValidate(file: string = DEFAULT_CONFIG_FILE): Promise<CommandResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { stdout: '', stderr: `tourniquet: cannot read config ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`, exitCode: 2 };
  }
  try {
    const config = parseConfig(text, file);
    const alarms = config.services.reduce((n, s) => n + s.alarms.length, 0);
    const mode = config.dryRun ? ' (dry run: decides and notifies, changes nothing)' : '';
    // Not errors: the config deploys as it is, but someone should look (lambdas/core/config-warnings.ts).
    const note = configWarnings(config)
      .map((w) => `${file}: warning: ${w.path}: ${w.message}\n`)
      .join('');
    return {
      stdout: `${file}: valid: ${config.services.length} service(s), ${alarms} alarm(s), change window ${config.changeWindowMinutes} min${mode}\n`,
      stderr: note,
      exitCode: 0,
    };
  } catch (error) {
    if (error instanceof ConfigInvalidError) return { stdout: '', stderr: `${error.message}\n`, exitCode: 2 };
    throw error;
  }
}
