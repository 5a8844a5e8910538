/** /os-server-groups (18-21, 32, 57): `policy`+`rules` from 2.64, `policies`+`metadata` before. */
import { randomUUID } from 'node:crypto';
import { badRequest, notFound, policyForbidden } from '../http';
import { validate } from '../jsonschema';
import { serverGroupCreateSchema } from '../schemas';
import type { ServerGroup } from '../state';
import { body, type ComputeCtx, type Ok } from './context';
import { boolFromString } from './servers';

type Obj = Record<string, unknown>;

function view(ctx: ComputeCtx, g: ServerGroup): Obj {
  const members = g.members.filter((id) => {
    const s = ctx.state.servers.get(id);
    return s && !s.deleted;
  });
  if (ctx.mv.ge('2.64')) {
    return { id: g.id, name: g.name, policy: g.policy, rules: { ...g.rules }, members, project_id: g.projectId, user_id: g.userId };
  }
  const v: Obj = { id: g.id, name: g.name, policies: [g.policy], metadata: {}, members };
  if (ctx.mv.ge('2.13')) Object.assign(v, { project_id: g.projectId, user_id: g.userId });
  return v;
}

function get(ctx: ComputeCtx, id: string, action: 'show' | 'delete'): ServerGroup {
  ctx.state.tick();
  const g = ctx.state.serverGroups.get(id);
  if (!g) throw notFound(`Instance group ${id} could not be found.`);
  if (!ctx.isAdmin && g.projectId !== ctx.projectId) throw policyForbidden(`os_compute_api:os-server-groups:${action}`);
  return g;
}

export function listServerGroups(ctx: ComputeCtx): Ok {
  ctx.state.tick();
  const all = ctx.isAdmin && boolFromString(ctx.req.query.get('all_projects'), false);
  const groups = [...ctx.state.serverGroups.values()].filter((g) => all || g.projectId === ctx.projectId);
  return { status: 200, body: { server_groups: groups.map((g) => view(ctx, g)) } };
}

export function createServerGroup(ctx: ComputeCtx): Ok {
  const b = body(ctx);
  validate(b, serverGroupCreateSchema(ctx.mv));
  const sg = (b as Obj).server_group as Obj;
  const policy = ctx.mv.ge('2.64') ? String(sg.policy) : String((sg.policies as unknown[])[0]);
  const rules: Record<string, number> = {};
  if (ctx.mv.ge('2.64') && sg.rules && typeof sg.rules === 'object') {
    const r = sg.rules as Obj;
    if (r.max_server_per_host !== undefined) rules.max_server_per_host = Number(r.max_server_per_host);
    if (Object.keys(rules).length > 0 && policy !== 'anti-affinity') {
      throw badRequest('Only anti-affinity policy supports rules.');
    }
  }
  const group: ServerGroup = {
    id: randomUUID(),
    name: String(sg.name),
    policy,
    rules,
    projectId: ctx.projectId,
    userId: ctx.userId,
    members: [],
  };
  ctx.state.serverGroups.set(group.id, group);
  return { status: 200, body: { server_group: view(ctx, group) } };
}

export function showServerGroup(ctx: ComputeCtx, id: string): Ok {
  return { status: 200, body: { server_group: view(ctx, get(ctx, id, 'show')) } };
}

export function deleteServerGroup(ctx: ComputeCtx, id: string): Ok {
  const g = get(ctx, id, 'delete');
  ctx.state.serverGroups.delete(g.id);
  for (const s of ctx.state.servers.values()) if (s.groupId === g.id) s.groupId = null;
  return { status: 204 };
}
