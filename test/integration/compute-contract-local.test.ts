/**
 * The compute driver contract (test/support/compute-contract.ts) against the local driver: real
 * amphorae in namespaces on this machine (root; skipped with one line without). System suite.
 */
import { randomUUID } from 'node:crypto';
import { computeDriverContract } from '../support/compute-contract';
import { configDrive, describeAsRoot, makeLocalCloud } from '../support/local-cloud';

// Real amphorae: each build boots Debian's octavia-agent with a config drive of its own (its agent conf
// and certificate), so ACTIVE means the agent answers; ports are the local network driver's, plugged
// as veths into the amphora's namespace.
describeAsRoot('compute driver contract: local', () => {
  computeDriverContract('local (real octavia-agent)', async () => {
    const cloud = await makeLocalCloud(2);
    await cloud.compute.ensureMgmtNetwork();
    return {
      driver: cloud.compute,
      known: { flavorId: 'amphora-flavor', imageId: 'amphora-image', zone: 'local' },
      newPort: async () => (await cloud.network.createPort({ name: `contract-${randomUUID().slice(0, 8)}` })).id,
      buildExtras: async (n) => ({ configDriveFiles: await configDrive(cloud, n.slice('amphora-'.length), { heartbeatPort: 5555 }) }),
      bootTimeoutMs: 60_000,
      teardown: async () => {
        // Everything the contract built, it deleted.
        expect(await cloud.compute.liveInstances()).toEqual([]);
        await cloud.destroy();
      },
    };
  });
});
