/**
 * The HTTPS client of Octavia's amphora agent API 1.0 (Octavia's AmphoraAPIClient1_0): the same
 * requests, headers and retry rules as `amphora_haproxy_rest_driver`, with errors that say whether
 * retrying can help (../errors.ts).
 *
 * Retries inside one call (up to connection_max_retries attempts, connection_retry_interval apart):
 *   - connection errors and timeouts (the amphora is still booting, or briefly away);
 *   - a 404 that is not JSON (something that is not the agent yet) or that says "No suitable network
 *     interface found" (the VIP NIC is still being hot-plugged);
 *   - 5xx (ours: Octavia gives up on the first; an agent that just restarted answers 503).
 * Exhausted, these are retryable errors: Temporal's activity retry takes over. A TLS failure (wrong
 * CA, a certificate for another amphora, ours refused) and every other answer are decided at once.
 */
import { logger } from '../../../common/logger';
import type { ControllerTls } from '../../certificates/port';
import {
  AmphoraAgentRequestError,
  AmphoraAgentServerError,
  AmphoraConfigRejectedError,
  AmphoraDriverError,
  AmphoraTlsError,
  AmphoraUnreachableError,
} from '../errors';
import { splitCertAndKey } from './pem';
import { pythonJson } from './python-json';
import { exchange, TransportError, type AgentResponse, type TlsMaterial } from './transport';

/** Octavia's [haproxy_amphora] options the client reads (seconds, as Octavia's). */
export interface AgentClientSettings {
  /** bind_port: where every agent listens. */
  bindPort: number;
  connectionMaxRetries: number;
  connectionRetryInterval: number;
  restRequestConnTimeout: number;
  restRequestReadTimeout: number;
}

/** Octavia's defaults (octavia/common/config.py). */
export const DEFAULT_AGENT_CLIENT_SETTINGS: Readonly<AgentClientSettings> = Object.freeze({
  bindPort: 9443,
  connectionMaxRetries: 120,
  connectionRetryInterval: 5,
  restRequestConnTimeout: 10,
  restRequestReadTimeout: 60,
});

export const API_VERSION = '1.0';
export const OCTAVIA_API_CLIENT = `Octavia HaProxy Rest Client/${API_VERSION} (https://wiki.openstack.org/wiki/Octavia)`;

/** What `requests` sends on every call, in its order. */
const BASE_HEADERS = Object.freeze({
  'User-Agent': OCTAVIA_API_CLIENT,
  'Accept-Encoding': 'gzip, deflate',
  Accept: '*/*',
  Connection: 'keep-alive',
});

const NO_SUITABLE_NIC = 'No suitable network interface found';

export interface AgentEndpoint {
  amphoraId: string;
  lbNetworkIp: string;
}

export interface AgentCall {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Under /1.0/ (e.g. `info`), or `/` for version discovery. */
  path: string;
  /** What the call does, for messages ("upload the haproxy configuration"). */
  action: string;
  json?: unknown;
  /** A text body (a configuration file); sent without a Content-Type, as `requests` sends `data=`. */
  text?: string;
  /** Statuses that are not errors for this call besides 2xx (409 on plug, 404 on delete). */
  accept?: number[];
  /** false: a 404 is an answer, not "not ready yet" (version discovery). Default true. */
  retry404?: boolean;
  /** A 400 means the configuration itself was refused (HAProxy's or keepalived's check). */
  uploadsConfig?: boolean;
}

export class AgentAnswer {
  constructor(private readonly res: AgentResponse) {}

  get status(): number {
    return this.res.status;
  }

  header(name: string): string | undefined {
    const v = this.res.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  text(): string {
    return this.res.body.toString('utf8');
  }

  /** The JSON body, or undefined when there is none or it is not JSON. */
  json(): unknown {
    if (!(this.header('content-type') ?? '').includes('application/json')) return undefined;
    try {
      return JSON.parse(this.text());
    } catch {
      return undefined;
    }
  }

  /** The agent's `message` and `details` (Flask's own errors say `error`), for error messages. */
  explanation(): { message: string; details: string } {
    const body = this.json() as { message?: unknown; details?: unknown; error?: unknown } | undefined;
    const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));
    return { message: str(body?.message ?? body?.error), details: str(body?.details) };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class AmphoraAgentClient {
  private readonly tls: TlsMaterial;

  constructor(
    tls: ControllerTls,
    private readonly settings: AgentClientSettings = DEFAULT_AGENT_CLIENT_SETTINGS,
  ) {
    const { cert, key } = splitCertAndKey(tls.clientCertPem, 'The controller client certificate (client_cert)');
    this.tls = { cert, key, ca: tls.serverCaPem };
  }

  /** One call, retried as the module comment says; a non-accepted answer becomes its error. */
  async request(amp: AgentEndpoint, call: AgentCall): Promise<AgentAnswer> {
    const answer = await this.withRetries(amp, call);
    if ((answer.status >= 200 && answer.status < 300) || call.accept?.includes(answer.status)) return answer;
    throw answerError(amp, call, answer);
  }

  private async withRetries(amp: AgentEndpoint, call: AgentCall): Promise<AgentAnswer> {
    const attempts = Math.max(1, this.settings.connectionMaxRetries);
    let last: { reason: string; answer?: AgentAnswer } = { reason: 'no attempt made' };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const answer = new AgentAnswer(await exchange(this.tls, this.exchangeRequest(amp, call)));
        const reason = retryReason(answer, call);
        if (!reason) return answer;
        last = { reason, answer };
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        if (err.kind === 'tls') {
          throw new AmphoraTlsError(
            `TLS with the agent of amphora ${amp.amphoraId} at ${amp.lbNetworkIp} failed (${err.code ?? 'handshake'}): ${err.message}. ` +
              'Check that its server certificate is for this amphora id and signed by the server CA, and that it trusts our client CA.',
            { amphoraId: amp.amphoraId, cause: err },
          );
        }
        last = { reason: err.message };
      }
      if (attempt < attempts) {
        logger.warn({ amphoraId: amp.amphoraId, lbNetworkIp: amp.lbNetworkIp, action: call.action, attempt, reason: last.reason }, 'Could not reach the amphora agent. Retrying.');
        await sleep(this.settings.connectionRetryInterval * 1000);
      }
    }
    const summary = `Could not ${call.action} on amphora ${amp.amphoraId} at ${amp.lbNetworkIp} after ${attempts} attempts: ${last.reason}`;
    logger.error({ amphoraId: amp.amphoraId, action: call.action, attempts }, 'Connection retries exhausted. The amphora is unavailable.');
    if (last.answer && last.answer.status >= 500) {
      throw new AmphoraAgentServerError(summary, { amphoraId: amp.amphoraId, status: last.answer.status });
    }
    throw new AmphoraUnreachableError(summary, { amphoraId: amp.amphoraId, status: last.answer?.status });
  }

  private exchangeRequest(amp: AgentEndpoint, call: AgentCall) {
    const headers: Record<string, string> = { ...BASE_HEADERS };
    let body: Buffer | undefined;
    if (call.json !== undefined) {
      body = Buffer.from(pythonJson(call.json), 'utf8');
      headers['Content-Type'] = 'application/json';
    } else if (call.text !== undefined) {
      body = Buffer.from(call.text, 'utf8');
    }
    // requests says Content-Length: 0 for a PUT or POST without a body, and nothing for GET/DELETE.
    if (body || call.method === 'PUT' || call.method === 'POST') headers['Content-Length'] = String(body?.length ?? 0);
    return {
      host: amp.lbNetworkIp,
      port: this.settings.bindPort,
      servername: amp.amphoraId,
      method: call.method,
      path: call.path === '/' ? '/' : `/${API_VERSION}/${call.path}`,
      headers,
      body,
      connectTimeoutMs: this.settings.restRequestConnTimeout * 1000,
      readTimeoutMs: this.settings.restRequestReadTimeout * 1000,
    };
  }
}

/** Why this answer is not final yet (Octavia's request loop), or undefined when it is. */
function retryReason(answer: AgentAnswer, call: AgentCall): string | undefined {
  if (answer.status >= 500) return `the agent answered ${answer.status} ${answer.explanation().message}`.trim();
  if (answer.status !== 404 || call.retry404 === false) return undefined;
  if (!(answer.header('content-type') ?? '').includes('application/json')) return 'the agent is not ready (404 without JSON)';
  if (answer.explanation().details.includes(NO_SUITABLE_NIC)) return `the agent answered 404: ${NO_SUITABLE_NIC}`;
  return undefined;
}

/** Octavia's check_exception for a final answer (5xx never gets here), the agent's own words kept. */
function answerError(amp: AgentEndpoint, call: AgentCall, answer: AgentAnswer): AmphoraDriverError {
  const { message, details } = answer.explanation();
  const opts = { amphoraId: amp.amphoraId, status: answer.status };
  const what = `Amphora ${amp.amphoraId} refused to ${call.action} (${answer.status}${message ? ` ${message}` : ''})`;
  if (answer.status === 400 && call.uploadsConfig) return new AmphoraConfigRejectedError(what, details, opts);
  return new AmphoraAgentRequestError(details ? `${what}: ${details}` : what, opts);
}
