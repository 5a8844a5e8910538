/**
 * The certificate authority port (Octavia's cert generator, plus the PKI files its controller reads).
 * Two CAs, as Octavia's docs set them up:
 *   - the server CA signs each amphora agent's server certificate (CN = SAN DNS = the amphora id); the
 *     controller verifies agents against it ([haproxy_amphora] server_ca);
 *   - the client CA signed the controller's client certificate ([haproxy_amphora] client_cert); each
 *     amphora trusts it for the controller ([controller_worker] client_ca, the amphora's client_ca.pem).
 */
import { DomainError } from '../../common/errors';

/** An amphora agent's server certificate and key in one PEM, as the agent reads `agent_server_cert`. */
export class AmphoraCertificate {
  readonly #pem: string;

  constructor(
    pem: string,
    /** notAfter: Octavia keeps it as the amphora's `cert_expiration`. */
    readonly expiresAt: Date,
  ) {
    this.#pem = pem;
  }

  /** Certificate then private key. The key is a secret: it goes to the amphora's config drive only. */
  get pem(): string {
    return this.#pem;
  }

  /** Serialised (logs, activity results, workflow history) without the private key. */
  toJSON(): { expiresAt: string; pem: '***' } {
    return { expiresAt: this.expiresAt.toISOString(), pem: '***' };
  }
}

/** What the controller presents to agents and trusts from them. */
export interface ControllerTls {
  /** The controller's client certificate and private key, in one PEM. */
  clientCertPem: string;
  /** The CA that signs amphora server certificates. */
  serverCaPem: string;
}

export interface CertificateAuthority {
  readonly name: string;
  /** A new server certificate for an amphora's agent: CN = SAN DNS = the amphora id. */
  issueAmphoraCertificate(amphoraId: string): Promise<AmphoraCertificate>;
  /** The client CA certificate (PEM): the amphora's `agent_server_ca`. */
  clientCaCertificate(): Promise<string>;
  controllerTls(): Promise<ControllerTls>;
}

/**
 * Octavia's CertificateGenerationException: the PKI cannot be loaded or a certificate cannot be made.
 * Not retryable: a missing file or a wrong passphrase stays so until an operator acts.
 */
export class CertificateError extends DomainError {}
