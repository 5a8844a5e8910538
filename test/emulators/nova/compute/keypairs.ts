/** /os-keypairs (15-17, 58). Key pairs belong to a user, not a project. */
import { badRequest, conflict, notFound } from '../http';
import { validate } from '../jsonschema';
import { generateRsaKeyPair, sshFingerprint } from '../keys';
import { keypairCreateSchema } from '../schemas';
import { isoMicro, type KeyPair } from '../state';
import { body, type ComputeCtx, type Ok, requireAdmin } from './context';

type Obj = Record<string, unknown>;

/** The user whose key pairs are meant: ?user_id= is for admins from 2.10. */
function targetUser(ctx: ComputeCtx, requested: unknown): string {
  if (typeof requested === 'string' && requested !== ctx.userId && ctx.mv.ge('2.10')) {
    requireAdmin(ctx, 'os_compute_api:os-keypairs:create');
    return requested;
  }
  return ctx.userId;
}

function find(ctx: ComputeCtx, name: string, userId: string): KeyPair {
  const kp = ctx.state.keypairs.find((k) => k.name === name && k.userId === userId);
  if (!kp) throw notFound(`Keypair ${name} not found for user ${userId}`);
  return kp;
}

export function listKeypairs(ctx: ComputeCtx): Ok {
  const userId = ctx.mv.ge('2.10') && ctx.isAdmin ? (ctx.req.query.get('user_id') ?? ctx.userId) : ctx.userId;
  const keypairs = ctx.state.keypairs
    .filter((k) => k.userId === userId)
    .map((k) => {
      const v: Obj = { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint };
      if (ctx.mv.ge('2.2')) v.type = k.type;
      return { keypair: v };
    });
  return { status: 200, body: { keypairs } };
}

export function createKeypair(ctx: ComputeCtx): Ok {
  const b = body(ctx);
  validate(b, keypairCreateSchema(ctx.mv));
  const k = (b as Obj).keypair as Obj;
  const name = String(k.name);
  const userId = targetUser(ctx, k.user_id);
  const type = typeof k.type === 'string' ? k.type : 'ssh';
  if (ctx.mv.lt('2.92') && [...name].some((c) => !/[_\- 0-9A-Za-z]/.test(c))) {
    throw badRequest('Keypair data is invalid: Keypair name contains unsafe characters');
  }
  if (ctx.state.keypairs.some((x) => x.name === name && x.userId === userId)) {
    throw conflict(`Key pair '${name}' already exists.`);
  }
  let publicKey: string;
  let privateKey: string | undefined;
  if (typeof k.public_key === 'string') {
    publicKey = k.public_key;
  } else {
    ({ publicKey, privateKey } = generateRsaKeyPair());
  }
  const fingerprint = type === 'ssh' ? sshFingerprint(publicKey) : sshFingerprint(publicKey) ?? 'x509';
  if (!fingerprint) throw badRequest('Keypair data is invalid: failed to generate fingerprint');
  const kp: KeyPair = {
    id: ctx.state.nextKeypairId(),
    name,
    userId,
    publicKey,
    fingerprint,
    type,
    createdAt: Date.now(),
  };
  ctx.state.keypairs.push(kp);
  const v: Obj = {};
  if (ctx.mv.ge('2.2')) v.type = kp.type;
  if (privateKey !== undefined) v.private_key = privateKey;
  Object.assign(v, { name, public_key: publicKey, fingerprint, user_id: userId });
  return { status: ctx.mv.ge('2.2') ? 201 : 200, body: { keypair: v } };
}

export function showKeypair(ctx: ComputeCtx, name: string): Ok {
  const userId = ctx.mv.ge('2.10') && ctx.isAdmin ? (ctx.req.query.get('user_id') ?? ctx.userId) : ctx.userId;
  const kp = find(ctx, name, userId);
  const v: Obj = {
    name: kp.name,
    public_key: kp.publicKey,
    fingerprint: kp.fingerprint,
    user_id: kp.userId,
    created_at: isoMicro(kp.createdAt),
    deleted: false,
    deleted_at: null,
    id: kp.id,
    updated_at: null,
  };
  if (ctx.mv.ge('2.2')) v.type = kp.type;
  return { status: 200, body: { keypair: v } };
}

export function deleteKeypair(ctx: ComputeCtx, name: string): Ok {
  const userId = ctx.mv.ge('2.10') && ctx.isAdmin ? (ctx.req.query.get('user_id') ?? ctx.userId) : ctx.userId;
  const kp = find(ctx, name, userId);
  ctx.state.keypairs.splice(ctx.state.keypairs.indexOf(kp), 1);
  return { status: ctx.mv.ge('2.2') ? 204 : 202 };
}
