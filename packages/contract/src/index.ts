export * from './session';
export * from './job';
export * from './http-api';
