// Handlers log through Powertools; tests assert behaviour, not log lines, so keep the output readable.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
