/** A throw-away PKI for agent tests, made by our own certificate authority in a temporary folder. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalCertificateAuthority, type ControllerTls } from '../../../drivers/certificates';

export interface TestPki {
  ca: LocalCertificateAuthority;
  /** What the controller presents and trusts. */
  tls: ControllerTls;
  clientCaPem: string;
  /** An agent's server.pem for this amphora id. */
  serverPem(amphoraId: string): Promise<string>;
  remove(): Promise<void>;
}

export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'amphora-agent-pki-'));
  const ca = new LocalCertificateAuthority({ certValiditySeconds: 3600, signingDigest: 'sha256', stateDir: path.join(dir, 'pki') });
  return {
    ca,
    tls: await ca.controllerTls(),
    clientCaPem: await ca.clientCaCertificate(),
    serverPem: async (amphoraId) => (await ca.issueAmphoraCertificate(amphoraId)).pem,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
