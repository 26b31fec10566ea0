export { LongPollTransport, type LongPollTransportOptions } from './longpoll-transport';
