/** What a system logs, captured: a logger with the process's options (redaction, serializers) writing JSON lines to memory. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../common/logger';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface CapturedLogs {
  log: Logger;
  /** Every line written so far, as written (the raw text) and parsed. */
  readonly raw: string[];
  lines(): LogLine[];
}

export function captureLogs(level = 'info'): CapturedLogs {
  const raw: string[] = [];
  let partial = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      raw.push(...parts.filter(Boolean));
      done();
    },
  });
  // pino writes synchronously to a plain Writable: each call's line is there when it returns.
  const log = createLogger({ level, destination });
  return { log, raw, lines: () => raw.map((l) => JSON.parse(l) as LogLine) };
}
