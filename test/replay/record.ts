/**
 * `npm run record-histories`: runs each flow once on a real dev server and database and saves its
 * event history under test/fixtures/histories/. test/unit/replay.test.ts replays every saved history
 * against the current workflow code, so a change that breaks determinism for flows already running in
 * production fails CI. Record new histories when a flow changes on purpose (with a versioning patch),
 * and keep the old ones.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import globalSetup from '../support/global-setup';
import globalTeardown from '../support/global-teardown';
import { eventually, startTestSystem } from '../support/system';

const OUT = path.resolve(__dirname, '../fixtures/histories');

async function main() {
  await globalSetup();
  const sys = await startTestSystem();
  try {
    const create = async () => {
      const res = await sys.api('POST', '/v2/lbaas/loadbalancers', {
        loadbalancer: { vip_subnet_id: '8b4b4c0a-5a0e-4e0a-9a55-0c1b1f0d2a11' },
      });
      return res.body.loadbalancer.id as string;
    };
    const settle = async (workflowId: string, name: string) => {
      const handle = sys.temporal.workflow.getHandle(workflowId);
      await handle.result().catch(() => undefined);
      await writeFile(path.join(OUT, `${name}.json`), historyToJSON(await handle.fetchHistory()));
      console.log(`recorded ${name}`);
    };

    const ok = await create();
    await settle(`loadbalancer-${ok}-create`, 'create-loadbalancer-ok');

    const listener = await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: ok } });
    await settle(`listener-${listener.body.listener.id}-create`, 'create-listener-ok');

    const [amphora] = await sys.db.amphora.findMany({ where: { loadBalancerId: ok } });
    await sys.api('PUT', `/v2/octavia/amphorae/${amphora!.id}/failover`);
    await settle(`amphora-${amphora!.id}-failover`, 'failover-amphora-ok');

    await eventually(async () => ((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${ok}?cascade=true`)).status === 204 ? true : undefined));
    await settle(`loadbalancer-${ok}-delete`, 'delete-loadbalancer-cascade-ok');

    sys.compute.faults = { statusError: true };
    const failed = await create();
    await settle(`loadbalancer-${failed}-create`, 'create-loadbalancer-compensated');
  } finally {
    await sys.stop();
    await globalTeardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
