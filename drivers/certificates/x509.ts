/**
 * X.509 building blocks for the certificate authority, on @peculiar/x509 over Node's WebCrypto: keys
 * are made and decrypted by node:crypto (native, and it reads every PEM form OpenSSL writes, encrypted
 * or not), certificates are built and signed by the library. No openssl process anywhere.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';

// Explicit rather than relying on globalThis.crypto being there when the library loads.
x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);

export type SigningDigest = 'sha256' | 'sha384' | 'sha512';

/** A CA as it signs: its certificate and private key (never serialised, never logged). */
export interface SigningCa {
  certificate: x509.X509Certificate;
  key: KeyObject;
}

/** Octavia's local generator: RSA 2048 for everything it makes. */
const RSA_BITS = 2048;

export async function generateRsaKey(): Promise<KeyObject> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: RSA_BITS, publicExponent: 0x10001 });
  return privateKey;
}

/** PKCS#1 ("BEGIN RSA PRIVATE KEY"), as Octavia's TraditionalOpenSSL; other key types as PKCS#8. */
export function privateKeyPem(key: KeyObject): string {
  const type = key.asymmetricKeyType === 'rsa' ? 'pkcs1' : 'pkcs8';
  return key.export({ type, format: 'pem' }).toString();
}

/** A CA's private key from PEM, decrypted with its passphrase when it has one. */
export function loadPrivateKey(pem: string, passphrase?: string): KeyObject {
  return createPrivateKey(passphrase ? { key: pem, format: 'pem', passphrase } : { key: pem, format: 'pem' });
}

/** How a key of this type signs with this digest, in WebCrypto's terms. */
function signingAlgorithm(key: KeyObject, digest: SigningDigest): webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams {
  const hash = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' }[digest];
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash };
  const curves: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
  const namedCurve = key.asymmetricKeyType === 'ec' ? curves[key.asymmetricKeyDetails?.namedCurve ?? ''] : undefined;
  if (namedCurve) return { name: 'ECDSA', namedCurve, hash } as webcrypto.EcKeyImportParams;
  throw new Error(`CA private keys of type ${key.asymmetricKeyType ?? 'unknown'} are not supported (RSA, or EC P-256/384/521).`);
}

async function signingKey(key: KeyObject, digest: SigningDigest) {
  const algorithm = signingAlgorithm(key, digest);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  return { key: await webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']), algorithm };
}

/** The public half as SubjectPublicKeyInfo (DER), what a certificate carries. */
function spki(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

/** A positive 128-bit serial, random as Octavia's (uuid4 as an integer). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

export interface CaSpec {
  commonName: string;
  validitySeconds: number;
}

/** A self-signed CA certificate (the throw-away server and client CAs). */
export async function createCa(spec: CaSpec, key: KeyObject, digest: SigningDigest): Promise<x509.X509Certificate> {
  const signer = await signingKey(key, digest);
  const now = Date.now();
  return x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${spec.commonName}`,
    issuer: `CN=${spec.commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + spec.validitySeconds * 1000),
    publicKey: spki(key),
    signingKey: signer.key,
    signingAlgorithm: signer.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(spki(key)),
    ],
  });
}

export type LeafUsage = 'server' | 'client';

export interface LeafSpec {
  commonName: string;
  validitySeconds: number;
  /**
   * `server`: what Octavia's local generator signs for an amphora (SAN DNS = CN; serverAuth and
   * clientAuth, as Octavia marks them). `client`: the controller's certificate (clientAuth only).
   */
  usage: LeafUsage;
}

/** A certificate for `key` signed by `ca`, with Octavia's local generator's extensions. */
export async function issueLeaf(spec: LeafSpec, key: KeyObject, ca: SigningCa, digest: SigningDigest): Promise<x509.X509Certificate> {
  const signer = await signingKey(ca.key, digest);
  const now = Date.now();
  const serverAuth = '1.3.6.1.5.5.7.3.1';
  const clientAuth = '1.3.6.1.5.5.7.3.2';
  const F = x509.KeyUsageFlags;
  return x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${spec.commonName}`,
    // The CA's subject as it is encoded in its certificate, so chain building matches it byte for byte.
    issuer: ca.certificate.subjectName,
    notBefore: new Date(now),
    notAfter: new Date(now + spec.validitySeconds * 1000),
    publicKey: spki(key),
    signingKey: signer.key,
    signingAlgorithm: signer.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(F.digitalSignature | F.keyEncipherment | F.dataEncipherment | F.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension(spec.usage === 'server' ? [serverAuth, clientAuth] : [clientAuth], true),
      ...(spec.usage === 'server' ? [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: spec.commonName }])] : []),
      await x509.SubjectKeyIdentifierExtension.create(spki(key)),
      ...authorityKeyId(ca.certificate),
    ],
  });
}

/**
 * The CA's own subject key identifier as the leaf's authority key identifier (when the CA has one):
 * recomputing it could differ from how the CA's maker computed it, and chain building matches them.
 */
function authorityKeyId(ca: x509.X509Certificate): x509.Extension[] {
  const ski = ca.getExtension<x509.SubjectKeyIdentifierExtension>('2.5.29.14');
  return ski ? [new x509.AuthorityKeyIdentifierExtension(ski.keyId)] : [];
}

export function certificatePem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem')}\n`;
}

export function parseCertificate(pem: string): x509.X509Certificate {
  return new x509.X509Certificate(pem);
}
