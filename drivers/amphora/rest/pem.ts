/**
 * A PEM file holding a certificate (chain) and its private key together, as Octavia keeps the
 * controller's `client_cert` and an agent's `agent_server_cert`, split into what TLS takes apart.
 */
const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----\r?\n?/g;

export interface CertAndKey {
  /** Every CERTIFICATE block, in file order (leaf first). */
  cert: string;
  /** The private key block (PKCS#1, PKCS#8, EC, or encrypted). */
  key: string;
}

export function splitCertAndKey(pem: string, what: string): CertAndKey {
  const blocks = [...pem.matchAll(BLOCK)].map((m) => ({ label: m[1]!, text: m[0].endsWith('\n') ? m[0] : `${m[0]}\n` }));
  const cert = blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => b.text).join('');
  const keys = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'));
  // Never echo the file: it holds a private key.
  if (!cert) throw new Error(`${what} holds no certificate.`);
  if (keys.length !== 1) throw new Error(`${what} must hold exactly one private key (found ${keys.length}).`);
  return { cert, key: keys[0]!.text };
}
