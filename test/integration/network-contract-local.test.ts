/**
 * The network driver contract (test/support/network-contract.ts) against the local driver: a tenant
 * network and a real octavia-agent amphora in namespaces on this machine (root; skipped with one line
 * without). System suite.
 */
import { randomUUID } from 'node:crypto';
import { LOCAL_NETWORK_DEFAULTS as LOCAL_DEFAULTS } from '../../drivers/network/local';
import { bootAmphora, describeAsRoot, makeLocalCloud } from '../support/local-cloud';
import { networkDriverContract } from '../support/network-contract';

// A real amphora on a tenant network of its own (slot 4: apart from the other local-cloud tests).
describeAsRoot('network driver contract: local', () => {
  networkDriverContract('local (real octavia-agent amphora)', { keepsState: true }, async () => {
    const cloud = await makeLocalCloud(4);
    await cloud.compute.ensureMgmtNetwork();
    const amphoraId = randomUUID();
    const { computeId } = await bootAmphora(cloud, amphoraId, { heartbeatPort: 5555 });
    let host = 100;
    return {
      driver: cloud.network,
      subnetId: LOCAL_DEFAULTS.subnetId,
      networkId: LOCAL_DEFAULTS.networkId,
      cidr: cloud.network.cidr.text,
      freeAddress: () => `169.254.164.${(host += 1)}`,
      outsideAddress: '10.99.1.3',
      amphora: { amphoraId, computeId },
      teardown: () => cloud.destroy(),
    };
  });
});
