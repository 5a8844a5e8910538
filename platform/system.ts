/**
 * The composition root: database, compute driver, Temporal worker and API, wired from the config.
 * `npm start` runs it next to a dev server; tests run it in-process with their own overrides.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { computeName } from '../activities/amphora';
import { createAmphoraDriver, NoopAmphoraDriver, type AmphoraDriver } from '../drivers/amphora';
import { createCertificateAuthority } from '../drivers/certificates';
import { createComputeDriver, InstanceNotFoundError, LocalComputeDriver, type AmphoraComputeDriver } from '../drivers/compute';
import { createNetworkDriver, type NetworkDriver } from '../drivers/network';
import { recordHeartbeat } from '../db/heartbeats';
import { createPrismaClient, type Db } from '../db/prisma';
import { createApp } from '../api/app';
import type { Logger } from '../common/logger';
import type { Config } from '../config';
import type { HeartbeatTarget } from '../drivers/amphora/heartbeat';
import { startHeartbeatReceiver, type HeartbeatReceiver } from './heartbeat-receiver';
import { reconcileAtStart } from './reconcile';
import { startHousekeeping } from './schedules';
import { connectClient } from './temporal';
import { createWorker, type WorkerOptions } from './worker';

export interface SystemOptions {
  config: Config;
  log: Logger;
  temporalAddress: string;
  compute?: AmphoraComputeDriver;
  amphoraDriver?: AmphoraDriver;
  network?: NetworkDriver;
  activityInterceptors?: WorkerOptions['activityInterceptors'];
  /** Run the worker (default) and/or the API: production may run them as separate processes. */
  worker?: boolean;
  api?: boolean;
}

export interface RunningSystem {
  db: Db;
  temporal: Client;
  compute: AmphoraComputeDriver;
  amphoraDriver: AmphoraDriver;
  network: NetworkDriver;
  apiUrl: string | undefined;
  /** Where the health manager hears heartbeats (with the worker). */
  heartbeatAddress: HeartbeatTarget | undefined;
  stop(): Promise<void>;
}

export async function startSystem(opts: SystemOptions): Promise<RunningSystem> {
  const { config, log } = opts;
  const db = createPrismaClient(config.database.url, config.database.poolSize);
  // Each local driver needs the other's half of the plumbing one way, Neutron the other way round.
  let network: NetworkDriver;
  let compute: AmphoraComputeDriver;
  if (config.network.driver === 'neutron') {
    compute = opts.compute ?? createComputeDriver(config);
    network = opts.network ?? createNetworkDriver(config, compute);
  } else {
    network = opts.network ?? createNetworkDriver(config);
    compute = opts.compute ?? createComputeDriver(config, network);
  }
  const temporal = await connectClient(opts.temporalAddress, config.temporal.namespace);

  let worker: Worker | undefined;
  let workerDone: Promise<void> | undefined;
  let closeWorkerConnection: (() => Promise<void>) | undefined;
  let heartbeats: HeartbeatReceiver | undefined;
  if (opts.worker !== false) {
    // Local amphorae reach the controller on the management network, which must exist before the
    // receiver binds its address there.
    if (compute instanceof LocalComputeDriver) await compute.ensureMgmtNetwork();
    // The health manager's ear: heartbeats are recorded whether or not Temporal answers.
    heartbeats = await startHeartbeatReceiver({
      bindIp: config.health.bindIp,
      bindPort: config.health.bindPort,
      key: config.health.heartbeatKey.reveal(),
      log,
      record: (beat) => recordHeartbeat(db, beat),
      // Half the pool at most: the worker's database steps keep the rest.
      concurrency: Math.max(1, Math.floor(config.database.poolSize / 2)),
    });
  }
  const amphoraDriver =
    opts.amphoraDriver ??
    (await createAmphoraDriver(config, createCertificateAuthority(config), {
      // Where amphorae send heartbeats: the configured list, else this worker's receiver.
      controllerIpPortList:
        config.dataPlane.controllerIpPortList ?? (heartbeats ? [`${heartbeats.address.host}:${heartbeats.address.port}`] : []),
      // The agent's heartbeat_interval is whole seconds.
      heartbeatInterval: Math.max(1, Math.round(config.health.heartbeatIntervalSeconds)),
      heartbeatKey: config.health.heartbeatKey.reveal(),
    }));

  const stopping = new AbortController();
  let monitorCheck: Promise<void> | undefined;
  if (opts.worker !== false) {
    const created = await createWorker({
      config,
      log,
      address: opts.temporalAddress,
      deps: { db, compute, amphoraDriver, network, config },
      activityInterceptors: opts.activityInterceptors,
    });
    worker = created.worker;
    closeWorkerConnection = () => created.connection.close();
    // Before the worker polls: the restart of the running health monitor waits for it.
    const monitorRestarted = await startHousekeeping(temporal, config, log);
    workerDone = worker.run();
    workerDone.catch((err) => log.fatal({ err }, 'The Temporal worker stopped with an error'));
    // In the background: a monitor that does not take its restart is replaced (platform/schedules.ts).
    monitorCheck = monitorRestarted(stopping.signal).catch((err) => log.warn({ err }, 'Could not check the health monitor restart'));
    const pending = await reconcileAtStart(db, temporal, config, log, stopping.signal);
    log.info({ taskQueue: config.temporal.taskQueue, compute: compute.name, pendingObjects: pending.handled, deferredObjects: pending.deferred }, 'Worker running');
  }

  let server: Server | undefined;
  let apiUrl: string | undefined;
  if (opts.api !== false) {
    const app = createApp({ db, temporal, config, log, amphoraDriver, compute, network });
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.api.port, config.api.host, () => resolve(s));
      s.once('error', reject);
    });
    const { port } = server.address() as AddressInfo;
    apiUrl = `http://${config.api.host}:${port}`;
    log.info({ url: apiUrl, auth: config.api.authStrategy }, 'Octavia API listening');
  }

  if (amphoraDriver instanceof NoopAmphoraDriver) {
    // The simulated amphorae heartbeat while their simulated instance exists (a compute fault is no
    // answer: the amphora is taken as alive).
    amphoraDriver.instanceAlive ??= (amphoraId) =>
      compute.getAmphora({ name: computeName(amphoraId) }).then(
        () => true,
        (err: unknown) => {
          if (err instanceof InstanceNotFoundError) return false;
          throw err;
        },
      );
    // Opt-in (NOOP_HEARTBEATS), as Octavia's no-op driver sends none; only for the driver made here: a
    // test hands in its own and turns heartbeats on when it needs them.
    if (!opts.amphoraDriver && heartbeats && config.noop.heartbeats) {
      amphoraDriver.startHeartbeats({
        target: heartbeats.address,
        intervalMs: config.health.heartbeatIntervalSeconds * 1000,
        key: config.health.heartbeatKey.reveal(),
      });
    }
  }

  return {
    db,
    temporal,
    compute,
    amphoraDriver,
    network,
    apiUrl,
    heartbeatAddress: heartbeats?.address,
    // Order matters: stop taking requests, let the worker finish in-flight activities, then close the pool.
    async stop() {
      if (amphoraDriver instanceof NoopAmphoraDriver) await amphoraDriver.stopHeartbeats();
      await heartbeats?.stop();
      if (server) {
        const s = server;
        const closed = new Promise<void>((resolve) => s.close(() => resolve()));
        s.closeIdleConnections();
        await closed;
      }
      stopping.abort();
      await monitorCheck;
      if (worker) {
        worker.shutdown();
        await workerDone?.catch(() => undefined);
        await closeWorkerConnection?.();
      }
      await temporal.connection.close();
      await db.$disconnect();
    },
  };
}
