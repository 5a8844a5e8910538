/**
 * Structured logging (pino). Secrets never reach the log: any field whose name says it holds one is
 * censored wherever it appears, so a driver can log a request object without thinking about it.
 */
import pino from 'pino';
import { config } from '../config';

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
];

// Bracket notation, since header names contain dashes; up to four levels deep (req.headers.x, err.x.y).
const redactPaths = redactedKeys.flatMap((k) => ['', '*.', '*.*.', '*.*.*.'].map((prefix) => `${prefix}["${k}"]`));

export const logger = pino({
  level: config.log.level,
  base: { service: 'octavia-temporal' },
  redact: { paths: redactPaths, censor: '***' },
  transport: config.log.pretty
    ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service' } }
    : undefined,
});

export type Logger = pino.Logger;
