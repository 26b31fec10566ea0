export { Tracker } from './tracker';
export type { TrackerOptions, TrackerLogger } from './tracker';
export { TrackerError } from './types';
export type { Meta, PresenceMeta, PresenceMap, PresenceDiff, TrackerErrorCode } from './types';
