export * from './message';
export * from './protocol-error';
export * from './serializer';
export * from './binary-frame';
export { v1Serializer } from './v1-json';
export { v2Serializer, v2TextSerializer } from './v2-json';
export { serializerForVsn } from './vsn';
