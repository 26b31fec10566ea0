export { createClient, type CinderClient, type ClientOptions, type BroadcastOptions, type BroadcastPayload, type JobHandle } from './client';
export { CinderApiError, CinderNetworkError, CinderUnavailableError } from './errors';
export type * from '@cinder/contract';
