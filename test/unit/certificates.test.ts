/**
 * The local certificate authority: amphora server certificates as Octavia's local generator makes
 * them, checked with node:crypto's own X509Certificate (not the library that made them); the
 * throw-away PKI made once and reused by the next process; a configured CA read with its passphrase.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AmphoraCertificate, CertificateError, LocalCertificateAuthority, type LocalCaSettings } from '../../drivers/certificates';
import { certificatePem, createCa, generateRsaKey, issueLeaf } from '../../drivers/certificates/x509';

const AMPHORA_ID = 'a5a5a5a5-0000-4000-8000-000000000001';
const THIRTY_DAYS = 30 * 24 * 3600;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'octavia-pki-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const throwAway = (stateDir = path.join(dir, 'pki')): LocalCaSettings => ({ certValiditySeconds: THIRTY_DAYS, signingDigest: 'sha256', stateDir });

/** The certificate blocks and the key block of one PEM. */
function parts(pem: string) {
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];
  const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----\n/.exec(pem)?.[0];
  return { certs, key };
}

describe('amphora server certificates', () => {
  it('are signed by the server CA, CN = SAN DNS = the amphora id, serverAuth, valid cert_validity_time', async () => {
    const ca = new LocalCertificateAuthority(throwAway());
    const before = Date.now();
    const issued = await ca.issueAmphoraCertificate(AMPHORA_ID);
    const serverCa = new X509Certificate((await ca.controllerTls()).serverCaPem);

    const { certs, key } = parts(issued.pem);
    expect(certs).toHaveLength(1);
    expect(key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/); // Octavia's TraditionalOpenSSL
    const cert = new X509Certificate(certs[0]!);
    expect(cert.verify(serverCa.publicKey)).toBe(true);
    expect(cert.checkIssued(serverCa)).toBe(true);
    expect(cert.subject).toBe(`CN=${AMPHORA_ID}`);
    expect(cert.subjectAltName).toBe(`DNS:${AMPHORA_ID}`);
    expect(cert.checkHost(AMPHORA_ID)).toBe(AMPHORA_ID);
    expect(cert.checkHost('another-amphora')).toBeUndefined();
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1'])); // serverAuth (EKU)
    expect(cert.checkPrivateKey(createPrivateKey(key!))).toBe(true);
    expect(createPrivateKey(key!).asymmetricKeyDetails?.modulusLength).toBe(2048);

    const notAfter = new Date(cert.validTo).getTime();
    expect(Math.abs(notAfter - (before + THIRTY_DAYS * 1000))).toBeLessThan(60_000);
    expect(Math.abs(issued.expiresAt.getTime() - notAfter)).toBeLessThan(1000);
  });

  it('never serialise their private key', async () => {
    const issued = await new LocalCertificateAuthority(throwAway()).issueAmphoraCertificate(AMPHORA_ID);
    expect(issued).toBeInstanceOf(AmphoraCertificate);
    const serialised = JSON.stringify({ cert: issued });
    expect(serialised).not.toContain('PRIVATE KEY');
    expect(JSON.parse(serialised).cert).toEqual({ expiresAt: issued.expiresAt.toISOString(), pem: '***' });
  });

  it('refuse a name that is not an amphora id (it would be parsed as a distinguished name)', async () => {
    const ca = new LocalCertificateAuthority(throwAway());
    await expect(ca.issueAmphoraCertificate('x,O=evil')).rejects.toThrow(CertificateError);
    await expect(ca.issueAmphoraCertificate('')).rejects.toThrow(CertificateError);
  });
});

describe('the throw-away PKI', () => {
  it('has a controller client certificate (CN=octavia-controller, clientAuth) signed by the client CA', async () => {
    const ca = new LocalCertificateAuthority(throwAway());
    const tls = await ca.controllerTls();
    const clientCa = new X509Certificate(await ca.clientCaCertificate());
    const { certs, key } = parts(tls.clientCertPem);
    const client = new X509Certificate(certs[0]!);
    expect(client.subject).toBe('CN=octavia-controller');
    expect(client.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(client.verify(clientCa.publicKey)).toBe(true);
    expect(client.checkPrivateKey(createPrivateKey(key!))).toBe(true);
    // Two CAs, as in Octavia's docs: the server CA did not sign the controller.
    expect(client.verify(new X509Certificate(tls.serverCaPem).publicKey)).toBe(false);
    expect(clientCa.ca && new X509Certificate(tls.serverCaPem).ca).toBe(true);
  });

  it('is made once under the state directory, keys private, and reused after a restart', async () => {
    const stateDir = path.join(dir, 'nested', 'pki');
    const first = new LocalCertificateAuthority(throwAway(stateDir));
    const tls1 = await first.controllerTls();
    for (const key of ['server_ca.key', 'client_ca.key', 'client.pem']) {
      expect((await stat(path.join(stateDir, key))).mode & 0o777).toBe(0o600);
    }
    expect(await readFile(path.join(stateDir, 'server_ca.pem'), 'utf8')).toBe(tls1.serverCaPem);

    // A new process: same CAs, and what it signs verifies against the first one's CA.
    const second = new LocalCertificateAuthority(throwAway(stateDir));
    const tls2 = await second.controllerTls();
    expect(tls2).toEqual(tls1);
    expect(await second.clientCaCertificate()).toBe(await first.clientCaCertificate());
    const cert = new X509Certificate(parts((await second.issueAmphoraCertificate(AMPHORA_ID)).pem).certs[0]!);
    expect(cert.verify(new X509Certificate(tls1.serverCaPem).publicKey)).toBe(true);
  });

  it('is one PKI when two processes start at once', async () => {
    const stateDir = path.join(dir, 'pki');
    const [a, b] = await Promise.all([new LocalCertificateAuthority(throwAway(stateDir)).controllerTls(), new LocalCertificateAuthority(throwAway(stateDir)).controllerTls()]);
    expect(a).toEqual(b);
    expect(await new LocalCertificateAuthority(throwAway(stateDir)).controllerTls()).toEqual(a);
  });

  it('refuses a half-deleted state directory instead of making a second CA beside it', async () => {
    const stateDir = path.join(dir, 'pki');
    await new LocalCertificateAuthority(throwAway(stateDir)).controllerTls();
    await rm(path.join(stateDir, 'server_ca.key'));
    await expect(new LocalCertificateAuthority(throwAway(stateDir)).controllerTls()).rejects.toThrow(/incomplete/);
  });
});

describe('a configured CA', () => {
  const PASSPHRASE = 'correct horse battery staple';

  /** What an operator brings: a server CA with an encrypted key, a client CA and the controller's PEM. */
  async function operatorPki(keyForm: 'pkcs8' | 'pkcs1') {
    const caKey = await generateRsaKey();
    const ca = await createCa({ commonName: 'Operator Server CA', validitySeconds: 3600 }, caKey, 'sha256');
    const clientCaKey = await generateRsaKey();
    const clientCa = await createCa({ commonName: 'Operator Client CA', validitySeconds: 3600 }, clientCaKey, 'sha256');
    const controllerKey = await generateRsaKey();
    const controller = await issueLeaf({ commonName: 'octavia-controller', validitySeconds: 3600, usage: 'client' }, controllerKey, { certificate: clientCa, key: clientCaKey }, 'sha256');
    const files = {
      caCertificate: path.join(dir, 'ca_01.pem'),
      caPrivateKey: path.join(dir, 'ca_01.key'),
      clientCa: path.join(dir, 'client_ca.pem'),
      clientCert: path.join(dir, 'client.pem'),
    };
    await writeFile(files.caCertificate, certificatePem(ca));
    await writeFile(files.caPrivateKey, caKey.export({ type: keyForm, format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }));
    await writeFile(files.clientCa, certificatePem(clientCa));
    await writeFile(files.clientCert, certificatePem(controller) + controllerKey.export({ type: 'pkcs1', format: 'pem' }));
    return files;
  }

  it.each(['pkcs8', 'pkcs1'] as const)('signs with its passphrase-protected key (%s) and hands out the operator files', async (form) => {
    const files = await operatorPki(form);
    expect(await readFile(files.caPrivateKey, 'utf8')).toMatch(form === 'pkcs8' ? /ENCRYPTED PRIVATE KEY/ : /Proc-Type: 4,ENCRYPTED/);
    const ca = new LocalCertificateAuthority({ ...throwAway(), ...files, caPrivateKeyPassphrase: PASSPHRASE });
    const cert = new X509Certificate(parts((await ca.issueAmphoraCertificate(AMPHORA_ID)).pem).certs[0]!);
    const operatorCa = new X509Certificate(await readFile(files.caCertificate));
    expect(cert.verify(operatorCa.publicKey)).toBe(true);
    expect(cert.issuer).toBe('CN=Operator Server CA');
    const tls = await ca.controllerTls();
    expect(tls.serverCaPem).toBe(await readFile(files.caCertificate, 'utf8')); // server_ca defaults to ca_certificate
    expect(tls.clientCertPem).toBe(await readFile(files.clientCert, 'utf8'));
    expect(await ca.clientCaCertificate()).toBe(await readFile(files.clientCa, 'utf8'));
    // Nothing throw-away was made.
    await expect(stat(path.join(dir, 'pki'))).rejects.toThrow();
  });

  it('fails clearly on a wrong or missing passphrase, without saying what it was', async () => {
    const files = await operatorPki('pkcs8');
    const wrong = new LocalCertificateAuthority({ ...throwAway(), ...files, caPrivateKeyPassphrase: 'not it' });
    const err = await wrong.issueAmphoraCertificate(AMPHORA_ID).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateError);
    expect((err as Error).message).toMatch(/wrong passphrase/);
    expect((err as Error).message).not.toContain('not it');
    expect((err as CertificateError).retryable).toBe(false);
    await expect(new LocalCertificateAuthority({ ...throwAway(), ...files }).controllerTls()).rejects.toThrow(/set its passphrase/);
  });

  it('refuses a key that is not the CA certificate’s', async () => {
    const files = await operatorPki('pkcs8');
    await writeFile(files.caPrivateKey, (await generateRsaKey()).export({ type: 'pkcs1', format: 'pem' }));
    await expect(new LocalCertificateAuthority({ ...throwAway(), ...files }).controllerTls()).rejects.toThrow(/does not belong/);
  });

  it('is all or nothing: half a configuration is refused at once', () => {
    expect(() => new LocalCertificateAuthority({ ...throwAway(), caCertificate: '/etc/octavia/certs/ca_01.pem' })).toThrow(/missing caPrivateKey, clientCa, clientCert/);
  });
});
