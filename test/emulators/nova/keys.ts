/**
 * SSH key pairs as Nova handles them: the fingerprint is the MD5 of the key blob, colon separated
 * (15-keypair-create.json), and a key pair created without a public key is a fresh RSA key whose
 * private half is returned once.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';

function sshString(buf: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(buf.length);
  return Buffer.concat([len, buf]);
}

function sshMpint(buf: Buffer): Buffer {
  // A positive mpint whose top bit is set gets a leading zero byte.
  const first = buf[0] ?? 0;
  return sshString(first & 0x80 ? Buffer.concat([Buffer.from([0]), buf]) : buf);
}

/** The MD5 fingerprint of an OpenSSH public key line, or undefined when it is not one. */
export function sshFingerprint(publicKey: string): string | undefined {
  const parts = publicKey.trim().split(/\s+/);
  const [type, data] = parts;
  if (!type || !data || !/^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-)/.test(type)) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return undefined;
  const blob = Buffer.from(data, 'base64');
  // The blob starts with the key type as an SSH string.
  if (blob.length < 4) return undefined;
  const tlen = blob.readUInt32BE(0);
  if (blob.subarray(4, 4 + tlen).toString('latin1') !== type) return undefined;
  const hex = createHash('md5').update(blob).digest('hex');
  return hex.match(/../g)?.join(':');
}

/** A new RSA key pair the way Nova makes one (public key tagged "Generated-by-Nova"). */
export function generateRsaKeyPair(): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-rsa')),
    sshMpint(Buffer.from(jwk.e ?? '', 'base64url')),
    sshMpint(Buffer.from(jwk.n ?? '', 'base64url')),
  ]);
  return {
    publicKey: `ssh-rsa ${blob.toString('base64')} Generated-by-Nova`,
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  };
}

/** A new ed25519 public key line (the seeded key pair). */
export function generateEd25519PublicKey(comment: string): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(Buffer.from(jwk.x ?? '', 'base64url'))]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}
