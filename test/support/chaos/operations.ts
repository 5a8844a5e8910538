/**
 * The requests a trial makes, one flow each, and how their effect is checked once everything settled:
 * an accepted request has its effect (created objects ACTIVE, or ERROR with the reason its flow
 * failed; deleted objects gone, or ERROR with a reason), and a request refused with a 5xx during an
 * outage changed nothing. Load balancers that end ACTIVE are kept (the stock) for later trials' child
 * changes, deletes and failovers, so most trials need no set-up of their own.
 */
import { VIP_SUBNET } from '../fixtures';
import { failureReason } from './invariants';
import type { ApiAnswer, ChaosSystem } from './system';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type View = Record<string, any>;

export type OperationName = 'create-single' | 'create-tree' | 'child-create' | 'child-update' | 'child-delete' | 'delete' | 'failover';

/** What the flow asks of compute: faults of the compute service only fit flows that reach it. */
export type ComputeUse = 'builds' | 'calls' | 'none';

/** A load balancer of the stock: ACTIVE when it was put back, with its ACTIVE listeners (an ERROR one stays a child too). */
interface Stocked {
  id: string;
  listeners: string[];
}

export interface TrialContext {
  sys: ChaosSystem;
  stock: Stocked[];
  /** Unique per trial: names of what it makes. */
  name: string;
  /** When the trial began: its flows started after. */
  since: Date;
}

interface Prepared {
  lb?: Stocked;
  /** The load balancer has children (listeners, pools): its delete is a cascade. */
  cascade?: boolean;
  listenerId?: string;
  amphoraId?: string;
}

export interface Operation {
  name: OperationName;
  compute: ComputeUse;
  /** How long after the request its flow usually runs (ms): a fault's moment is drawn within it. */
  windowMs: number;
  send(ctx: TrialContext, p: Prepared): Promise<ApiAnswer>;
  /** Objects the request acts on (made without faults when the stock has none). */
  prepare(ctx: TrialContext): Promise<Prepared>;
  /** Violations of an accepted request's effect, after settling. */
  effect(ctx: TrialContext, p: Prepared, answer: ApiAnswer): Promise<string[]>;
  /** Violations of "a refused request changed nothing". */
  unchanged(ctx: TrialContext, p: Prepared): Promise<string[]>;
}

const LB = '/v2/lbaas/loadbalancers';
const LISTENERS = '/v2/lbaas/listeners';

async function view(sys: ChaosSystem, path: string, key: string): Promise<View | undefined> {
  const res = await sys.api('GET', path);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
  const v = res.body[key] as View;
  return v.provisioning_status === 'DELETED' ? undefined : v;
}

async function settledView(sys: ChaosSystem, path: string, key: string): Promise<View | undefined> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const v = await view(sys, path, key);
    if (!v || !String(v.provisioning_status).startsWith('PENDING')) return v;
    if (Date.now() > deadline) throw new Error(`${path} still ${v.provisioning_status} after 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function liveAmphorae(sys: ChaosSystem, lbId: string): Promise<string[]> {
  const res = await sys.api('GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}&status=ALLOCATED`);
  return (res.body.amphorae as View[]).map((a) => a.id as string);
}

/** An ACTIVE load balancer from the stock (with a listener if asked), or a new one made without faults. */
async function take(ctx: TrialContext, withListener: boolean): Promise<Stocked> {
  for (let i = ctx.stock.length - 1; i >= 0; i--) {
    const s = ctx.stock[i]!;
    if (withListener && s.listeners.length === 0) continue;
    ctx.stock.splice(i, 1);
    const lb = await view(ctx.sys, `${LB}/${s.id}`, 'loadbalancer');
    if (lb?.provisioning_status === 'ACTIVE') return s;
  }
  const created = await ctx.sys.api('POST', LB, { loadbalancer: { name: `${ctx.name}-prep`, vip_subnet_id: VIP_SUBNET } });
  if (created.status !== 201) throw new Error(`preparing a load balancer: ${created.status} ${created.text}`);
  const s: Stocked = { id: created.body.loadbalancer.id, listeners: [] };
  const lb = await settledView(ctx.sys, `${LB}/${s.id}`, 'loadbalancer');
  if (lb?.provisioning_status !== 'ACTIVE') throw new Error(`prepared load balancer ${s.id} settled ${lb?.provisioning_status}`);
  if (withListener) s.listeners.push(await makeListener(ctx, s.id, `${ctx.name}-prep`));
  return s;
}

async function makeListener(ctx: TrialContext, lbId: string, name: string): Promise<string> {
  const res = await ctx.sys.api('POST', LISTENERS, { listener: listenerBody(lbId, name) });
  if (res.status !== 201) throw new Error(`preparing a listener: ${res.status} ${res.text}`);
  const id = res.body.listener.id as string;
  const l = await settledView(ctx.sys, `${LISTENERS}/${id}`, 'listener');
  if (l?.provisioning_status !== 'ACTIVE') throw new Error(`prepared listener ${id} settled ${l?.provisioning_status}`);
  return id;
}

/** Listener ports are drawn per name: a load balancer collects several listeners over the trials. */
function listenerBody(lbId: string, name: string) {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return { loadbalancer_id: lbId, name, protocol: 'HTTP', protocol_port: 1024 + (h % 60000) };
}

/** An object the flow left ERROR must say why: its flow failed with a root cause. */
async function errorHasReason(ctx: TrialContext, lbId: string, what: string): Promise<string[]> {
  const reason = await failureReason(ctx.sys.temporal, lbId, ctx.since);
  return reason ? [] : [`${what} is ERROR but no flow of load balancer ${lbId} failed with a reason`];
}

async function byName(sys: ChaosSystem, path: string, plural: string, name: string): Promise<View[]> {
  const res = await sys.api('GET', `${path}?name=${encodeURIComponent(name)}`);
  return (res.body[plural] as View[]).filter((o) => o.provisioning_status !== 'DELETED');
}

/** After a child change: the child ACTIVE (or ERROR with a reason) and its load balancer ACTIVE again. */
async function childSettled(ctx: TrialContext, lb: Stocked, listener: View | undefined, expectName?: string): Promise<string[]> {
  const out: string[] = [];
  const lbView = await view(ctx.sys, `${LB}/${lb.id}`, 'loadbalancer');
  if (lbView?.provisioning_status !== 'ACTIVE') out.push(`load balancer ${lb.id} is ${lbView?.provisioning_status ?? 'gone'} after a child change`);
  if (listener?.provisioning_status === 'ERROR') out.push(...(await errorHasReason(ctx, lb.id, `listener ${listener.id}`)));
  else if (listener && listener.provisioning_status !== 'ACTIVE') out.push(`listener ${listener.id} is ${listener.provisioning_status}`);
  else if (listener && expectName !== undefined && listener.name !== expectName) out.push(`listener ${listener.id} is ACTIVE named ${listener.name}, not ${expectName}`);
  return out;
}

function putBack(ctx: TrialContext, lb: Stocked) {
  ctx.stock.push(lb);
}

const createSingle: Operation = {
  name: 'create-single',
  compute: 'builds',
  windowMs: 3000,
  prepare: async () => ({}),
  send: (ctx) => ctx.sys.api('POST', LB, { loadbalancer: { name: ctx.name, vip_subnet_id: VIP_SUBNET } }),
  async effect(ctx, _p, answer) {
    const id = answer.body.loadbalancer.id as string;
    const lb = await view(ctx.sys, `${LB}/${id}`, 'loadbalancer');
    if (lb?.provisioning_status === 'ACTIVE') {
      putBack(ctx, { id, listeners: [] });
      return [];
    }
    if (lb?.provisioning_status === 'ERROR') return errorHasReason(ctx, id, `load balancer ${id}`);
    return [`created load balancer ${id} is ${lb?.provisioning_status ?? 'gone'}`];
  },
  unchanged: async (ctx) => ((await byName(ctx.sys, LB, 'loadbalancers', ctx.name)).length ? [`a refused create made load balancer ${ctx.name}`] : []),
};

const createTree: Operation = {
  ...createSingle,
  name: 'create-tree',
  send: (ctx) =>
    ctx.sys.api('POST', LB, {
      loadbalancer: {
        name: ctx.name,
        vip_subnet_id: VIP_SUBNET,
        listeners: [
          {
            name: `${ctx.name}-l`,
            protocol: 'HTTP',
            protocol_port: 80,
            default_pool: {
              name: `${ctx.name}-p`,
              protocol: 'HTTP',
              lb_algorithm: 'ROUND_ROBIN',
              healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 },
              members: [{ address: '192.0.2.10', protocol_port: 80 }, { address: '192.0.2.11', protocol_port: 80 }],
            },
          },
        ],
      },
    }),
  async effect(ctx, _p, answer) {
    const id = answer.body.loadbalancer.id as string;
    const res = await ctx.sys.api('GET', `${LB}/${id}/status`);
    if (res.status === 404) return [`created load balancer ${id} is gone`];
    const tree = res.body.statuses.loadbalancer as View;
    const nodes: View[] = [tree];
    for (const l of tree.listeners) {
      nodes.push(l);
      for (const p of l.pools) nodes.push(p, ...(p.health_monitor ? [p.health_monitor] : []), ...p.members);
    }
    const out = nodes.filter((n) => n.provisioning_status !== tree.provisioning_status).map((n) => `${n.id} is ${n.provisioning_status} in a load balancer tree ${tree.provisioning_status}`);
    if (nodes.length !== 6) out.push(`load balancer ${id}'s tree has ${nodes.length} objects, not 6`);
    if (tree.provisioning_status === 'ACTIVE') putBack(ctx, { id, listeners: tree.listeners.map((l: View) => l.id) });
    else if (tree.provisioning_status === 'ERROR') out.push(...(await errorHasReason(ctx, id, `load balancer ${id}`)));
    else out.push(`created load balancer ${id} is ${tree.provisioning_status}`);
    return out;
  },
};

const childCreate: Operation = {
  name: 'child-create',
  compute: 'none',
  windowMs: 600,
  prepare: async (ctx) => ({ lb: await take(ctx, false) }),
  send: (ctx, p) => ctx.sys.api('POST', LISTENERS, { listener: listenerBody(p.lb!.id, ctx.name) }),
  async effect(ctx, p, answer) {
    const id = answer.body.listener.id as string;
    const l = await view(ctx.sys, `${LISTENERS}/${id}`, 'listener');
    const out = l ? await childSettled(ctx, p.lb!, l) : [`created listener ${id} is gone`];
    if (l?.provisioning_status === 'ACTIVE') p.lb!.listeners.push(id);
    putBack(ctx, p.lb!);
    return out;
  },
  async unchanged(ctx, p) {
    putBack(ctx, p.lb!);
    return (await byName(ctx.sys, LISTENERS, 'listeners', ctx.name)).length ? [`a refused create made listener ${ctx.name}`] : [];
  },
};

const childUpdate: Operation = {
  name: 'child-update',
  compute: 'none',
  windowMs: 600,
  async prepare(ctx) {
    const lb = await take(ctx, true);
    return { lb, listenerId: lb.listeners[0]! };
  },
  send: (ctx, p) => ctx.sys.api('PUT', `${LISTENERS}/${p.listenerId}`, { listener: { name: ctx.name } }),
  async effect(ctx, p) {
    const l = await view(ctx.sys, `${LISTENERS}/${p.listenerId}`, 'listener');
    const out = l ? await childSettled(ctx, p.lb!, l, ctx.name) : [`updated listener ${p.listenerId} is gone`];
    if (l?.provisioning_status !== 'ACTIVE') p.lb!.listeners = p.lb!.listeners.filter((x) => x !== p.listenerId);
    putBack(ctx, p.lb!);
    return out;
  },
  async unchanged(ctx, p) {
    putBack(ctx, p.lb!);
    const l = await view(ctx.sys, `${LISTENERS}/${p.listenerId}`, 'listener');
    return l?.provisioning_status === 'ACTIVE' && l.name !== ctx.name ? [] : [`a refused update left listener ${p.listenerId} ${l?.provisioning_status ?? 'gone'} named ${l?.name}`];
  },
};

const childDelete: Operation = {
  ...childUpdate,
  name: 'child-delete',
  send: (ctx, p) => ctx.sys.api('DELETE', `${LISTENERS}/${p.listenerId}`),
  async effect(ctx, p) {
    const l = await view(ctx.sys, `${LISTENERS}/${p.listenerId}`, 'listener');
    const out = await childSettled(ctx, p.lb!, l);
    if (l?.provisioning_status === 'ACTIVE') out.push(`deleted listener ${p.listenerId} is still ACTIVE`);
    p.lb!.listeners = p.lb!.listeners.filter((x) => x !== p.listenerId);
    putBack(ctx, p.lb!);
    return out;
  },
  async unchanged(ctx, p) {
    putBack(ctx, p.lb!);
    const l = await view(ctx.sys, `${LISTENERS}/${p.listenerId}`, 'listener');
    return l?.provisioning_status === 'ACTIVE' ? [] : [`a refused delete left listener ${p.listenerId} ${l?.provisioning_status ?? 'gone'}`];
  },
};

/** DELETE of a load balancer: a cascade when it has children (Octavia refuses a plain one then). */
const deleteLb: Operation = {
  name: 'delete',
  compute: 'calls',
  windowMs: 1500,
  async prepare(ctx) {
    const lb = await take(ctx, false);
    // Listeners or pools (a deleted listener's default pool stays the load balancer's), ERROR ones too.
    const children = await Promise.all(
      [[LISTENERS, 'listeners'], ['/v2/lbaas/pools', 'pools']].map(async ([path, plural]) =>
        ((await ctx.sys.api('GET', `${path}?loadbalancer_id=${lb.id}`)).body[plural!] as View[]).some((o) => o.provisioning_status !== 'DELETED'),
      ),
    );
    return { lb, cascade: children.some(Boolean) };
  },
  send: (ctx, p) => ctx.sys.api('DELETE', `${LB}/${p.lb!.id}${p.cascade ? '?cascade=true' : ''}`),
  async effect(ctx, p) {
    const lb = await view(ctx.sys, `${LB}/${p.lb!.id}`, 'loadbalancer');
    if (!lb) return [];
    if (lb.provisioning_status === 'ERROR') return errorHasReason(ctx, p.lb!.id, `load balancer ${p.lb!.id}`);
    return [`deleted load balancer ${p.lb!.id} is ${lb.provisioning_status}`];
  },
  async unchanged(ctx, p) {
    putBack(ctx, p.lb!);
    const lb = await view(ctx.sys, `${LB}/${p.lb!.id}`, 'loadbalancer');
    return lb?.provisioning_status === 'ACTIVE' ? [] : [`a refused delete left load balancer ${p.lb!.id} ${lb?.provisioning_status ?? 'gone'}`];
  },
};

const failover: Operation = {
  name: 'failover',
  compute: 'builds',
  windowMs: 3000,
  async prepare(ctx) {
    const lb = await take(ctx, false);
    return { lb, amphoraId: (await liveAmphorae(ctx.sys, lb.id))[0] };
  },
  send: (ctx, p) => ctx.sys.api('PUT', `${LB}/${p.lb!.id}/failover`),
  async effect(ctx, p) {
    const id = p.lb!.id;
    const lb = await view(ctx.sys, `${LB}/${id}`, 'loadbalancer');
    if (lb?.provisioning_status === 'ERROR') return errorHasReason(ctx, id, `load balancer ${id}`);
    if (lb?.provisioning_status !== 'ACTIVE') return [`failed-over load balancer ${id} is ${lb?.provisioning_status ?? 'gone'}`];
    putBack(ctx, p.lb!);
    const live = await liveAmphorae(ctx.sys, id);
    return live.length === 1 && live[0] !== p.amphoraId ? [] : [`failed-over load balancer ${id} has live amphorae [${live.join(', ')}] (was ${p.amphoraId})`];
  },
  async unchanged(ctx, p) {
    putBack(ctx, p.lb!);
    const lb = await view(ctx.sys, `${LB}/${p.lb!.id}`, 'loadbalancer');
    const live = await liveAmphorae(ctx.sys, p.lb!.id);
    return lb?.provisioning_status === 'ACTIVE' && live.join() === p.amphoraId
      ? []
      : [`a refused failover left load balancer ${p.lb!.id} ${lb?.provisioning_status ?? 'gone'} with amphorae [${live.join(', ')}] (was ${p.amphoraId})`];
  },
};

export const operations: readonly Operation[] = [createSingle, createTree, childCreate, childUpdate, childDelete, deleteLb, failover];
