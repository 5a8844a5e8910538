/**
 * The compute driver contract (test/support/compute-contract.ts) against the no-op driver and the Nova
 * driver on the Nova + Keystone emulator (test/emulators/nova). The local driver's run, real
 * octavia-agent amphorae in namespaces (root), is compute-contract-local.test.ts, in the system suite.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { NoopComputeDriver } from '../../drivers/compute';
import { createNovaDriver, type NovaComputeDriver } from '../../drivers/compute/nova';
import { loadOpenStackConfig } from '../../config/openstack';
import { startNovaEmulator, type NovaEmulator } from '../emulators/nova';
import { novaCredentialsEnv } from '../support/nova-env';
import { computeDriverContract, eventually } from '../support/compute-contract';

computeDriverContract('no-op', async () => ({
  driver: new NoopComputeDriver({ known: { flavors: ['amphora-flavor'], images: ['amphora-image'], zones: ['nova'] } }),
  known: { flavorId: 'amphora-flavor', imageId: 'amphora-image', zone: 'nova' },
  newPort: () => randomUUID(),
  teardown: async () => {},
}));

computeDriverContract('nova (emulator)', async () => {
  const emu: NovaEmulator = await startNovaEmulator({ bootMs: 100 });
  const config = loadOpenStackConfig({
    ...novaCredentialsEnv(emu),
    AMP_BOOT_NETWORK_LIST: emu.seed.mgmtNetworkId,
    AMP_SECGROUP_LIST: 'lb-mgmt-sec-grp',
    AMP_SSH_KEY_NAME: emu.seed.keyName,
    NOVA_REQUEST_TIMEOUT_SECONDS: '5',
  });
  const driver: NovaComputeDriver = createNovaDriver(config, { log: pino({ level: 'silent' }) });
  return {
    driver,
    known: { flavorId: emu.seed.amphoraFlavorId, imageId: emu.seed.amphoraImageId, zone: emu.seed.availabilityZone },
    newPort: () => emu.addPort(),
    teardown: async () => {
      driver.close();
      // Everything the contract built, it deleted.
      await eventually(async () => emu.liveServers(), (live) => live.length === 0);
      await emu.stop();
    },
  };
});
