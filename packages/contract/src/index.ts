export * from './session';
export * from './job';
export * from './http-api';
export * from './broadcast-limits';
export * from './cluster-envelope';
export * from './cluster-channels';
