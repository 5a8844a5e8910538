/**
 * The bit of Glance v2 a compute driver uses: list images (filters name, status, visibility, owner,
 * tag; limit/marker) and show one (06-glance-images-list.json).
 */
import {
  header,
  keystoneError,
  newRequestId,
  type Reply,
  type Req,
  UNAUTHORIZED_MESSAGE,
  webobJson,
  type Endpoints,
} from './http';
import type { CloudState, Image, Token } from './state';

export function imageView(img: Image): Record<string, unknown> {
  return {
    ...img.properties,
    name: img.name,
    disk_format: img.diskFormat,
    container_format: img.containerFormat,
    visibility: img.visibility,
    size: img.size,
    virtual_size: img.virtualSize,
    status: img.status,
    checksum: img.checksum,
    protected: false,
    min_ram: img.minRam,
    min_disk: img.minDisk,
    owner: img.owner,
    os_hidden: img.hidden,
    os_hash_algo: 'sha512',
    os_hash_value: img.osHashValue,
    id: img.id,
    created_at: img.createdAt,
    updated_at: img.updatedAt,
    tags: img.tags,
    self: `/v2/images/${img.id}`,
    file: `/v2/images/${img.id}/file`,
    schema: '/v2/schemas/image',
    stores: 'fs',
  };
}

/** Whether the token's project may see the image (admins see every image, as in Glance). */
export function imageVisible(img: Image, token: Token): boolean {
  return (
    token.roles.includes('admin') ||
    img.visibility === 'public' ||
    img.visibility === 'community' ||
    img.owner === token.projectId
  );
}

export class Glance {
  constructor(
    private readonly state: CloudState,
    private readonly endpoints: Endpoints,
  ) {}

  private reply(status: number, body: unknown, extra: Record<string, string> = {}): Reply {
    return { status, body, headers: { 'Content-Type': 'application/json', 'X-Openstack-Request-Id': newRequestId(), ...extra } };
  }

  handle(req: Req): Reply {
    const token = this.state.validToken(header(req, 'x-auth-token'));
    if (!token || !token.projectId) {
      return this.reply(401, keystoneError(401, 'Unauthorized', UNAUTHORIZED_MESSAGE), {
        'WWW-Authenticate': `Keystone uri="${this.endpoints.origin}/identity/"`,
      });
    }
    const path = req.path.replace(/\/+$/, '');
    if (req.method === 'GET' && path === '/v2/images') return this.list(req, token);
    const m = /^\/v2\/images\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && m) {
      const id = decodeURIComponent(m[1] ?? '');
      const img = this.state.images.get(id);
      if (!img || !imageVisible(img, token)) {
        return this.reply(404, webobJson(404, 'Not Found', `No image found with ID ${id}`));
      }
      return this.reply(200, imageView(img));
    }
    return this.reply(404, webobJson(404, 'Not Found', 'The resource could not be found.'));
  }

  private list(req: Req, token: Token): Reply {
    const q = req.query;
    let images = [...this.state.images.values()].filter((img) => imageVisible(img, token));
    const hidden = q.get('os_hidden');
    images = images.filter((img) => img.hidden === (hidden === 'true'));
    const name = q.get('name');
    if (name !== null) images = images.filter((img) => img.name === name);
    const status = q.get('status');
    if (status !== null) images = images.filter((img) => img.status === status);
    const visibility = q.get('visibility');
    if (visibility !== null && visibility !== 'all') images = images.filter((img) => img.visibility === visibility);
    const owner = q.get('owner');
    if (owner !== null) images = images.filter((img) => img.owner === owner);
    const tags = q.getAll('tag');
    if (tags.length > 0) images = images.filter((img) => tags.every((t) => img.tags.includes(t)));
    images.sort((a, b) => (a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt)));

    const marker = q.get('marker');
    if (marker !== null) {
      const i = images.findIndex((img) => img.id === marker);
      if (i === -1) return this.reply(400, webobJson(400, 'Bad Request', `marker ${marker} could not be found.`));
      images = images.slice(i + 1);
    }
    const params = new URLSearchParams(q);
    params.delete('marker');
    const rest = params.toString();
    const body: Record<string, unknown> = { images: [] as unknown[] };
    const limit = q.get('limit');
    if (limit !== null && Number(limit) < images.length) {
      images = images.slice(0, Number(limit));
      const last = images[images.length - 1];
      if (last) body.next = `/v2/images?${rest ? `${rest}&` : ''}marker=${last.id}`;
    }
    body.images = images.map(imageView);
    body.first = `/v2/images${rest ? `?${rest}` : ''}`;
    body.schema = '/v2/schemas/images';
    return this.reply(200, body);
  }
}
