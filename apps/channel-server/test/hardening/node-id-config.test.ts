/**
 * NODE_ID may not enter the SDK's origin space: a node ignores Redis
 * messages carrying its own id, so such a node could miss an SDK
 * publisher's broadcasts (CONTRACT §7 redisUrl mode).
 */
import { ConfigError, loadConfig } from '../../src/config/config';

it('refuses a NODE_ID starting with "sdk:", naming the variable', () => {
  expect(() => loadConfig({ NODE_ID: 'sdk:abc' })).toThrow(ConfigError);
  expect(() => loadConfig({ NODE_ID: 'sdk:abc' })).toThrow(/^NODE_ID: /);
});

it('takes any other NODE_ID, and defaults to host and pid', () => {
  expect(loadConfig({ NODE_ID: 'node-sdk:1' }).nodeId).toBe('node-sdk:1');
  expect(loadConfig({}).nodeId).toMatch(new RegExp(`-${process.pid}$`));
});
