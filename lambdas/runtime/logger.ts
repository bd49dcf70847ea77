import { Logger } from '@aws-lambda-powertools/logger';

/** One structured logger for all handlers and operations (service name and level come from POWERTOOLS_* variables). */
export const logger = new Logger({ serviceName: 'tourniquet' });
