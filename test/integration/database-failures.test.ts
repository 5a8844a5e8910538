/**
 * Permanent database errors are final (common/failures.ts): a row that is not there (Prisma P2025), a
 * unique (P2002) or foreign key (P2003) violation fail the step at once, non-retryably, instead of 20
 * attempts of the database retry policy. Errors raised by a real PostgreSQL through the real Prisma
 * client, and through a real flow.
 */
import { randomUUID } from 'node:crypto';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { toApplicationFailure } from '../../common/failures';
import { startTestSystem, type TestSystem } from '../support/system';

jest.setTimeout(60_000);

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
const made: string[] = [];
afterAll(async () => {
  await sys?.db.amphora.deleteMany({ where: { id: { in: made } } });
  await sys?.stop();
});

const thrown = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the database to refuse');
    },
    (err: unknown) => err,
  );

it.each([
  ['P2025', 'RecordNotFound', () => sys.db.amphora.update({ where: { id: randomUUID() }, data: { role: 'MASTER' } })],
  ['P2002', 'UniqueConstraintViolation', async () => {
    const id = randomUUID();
    made.push(id);
    await sys.db.amphora.create({ data: { id, status: 'DELETED' } });
    return sys.db.amphora.create({ data: { id, status: 'DELETED' } });
  }],
  ['P2003', 'ForeignKeyConstraintViolation', () => sys.db.amphora.create({ data: { id: randomUUID(), status: 'DELETED', loadBalancerId: randomUUID() } })],
])('%s becomes a non-retryable %s failure', async (code, type, refused) => {
  const err = await thrown(refused());
  expect((err as { code?: string }).code).toBe(code);
  const failure = toApplicationFailure(err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type, nonRetryable: true });
});

it('leaves other database errors retryable', async () => {
  const err = await thrown(sys.db.$queryRawUnsafe('SELECT 1/0'));
  expect(toApplicationFailure(err)).toBe(err);
});

it('fails a flow step at its first attempt: a create whose load balancer does not exist', async () => {
  const loadBalancerId = randomUUID();
  const handle = await sys.temporal.workflow.start('createLoadBalancer', {
    taskQueue: sys.config.temporal.taskQueue,
    workflowId: `loadbalancer-${loadBalancerId}-create`,
    args: [{ loadBalancerId, projectId: 'p', bootTimeoutSeconds: 30 }],
  });
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  // The step's failure, whether or not the SDK wraps it in an ActivityFailure.
  let failure: unknown = (err as WorkflowFailedError).cause;
  while (failure instanceof ActivityFailure) failure = failure.cause;
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'RecordNotFound', nonRetryable: true });
  // One attempt of the local activity, as its marker records.
  const markers = ((await handle.fetchHistory()).events ?? []).filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_MARKER_RECORDED);
  const steps = markers
    .map((m) => m.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data)
    .filter((d): d is Uint8Array => !!d)
    .map((d) => JSON.parse(Buffer.from(d).toString()) as { activity_type: string; attempt: number });
  expect(steps.filter((s) => s.activity_type === 'getLoadBalancerTopology').map((s) => s.attempt)).toEqual([1]);
});
