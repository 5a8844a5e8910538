/**
 * The benchmark's API client: HTTP only, as a user's client would be. It waits for an object the way
 * a client must (polling its GET), and retries a 409 (the load balancer is busy) after a pause.
 *
 * Polling: the first GET `floor` ms after the request, then every tenth of the time waited so far, at
 * least `floor` and at most POLL_MAX_MS apart, so a measured time is at most 10 % (or `floor`) late.
 * The floor is POLL_ALONE_MS when one request is in flight and POLL_CONCURRENT_MS when C are: C clients
 * waiting on slow flows then poll a few times a second each instead of fifty, and the polling stays a
 * small part of the load it measures (the run reports how many GETs it made and what they cost).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';

export const POLL_ALONE_MS = 20;
export const POLL_CONCURRENT_MS = 50;
export const POLL_MAX_MS = 250;
export const POLL_FRACTION = 0.1;
const CONFLICT_PAUSE_MS = 50;
const WAIT_TIMEOUT_MS = 300_000;
const PROJECT_ID = 'bench0000bench0000bench0000bench';
export const VIP_SUBNET = '8b4b4c0a-5a0e-4e0a-9a55-0c1b1f0d2a11';

export const now = () => performance.now();

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export class BenchClient {
  /** 409s answered (each retried after CONFLICT_PAUSE_MS), and the GETs made while waiting. */
  conflicts = 0;
  polls = 0;
  private readonly pool: Pool;

  constructor(readonly baseUrl: string) {
    this.pool = new Pool(baseUrl, { connections: 128, pipelining: 1 });
  }

  async call(method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await this.pool.request({
      path,
      method: method as 'GET',
      headers: { 'x-project-id': PROJECT_ID, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
  }

  /** A request that must answer `expected`; a 409 is retried after a pause (and counted). */
  async expect(expected: number, method: string, path: string, body?: unknown): Promise<Answer> {
    for (;;) {
      const res = await this.call(method, path, body);
      if (res.status === expected) return res;
      if (res.status !== 409) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      this.conflicts++;
      await sleep(CONFLICT_PAUSE_MS);
    }
  }

  /** POSTs `{ [key]: body }` to a collection; returns the new object's id. */
  async create(collection: string, key: string, body: Record<string, unknown>): Promise<string> {
    return (await this.expect(201, 'POST', collection, { [key]: body })).body[key].id;
  }

  /** Polls `path` (an object `{ [key]: ... }`) until it is ACTIVE; ERROR fails. `since`: when the request was sent. */
  active(path: string, key: string, since: number, floor: number): Promise<void> {
    return this.poll(path, since, floor, (res) => {
      const status = res.body?.[key]?.provisioning_status;
      if (status === 'ERROR' || res.status !== 200) throw new Error(`${path}: ${res.status} ${status ?? JSON.stringify(res.body)}`);
      return status === 'ACTIVE';
    });
  }

  /** Polls `path` until it answers 404. */
  gone(path: string, since: number, floor: number): Promise<void> {
    return this.poll(path, since, floor, (res) => {
      if (res.status === 404) return true;
      if (res.status !== 200 || res.body?.loadbalancer?.provisioning_status === 'ERROR') throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return false;
    });
  }

  private async poll(path: string, since: number, floor: number, done: (res: Answer) => boolean): Promise<void> {
    for (;;) {
      const waited = now() - since;
      if (waited > WAIT_TIMEOUT_MS) throw new Error(`${path}: still not there after ${WAIT_TIMEOUT_MS / 1000} s`);
      await sleep(Math.min(POLL_MAX_MS, Math.max(floor, waited * POLL_FRACTION)));
      this.polls++;
      if (done(await this.call('GET', path))) return;
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
