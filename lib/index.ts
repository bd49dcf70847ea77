/**
 * The npm package's entry point (`import { Tourniquet } from 'tourniquet'`): the construct to embed in a
 * stack, the standalone stack, the member construct and stacks of workload accounts (docs/accounts.md), and the config's types and parser. docs/embedding.md.
 */
export {
  type AlarmConfig,
  checkConfig,
  ConfigInvalidError,
  type ConfigProblem,
  parseConfig,
  type ServiceConfig,
  type Severity,
  type TourniquetConfig,
} from '../lambdas/core/config.js';
export { addTourniquetStack, createTourniquetApp, stackNameFor, type TourniquetAppOptions } from './app.js';
export type {
  AlarmRef,
  DeepReadonly,
  TourniquetAlarmProps,
  TourniquetConfigProps,
  TourniquetEcsProps,
  TourniquetResourcesProps,
  TourniquetRoute53Props,
  TourniquetServiceProps,
  TourniquetWafProps,
} from './config-props.js';
export { HANDLER_NAMES, type HandlerName } from './handlers.js';
export { addMemberStacks, createMemberApp, memberStackName, TourniquetMemberStack, type TourniquetMemberStackProps } from './member/member-stack.js';
export { TourniquetMember, type TourniquetMemberProps } from './member/tourniquet-member.js';
export { Tourniquet, type TourniquetProps } from './tourniquet.js';
export { TourniquetStack, type TourniquetStackProps } from './tourniquet-stack.js';
