export * from './redis';
export * from './server-process';
export * from './tokens';
export * from './phoenix-clients';
export * from './nginx';
export * from './test-database';
export * from './postgres';
