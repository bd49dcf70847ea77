import type { Command } from 'commander';

export const DEFAULT_CONFIG_FILE = 'tourniquet.config.json';

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a Tourniquet config file and print every problem with its path (exit 2 on any)')
    .argument('[file]', 'config file', DEFAULT_CONFIG_FILE)
    .action(async (file: string) => {
      const { runValidate } = await import('./validate-action.js');
      const result = await runValidate(file);
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      process.exitCode = result.exitCode;
    });
}
