/**
 * Structured logging (pino). Secrets never reach the log: any field whose name says it holds one is
 * censored wherever it appears, so a driver can log a request object without thinking about it.
 */
import pino from 'pino';
import { config } from '../config';
import { serializeError } from './error-chain';

export { serializeError, errorChainText, type SerializedError } from './error-chain';

export const redactedKeys = [
  'password',
  'token',
  'authToken',
  'adminPass',
  'secret',
  'x-auth-token',
  'x-subject-token',
  'authorization',
  // The VRRP group's password (Octavia's vrrp_auth_pass), and keepalived's configuration that carries it.
  'authPass',
  'vrrpAuthPass',
  'vrrp_auth_pass',
  'keepalivedConfig',
  // Keys: the heartbeat HMAC key, the CA's and the amphorae's private keys (a PEM bundle may carry one).
  'key',
  'heartbeatKey',
  'heartbeat_key',
  'signingKey',
  'privateKey',
  'private_key',
  'caPrivateKey',
  'ca_private_key',
  'serverCaKey',
  'clientCaKey',
  'keyPem',
  'pem',
  'serverPem',
  'clientCertPem',
  'passphrase',
  'applicationCredentialSecret',
  'application_credential_secret',
  'cookie',
  'set-cookie',
];

// Bracket notation, since header names contain dashes; up to four levels deep (req.headers.x, err.x.y).
const redactPaths = redactedKeys.flatMap((k) => ['', '*.', '*.*.', '*.*.*.'].map((prefix) => `${prefix}["${k}"]`));

/**
 * A logger with the process's options: redaction, error serializers, JSON lines (or pino-pretty on a
 * terminal). `destination` writes elsewhere (tests read what a system logs from it).
 */
export function createLogger(opts: { level?: string; destination?: pino.DestinationStream } = {}): pino.Logger {
  const options: pino.LoggerOptions = {
    level: opts.level ?? config.log.level,
    base: { service: 'octavia-temporal' },
    redact: { paths: redactPaths, censor: '***' },
    // Errors with their type, message and cause chain under either name (pino's own only knows `err`,
    // and an Error anywhere else is written as {}).
    serializers: { err: serializeError, error: serializeError },
  };
  if (opts.destination) return pino(options, opts.destination);
  return pino({
    ...options,
    transport: config.log.pretty
      ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service' } }
      : undefined,
  });
}

export const logger = createLogger();

export type Logger = pino.Logger;
