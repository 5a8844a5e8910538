/**
 * One HTTPS exchange with an amphora agent, as Octavia's requests session makes it: mutual TLS pinned
 * to TLS 1.2, the agent's certificate verified against the server CA with the **amphora id** as the
 * host name (SNI and identity check) while the connection goes to its management address, a connect
 * and a read timeout. Whether and how to retry is the client's business (client.ts); this module only
 * says what happened: a response, or a TransportError of a kind the client can decide on.
 */
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import tls, { type PeerCertificate } from 'node:tls';
import zlib from 'node:zlib';

export interface TlsMaterial {
  /** The controller's certificate chain and key (client_cert, split). */
  cert: string;
  key: string;
  /** The server CA. */
  ca: string;
}

export interface ExchangeRequest {
  host: string;
  port: number;
  /** The name the agent's certificate must carry: the amphora id. */
  servername: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  connectTimeoutMs: number;
  readTimeoutMs: number;
}

export interface AgentResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Decoded (gzip/deflate undone). */
  body: Buffer;
}

/**
 * connect: nothing answered (refused, reset, unreachable); timeout: connect or read timeout;
 * tls: the handshake failed on a certificate, ours or theirs (retrying cannot fix that).
 */
export type TransportErrorKind = 'connect' | 'timeout' | 'tls';

export class TransportError extends Error {
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** An agent answer is a few KiB; anything past this is not an agent. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** OpenSSL's certificate verification failures, as Node names them. */
const CERT_ERRORS = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_PURPOSE',
]);

function classify(err: NodeJS.ErrnoException): TransportError {
  if (err instanceof TransportError) return err;
  const code = err.code ?? '';
  // A TLS alert from the agent (our certificate refused or missing, the protocol not offered): Node
  // reports it as EPROTO ("tlsv1 alert unknown ca", "SSL alert number 48") or as ERR_SSL_*.
  const alert = code.startsWith('ERR_SSL_') || (code === 'EPROTO' && /alert/i.test(err.message));
  const kind: TransportErrorKind = CERT_ERRORS.has(code) || alert ? 'tls' : 'connect';
  return new TransportError(kind, err.message, code || undefined);
}

function decode(headers: IncomingHttpHeaders, raw: Buffer): Buffer {
  switch (headers['content-encoding']) {
    case 'gzip':
      return zlib.gunzipSync(raw);
    case 'deflate':
      return zlib.inflateSync(raw);
    default:
      return raw;
  }
}

export function exchange(material: TlsMaterial, r: ExchangeRequest): Promise<AgentResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: r.host,
      port: r.port,
      method: r.method,
      path: r.path,
      headers: r.headers,
      servername: r.servername,
      cert: material.cert,
      key: material.key,
      ca: material.ca,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      checkServerIdentity: (_host: string, cert: PeerCertificate) => tls.checkServerIdentity(r.servername, cert),
      // A fresh connection per request, as the agent closes every one anyway (Connection: close).
      agent: false,
    });
    const connectTimer = setTimeout(
      () => req.destroy(new TransportError('timeout', `no TLS connection to ${r.host}:${r.port} within ${r.connectTimeoutMs} ms`)),
      r.connectTimeoutMs,
    );
    req.on('socket', (socket) => socket.once('secureConnect', () => clearTimeout(connectTimer)));
    req.setTimeout(r.readTimeoutMs, () =>
      req.destroy(new TransportError('timeout', `no answer from ${r.host}:${r.port} within ${r.readTimeoutMs} ms`)),
    );
    req.on('error', (err) => {
      clearTimeout(connectTimer);
      reject(classify(err));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req.destroy(new TransportError('connect', `answer from ${r.host}:${r.port} exceeds ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', (err) => reject(classify(err)));
      res.on('end', () => {
        clearTimeout(connectTimer);
        try {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: decode(res.headers, Buffer.concat(chunks)) });
        } catch (err) {
          reject(new TransportError('connect', `undecodable answer from ${r.host}:${r.port}: ${(err as Error).message}`));
        }
      });
    });
    req.end(r.body);
  });
}
