/**
 * The local certificate authority (Octavia's local_cert_generator): amphora server certificates are
 * signed in-process with the server CA's key.
 *
 * The PKI comes from configuration, as Octavia reads it: the server CA ([certificates] ca_certificate,
 * ca_private_key, ca_private_key_passphrase), the client CA amphorae trust ([controller_worker]
 * client_ca), the controller's own certificate ([haproxy_amphora] client_cert) and what agents are
 * verified against ([haproxy_amphora] server_ca, by default the server CA itself).
 *
 * With none of it configured, a throw-away PKI is made under `stateDir` at first use and reused after
 * (the same five files Octavia's docs make with openssl: server_ca.pem/.key, client_ca.pem/.key,
 * client.pem). It is for a laptop or CI: production brings its own CAs. Half a configuration is refused
 * at construction, so a typo never silently falls back to a throw-away CA.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AmphoraCertificate, CertificateError, type CertificateAuthority, type ControllerTls } from './port';
import {
  certificatePem,
  createCa,
  generateRsaKey,
  issueLeaf,
  loadPrivateKey,
  parseCertificate,
  privateKeyPem,
  type SigningCa,
  type SigningDigest,
} from './x509';

export interface LocalCaSettings {
  /** [certificates] ca_certificate: PEM file of the server CA. */
  caCertificate?: string;
  /** [certificates] ca_private_key: PEM file of its private key. */
  caPrivateKey?: string;
  /** [certificates] ca_private_key_passphrase (a secret). */
  caPrivateKeyPassphrase?: string;
  /** [controller_worker] client_ca: PEM file of the CA that signed the controller's certificate. */
  clientCa?: string;
  /** [haproxy_amphora] client_cert: the controller's certificate and key, one PEM file. */
  clientCert?: string;
  /** [haproxy_amphora] server_ca: PEM file agents are verified against (default: caCertificate). */
  serverCa?: string;
  /** [certificates] cert_validity_time, seconds (Octavia: 30 days). */
  certValiditySeconds: number;
  /** [certificates] signing_digest. */
  signingDigest: SigningDigest;
  /** Where the throw-away PKI lives when nothing is configured (e.g. `.data/pki`). */
  stateDir: string;
}

interface Pki {
  serverCa: SigningCa;
  clientCaPem: string;
  tls: ControllerTls;
}

/** Ours: the throw-away CAs live long, so a laptop's amphorae never outlive them. */
const THROWAWAY_CA_VALIDITY_SECONDS = 10 * 365 * 24 * 3600;
const CONTROLLER_CN = 'octavia-controller';
const FILES = {
  serverCa: 'server_ca.pem',
  serverCaKey: 'server_ca.key',
  clientCa: 'client_ca.pem',
  clientCaKey: 'client_ca.key',
  clientCert: 'client.pem',
} as const;

/** An amphora id as a certificate name: a UUID, or anything else DNS-safe (it is also the TLS host name). */
const AMPHORA_ID = /^[A-Za-z0-9-]{1,63}$/;

export class LocalCertificateAuthority implements CertificateAuthority {
  readonly name = 'local';
  readonly throwAway: boolean;
  #pki: Promise<Pki> | undefined;

  constructor(private readonly settings: LocalCaSettings) {
    const required = { caCertificate: settings.caCertificate, caPrivateKey: settings.caPrivateKey, clientCa: settings.clientCa, clientCert: settings.clientCert };
    const given = Object.entries(required).filter(([, v]) => v);
    this.throwAway = given.length === 0 && !settings.serverCa && !settings.caPrivateKeyPassphrase;
    if (!this.throwAway && given.length < Object.keys(required).length) {
      const missing = Object.entries(required).filter(([, v]) => !v).map(([k]) => k);
      throw new CertificateError(
        `Incomplete certificate configuration: missing ${missing.join(', ')} (configure the whole PKI, or none of it for a throw-away one).`,
      );
    }
  }

  async issueAmphoraCertificate(amphoraId: string): Promise<AmphoraCertificate> {
    if (!AMPHORA_ID.test(amphoraId)) throw new CertificateError(`Not a valid amphora id for a certificate: ${JSON.stringify(amphoraId)}.`);
    const { serverCa } = await this.pki();
    try {
      const key = await generateRsaKey();
      const cert = await issueLeaf(
        { commonName: amphoraId, validitySeconds: this.settings.certValiditySeconds, usage: 'server' },
        key,
        serverCa,
        this.settings.signingDigest,
      );
      return new AmphoraCertificate(certificatePem(cert) + privateKeyPem(key), cert.notAfter);
    } catch (err) {
      throw new CertificateError(`Unable to sign the certificate of amphora ${amphoraId}.`, { cause: err });
    }
  }

  async clientCaCertificate(): Promise<string> {
    return (await this.pki()).clientCaPem;
  }

  async controllerTls(): Promise<ControllerTls> {
    return (await this.pki()).tls;
  }

  /** Loaded (or made) once; a failure is not cached, so a fixed file is picked up by the next call. */
  private pki(): Promise<Pki> {
    this.#pki ??= (this.throwAway ? this.throwAwayPki() : this.configuredPki()).catch((err) => {
      this.#pki = undefined;
      throw err;
    });
    return this.#pki;
  }

  private async configuredPki(): Promise<Pki> {
    const s = this.settings;
    const caPem = await readPem(s.caCertificate!, 'CA certificate');
    const serverCa = signingCa(caPem, await readPem(s.caPrivateKey!, 'CA private key'), s.caPrivateKeyPassphrase, s.caPrivateKey!);
    return {
      serverCa,
      clientCaPem: await readPem(s.clientCa!, 'client CA certificate'),
      tls: {
        clientCertPem: await readPem(s.clientCert!, 'controller client certificate'),
        serverCaPem: s.serverCa ? await readPem(s.serverCa, 'server CA certificate') : caPem,
      },
    };
  }

  private async throwAwayPki(): Promise<Pki> {
    const dir = this.settings.stateDir;
    const existing = await readThrowAway(dir);
    if (existing) return existing;
    // Made aside and renamed into place: of two processes starting at once, one wins and the other
    // reads the winner's files, so they never end up with different CAs.
    const staging = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await mkdir(staging, { recursive: true, mode: 0o700 });
    try {
      await writeThrowAway(staging, this.settings.signingDigest);
      await rename(staging, dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST' && err.code !== 'ENOTEMPTY') throw err;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    const made = await readThrowAway(dir);
    if (!made) throw new CertificateError(`The throw-away PKI in ${dir} could not be read back.`);
    return made;
  }
}

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CertificateError(`Failed to load ${what} ${file}.`, { cause: err });
  }
}

function signingCa(certPem: string, keyPem: string, passphrase: string | undefined, keyFile: string): SigningCa {
  let key;
  try {
    key = loadPrivateKey(keyPem, passphrase);
  } catch (err) {
    // The cause is OpenSSL's reason ("bad decrypt"); neither says what the passphrase was.
    throw new CertificateError(`Failed to load CA private key ${keyFile}${passphrase ? ' (wrong passphrase?)' : ' (encrypted? set its passphrase)'}.`, { cause: err });
  }
  const certificate = parseCertificate(certPem);
  const publicKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!publicKey.equals(Buffer.from(certificate.publicKey.rawData))) {
    throw new CertificateError(`CA private key ${keyFile} does not belong to the CA certificate.`);
  }
  return { certificate, key };
}

async function writeThrowAway(dir: string, digest: SigningDigest): Promise<void> {
  const [serverKey, clientCaKey, controllerKey] = await Promise.all([generateRsaKey(), generateRsaKey(), generateRsaKey()]);
  const validitySeconds = THROWAWAY_CA_VALIDITY_SECONDS;
  const serverCa = await createCa({ commonName: 'octavia-temporal throw-away server CA', validitySeconds }, serverKey, digest);
  const clientCa = await createCa({ commonName: 'octavia-temporal throw-away client CA', validitySeconds }, clientCaKey, digest);
  const controller = await issueLeaf(
    { commonName: CONTROLLER_CN, validitySeconds, usage: 'client' },
    controllerKey,
    { certificate: clientCa, key: clientCaKey },
    digest,
  );
  const files: Array<[string, string, number]> = [
    [FILES.serverCa, certificatePem(serverCa), 0o644],
    [FILES.serverCaKey, privateKeyPem(serverKey), 0o600],
    [FILES.clientCa, certificatePem(clientCa), 0o644],
    [FILES.clientCaKey, privateKeyPem(clientCaKey), 0o600],
    [FILES.clientCert, certificatePem(controller) + privateKeyPem(controllerKey), 0o600],
  ];
  for (const [name, contents, mode] of files) {
    await writeFile(path.join(dir, name), contents, { mode });
    await chmod(path.join(dir, name), mode);
  }
}

/** The throw-away PKI in `dir`, or undefined when there is none yet; a partial one is an error. */
async function readThrowAway(dir: string): Promise<Pki | undefined> {
  const read = (name: string) => readFile(path.join(dir, name), 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
  const [serverCa, serverCaKey, clientCa, clientCert] = await Promise.all([read(FILES.serverCa), read(FILES.serverCaKey), read(FILES.clientCa), read(FILES.clientCert)]);
  if (!serverCa && !serverCaKey && !clientCa && !clientCert) return undefined;
  if (!serverCa || !serverCaKey || !clientCa || !clientCert) {
    throw new CertificateError(`The throw-away PKI in ${dir} is incomplete: remove the folder to make a new one (amphorae built with the old one must be rebuilt).`);
  }
  return { serverCa: signingCa(serverCa, serverCaKey, undefined, path.join(dir, FILES.serverCaKey)), clientCaPem: clientCa, tls: { clientCertPem: clientCert, serverCaPem: serverCa } };
}
