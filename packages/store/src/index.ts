export { openStore, Store } from './store';
export type { StoreOptions, StoreStats } from './store';
export type { StoreLogger } from './backend';
export { StoreUnavailableError, StoreInputError, SessionEndedError } from './errors';
export type { NewMessage, WriteResult } from './message-writer';
export type { Joiner, SessionMutation, SessionUpdateResult } from './sessions';
export type { StoredJob } from './rows';
export type { CommitStats } from './group-commit';
export { MIGRATIONS_FOLDER } from './migrations';
