/**
 * Octavia's status enums. The Prisma schema is their one source of truth; this module re-exports the
 * generated constants so that workflows (which must not load the database client) can use them too.
 */
export {
  ProvisioningStatus,
  OperatingStatus,
  AmphoraStatus,
  AmphoraRole,
  Topology,
  ListenerProtocol,
  PoolProtocol,
  LbAlgorithm,
  HealthMonitorType,
} from '../generated/prisma/enums';
