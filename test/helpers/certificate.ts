import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A self-signed certificate for `commonName`, valid for a day, written into dir by openssl. */
export function makeCertificate(
  dir: string,
  commonName: string,
): { keyPem: string; certPem: string; keyPath: string; certPath: string } {
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath];
  execFileSync('openssl', [...args, '-days', '1', '-subj', `/CN=${commonName}`], { stdio: 'ignore' });
  return {
    keyPem: readFileSync(keyPath, 'utf8'),
    certPem: readFileSync(certPath, 'utf8'),
    keyPath,
    certPath,
  };
}
