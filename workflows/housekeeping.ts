/**
 * Housekeeping flows (Octavia's housekeeping manager), each run by a Temporal Schedule
 * (platform/schedules.ts): the spare amphora pool and the cleanup of expired and stuck rows.
 */
import { ApplicationFailure, executeChild, log, ParentClosePolicy, setCurrentDetails, uuid4 } from '@temporalio/workflow';
import { sparePoolFailsWhenNoneBuilt } from './patches';
import { flowStartOptions, spareAmphoraFlow, type CleanupInput, type CleanupResult, type SparePoolInput, type SparePoolResult } from '../common/flows';
import { db, said, sweep } from './activities';
import { createAmphora } from './amphora';
import { forEachBounded } from './bounded';
import { serializeError } from '../common/error-chain';

export type { SparePoolInput, SparePoolResult, CleanupInput, CleanupResult } from '../common/flows';

/**
 * Keeps the spare pool full: reserves the missing spares in the database (an atomic count of READY +
 * BOOTING spares and insert of BOOTING rows, so two overlapping runs never build more than the pool
 * needs), then builds each through the create_amphora flow as a child workflow
 * (`amphora-<uuid>-create`), a few at a time. A spare that fails to build is compensated by its flow
 * (instance deleted, row DELETED, or ERROR for cleanup): it is never counted READY, and the next run
 * reserves a replacement. Children are abandoned, not cancelled, if this run ends early: each finishes
 * or compensates by itself.
 */
export async function maintainSparePool(input: SparePoolInput): Promise<SparePoolResult> {
  if (input.poolSize <= 0) return { reserved: 0, built: 0, failed: 0, summary: 'no pool (SPARE_AMPHORA_POOL_SIZE=0)' };
  const candidateIds = Array.from({ length: input.poolSize }, () => uuid4());
  const reserved = await db.reserveSpareAmphorae({ poolSize: input.poolSize, candidateIds });
  let built = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const progress = () => `built ${built}, failed ${failed} of ${reserved.length} reserved (pool size ${input.poolSize})`;
  if (reserved.length > 0) setCurrentDetails(`building ${reserved.length} spares: ${progress()}`);
  await forEachBounded(reserved, input.concurrency ?? 5, async (amphoraId) => {
    try {
      const flow = spareAmphoraFlow(amphoraId, input);
      await executeChild(createAmphora, {
        ...flowStartOptions(flow),
        args: flow.args,
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      built++;
    } catch (err) {
      failed++;
      firstFailure ??= `amphora ${amphoraId}: ${rootCause(err)}`;
      log.warn('A spare amphora could not be built; the next run replaces it', { amphoraId, error: serializeError(err, { stack: false }) });
    }
    setCurrentDetails(`building ${reserved.length} spares: ${progress()}`);
  });
  if (reserved.length > 0) log.info('Spare pool refilled', { poolSize: input.poolSize, reserved: reserved.length, built, failed });
  const summary = reserved.length === 0 ? 'pool full: nothing to build' : `built ${built}, failed ${failed}` + (firstFailure ? ` (first failure: ${firstFailure})` : '');
  // A run whose builds all failed is a failed run, not a Completed one. (Patched: runs started before
  // it completed; the marker makes their replay take the old path.)
  if (reserved.length > 0 && built === 0 && sparePoolFailsWhenNoneBuilt()) {
    throw ApplicationFailure.nonRetryable(`no spare amphora could be built: ${summary}`, 'SparePoolBuildsFailed');
  }
  return { reserved: reserved.length, built, failed, summary };
}

/** The innermost cause of a child's failure (ChildWorkflowFailure -> ActivityFailure -> ApplicationFailure): what went wrong. */
function rootCause(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e && typeof e === 'object' && e.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

/**
 * Octavia's DatabaseCleanup, plus stuck amphorae: purges rows DELETED for longer than their expiry age
 * (batch after batch, so one run never holds a long transaction), then deletes ERROR amphorae (and
 * spares stuck BOOTING) with their compute instances.
 */
export async function cleanupDeleted(input: CleanupInput): Promise<CleanupResult> {
  setCurrentDetails('purging expired DELETED rows');
  const batchSize = input.batchSize ?? 100;
  const result: CleanupResult = { loadBalancersPurged: 0, amphoraePurged: 0, stuckAmphoraeDeleted: 0, stuckAmphoraeLeft: 0 };
  // Bounded, so a run's history stays small; whatever is left goes at the next run.
  for (let batch = 0; batch < 50; batch++) {
    const purged = await db.purgeExpiredRows({
      amphoraExpirySeconds: input.amphoraExpirySeconds,
      loadBalancerExpirySeconds: input.loadBalancerExpirySeconds,
      batchSize,
    });
    result.loadBalancersPurged += purged.loadBalancers;
    result.amphoraePurged += purged.amphorae;
    if (purged.loadBalancers < batchSize && purged.amphorae < batchSize) break;
  }
  const stuck = await db.listStuckAmphorae({
    errorAgeSeconds: input.errorAmphoraAgeSeconds,
    staleBootingSeconds: input.staleBootingSeconds,
    limit: 100,
  });
  await forEachBounded(stuck, 5, async (amphoraId) => {
    try {
      await said(`delete stuck amphora ${amphoraId} with its instance amphora-${amphoraId}`, sweep.deleteAmphora, amphoraId);
      result.stuckAmphoraeDeleted++;
    } catch (err) {
      result.stuckAmphoraeLeft++;
      log.warn('A stuck amphora could not be deleted; the next run tries again', { amphoraId, error: serializeError(err, { stack: false }) });
    }
  });
  if (result.loadBalancersPurged + result.amphoraePurged + stuck.length > 0) log.info('Cleanup', { ...result });
  return result;
}
