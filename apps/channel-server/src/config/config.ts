import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { SDK_ORIGIN_PREFIX, isSdkOrigin } from '@cinder/contract';

export interface RateLimit {
  perSecond: number;
  burst: number;
}

export interface Config {
  port: number;
  host: string;
  nodeId: string;
  production: boolean;
  redisUrl: string | null;
  databaseUrl: string | null;
  dataDir: string;
  /** HS256 secret, or null when a public key verifies tokens */
  jwtSecret: string | null;
  jwtPublicKey: string | null;
  /** true: no JWT_SECRET outside production — random secret and /dev/token */
  devMode: boolean;
  serverApiKey: string;
  /** the key was generated at start (dev mode) and must be printed */
  serverApiKeyGenerated: boolean;
  /** null: every origin allowed */
  checkOrigin: string[] | null;
  /** production without CHECK_ORIGIN: only the request's own host */
  sameHostOrigin: boolean;
  maxFrameBytes: number;
  rateLimit: RateLimit;
  /** join attempts per socket (a join storm costs a store round trip each) */
  joinRateLimit: RateLimit;
  maxChannelsPerSocket: number;
  /** connections per user (socket id) on this node */
  maxSocketsPerUser: number;
  /** unsent output per WebSocket/LongPoll session before it is cut off as a slow consumer */
  maxBufferedBytes: number;
  logLevel: string;
}

/** A configuration problem: the server prints this one line and exits. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const REPO_ROOT = resolve(__dirname, '../../../..');
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function intVar(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function urlVar(env: NodeJS.ProcessEnv, name: string, protocols: string[]): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${url.protocol}`);
  }
  return raw;
}

function publicKeyVar(env: NodeJS.ProcessEnv): string | null {
  const raw = env.JWT_PUBLIC_KEY;
  if (raw === undefined || raw === '') return null;
  let pem = raw;
  if (!raw.includes('-----BEGIN')) {
    if (!existsSync(raw)) throw new ConfigError('JWT_PUBLIC_KEY', 'is neither a PEM key nor a readable file');
    try {
      pem = readFileSync(raw, 'utf8');
    } catch {
      throw new ConfigError('JWT_PUBLIC_KEY', `cannot read ${raw}`);
    }
  }
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(pem)) {
    throw new ConfigError('JWT_PUBLIC_KEY', 'does not contain a PEM public key');
  }
  return pem;
}

function rateLimitVar(env: NodeJS.ProcessEnv, name: string, def: string): RateLimit {
  const raw = env[name] === undefined || env[name] === '' ? def : (env[name] as string);
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(raw);
  if (!m) throw new ConfigError(name, `must be "<per second>/<burst>", got ${JSON.stringify(raw)}`);
  const perSecond = Number(m[1]);
  const burst = Number(m[2]);
  if (perSecond < 1 || burst < 1) throw new ConfigError(name, 'both numbers must be at least 1');
  return { perSecond, burst };
}

function originsVar(env: NodeJS.ProcessEnv): string[] | null {
  const raw = env.CHECK_ORIGIN;
  if (raw === undefined || raw.trim() === '') return null;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of list) {
    try {
      new URL(entry.startsWith('//') ? `x:${entry}` : entry);
    } catch {
      throw new ConfigError('CHECK_ORIGIN', `${JSON.stringify(entry)} is not an origin`);
    }
  }
  return list;
}

function nodeIdVar(env: NodeJS.ProcessEnv): string {
  const id = env.NODE_ID && env.NODE_ID !== '' ? env.NODE_ID : `${hostname()}-${process.pid}`;
  // Nodes ignore Redis messages from their own id: one in the SDK's origin space would miss that SDK's broadcasts.
  if (isSdkOrigin(id)) throw new ConfigError('NODE_ID', `must not start with "${SDK_ORIGIN_PREFIX}" (reserved for SDK publishers)`);
  return id;
}

/** Reads CONTRACT §2's variables; throws ConfigError naming the first bad one. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const port = intVar(env, 'PORT', 4000, 0, 65535);
  const host = env.HOST && env.HOST !== '' ? env.HOST : '0.0.0.0';
  const jwtPublicKey = publicKeyVar(env);
  const jwtSecretRaw = env.JWT_SECRET && env.JWT_SECRET !== '' ? env.JWT_SECRET : null;
  if (production && !jwtSecretRaw && !jwtPublicKey) {
    throw new ConfigError('JWT_SECRET', 'is required when NODE_ENV=production (or set JWT_PUBLIC_KEY)');
  }
  if (production && jwtSecretRaw && jwtSecretRaw.length < 32) {
    throw new ConfigError('JWT_SECRET', 'must be at least 32 characters in production');
  }
  const devMode = !production && !jwtSecretRaw && !jwtPublicKey;
  const apiKeyRaw = env.SERVER_API_KEY && env.SERVER_API_KEY !== '' ? env.SERVER_API_KEY : null;
  if (production && !apiKeyRaw) throw new ConfigError('SERVER_API_KEY', 'is required when NODE_ENV=production');
  const logLevel = env.LOG_LEVEL && env.LOG_LEVEL !== '' ? env.LOG_LEVEL : 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const checkOrigin = originsVar(env);
  return {
    port,
    host,
    nodeId: nodeIdVar(env),
    production,
    redisUrl: urlVar(env, 'REDIS_URL', ['redis:', 'rediss:']),
    databaseUrl: urlVar(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: resolve(env.DATA_DIR && env.DATA_DIR !== '' ? env.DATA_DIR : resolve(REPO_ROOT, '.cinder')),
    jwtSecret: jwtPublicKey ? null : (jwtSecretRaw ?? randomBytes(32).toString('base64url')),
    jwtPublicKey,
    devMode,
    serverApiKey: apiKeyRaw ?? randomBytes(24).toString('base64url'),
    serverApiKeyGenerated: !apiKeyRaw,
    checkOrigin,
    sameHostOrigin: production && checkOrigin === null,
    maxFrameBytes: intVar(env, 'MAX_FRAME_BYTES', 65536, 256, 64 * 1024 * 1024),
    rateLimit: rateLimitVar(env, 'RATE_LIMIT', '50/100'),
    joinRateLimit: rateLimitVar(env, 'JOIN_RATE_LIMIT', '20/200'),
    maxChannelsPerSocket: intVar(env, 'MAX_CHANNELS_PER_SOCKET', 100, 1, 100000),
    maxSocketsPerUser: intVar(env, 'MAX_SOCKETS_PER_USER', 20, 1, 100000),
    // Below 64 KiB a single ordinary burst (a join reply with history) would trip it.
    maxBufferedBytes: intVar(env, 'MAX_BUFFERED_BYTES', 8 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    logLevel,
  };
}
