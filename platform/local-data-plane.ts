/**
 * What the local data plane needs on this machine before the worker starts (COMPUTE_DRIVER=local or
 * NETWORK_DRIVER=local, as DATA_PLANE=local sets): root, for namespaces, veths and mounts; and Debian's
 * octavia-agent, haproxy and keepalived, installed once by scripts/install-data-plane.sh where missing.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../common/logger';
import { projectRoot, type Config } from '../config';

export async function ensureLocalDataPlane(config: Config, log: Logger): Promise<void> {
  if (config.compute.driver !== 'local' && config.network.driver !== 'local') return;
  if (process.getuid?.() !== 0) {
    throw new Error('The local data plane (DATA_PLANE=local) makes network namespaces, veths and mounts: run it as root.');
  }
  const script = path.join(projectRoot, 'scripts', 'install-data-plane.sh');
  const { stdout } = await promisify(execFile)('sh', [script], { maxBuffer: 16 * 1024 * 1024 });
  log.info({ packages: stdout.trim().split('\n').pop() }, 'Local data plane ready');
}
