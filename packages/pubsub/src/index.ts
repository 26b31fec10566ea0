export { MemoryAdapter } from './memory';
export { RedisAdapter } from './redis';
export type { RedisAdapterOptions, PubSubLogger } from './redis';
export { EnvelopeError } from '@cinder/contract';
