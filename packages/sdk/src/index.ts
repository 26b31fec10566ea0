export { createClient, type CinderClient, type ClientOptions, type BroadcastOptions, type JobHandle } from './client';
export { CinderApiError, CinderNetworkError } from './errors';
export type * from '@cinder/contract';
