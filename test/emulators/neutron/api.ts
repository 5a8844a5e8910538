/**
 * Neutron's v2.0 API over the state (state.ts), as keystonemiddleware and Neutron's API layer answer:
 * 401 without a valid token; request bodies checked for unknown attributes and types; list filters on
 * any attribute (repeated values OR'ed, `fixed_ips=ip_address=...`), `fields=`; a non-admin sees its
 * own project's resources (and shared networks); every fault is `{"NeutronError": {type, message,
 * detail: ""}}`. Resources of a disabled extension are not there (security groups, QoS), and their
 * attributes are unrecognized (`allowed_address_pairs`, `project_id`).
 */
import { isIPv4 } from 'node:net';
import type { Caller } from '../nova/network';
import { keystoneError, newRequestId, type Reply, type Req, UNAUTHORIZED_MESSAGE, webobJson } from '../nova/http';
import { parseCidr } from './addresses';
import { EXTENSIONS } from './extensions';
import { NeutronFault, notFound, type NeutronState, type PortRequest, type PortUpdate, type ResourceKind, type RuleRec } from './state';
import { ipAvailabilityView, networkView, portView, qosPolicyView, ruleView, securityGroupView, subnetView } from './views';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Ctx {
  req: Req;
  caller: Caller;
  projectId: string;
  isAdmin: boolean;
}

type Handler = (ctx: Ctx, id: string) => { status: number; body?: unknown };

const badRequest = (message: string) => new NeutronFault(400, 'HTTPBadRequest', message);
const invalid = (attr: string, value: unknown, what: string) =>
  new NeutronFault(400, 'InvalidInput', `Invalid input for ${attr}. Reason: '${JSON.stringify(value)}' is not ${what}.`);

/** Protocols with ports (port_range_* are ports, not ICMP type/code). */
const PORT_PROTOCOLS = ['tcp', 'udp', 'sctp', 'dccp', 'udplite', '6', '17', '132', '33', '136'];
const NAMED_PROTOCOLS = ['ah', 'dccp', 'egp', 'esp', 'gre', 'hopopt', 'icmp', 'igmp', 'ip', 'ipip', 'ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', 'ospf', 'pgm', 'rsvp', 'sctp', 'tcp', 'udp', 'udplite', 'vrrp'];
const LIST_PARAMS = new Set(['fields', 'limit', 'marker', 'sort_key', 'sort_dir', 'page_reverse']);

export class NeutronApi {
  private readonly routes: Array<{ method: string; pattern: RegExp; handler: Handler }>;

  constructor(
    private readonly state: NeutronState,
    private readonly extensions: () => Set<string>,
  ) {
    const r = (method: string, path: string, handler: Handler) => ({ method, pattern: new RegExp(`^/v2\\.0/${path.replace(':id', '([^/]+)')}/?$`), handler });
    this.routes = [
      r('GET', 'extensions', () => ({ status: 200, body: { extensions: EXTENSIONS.filter((e) => this.enabled(e.alias)) } })),
      r('GET', 'extensions/:id', (_c, alias) => this.showExtension(alias)),
      r('POST', 'networks', (c) => ({ status: 201, body: { network: networkView(state, this.createNetwork(c), true) } })),
      r('GET', 'networks', (c) => this.list(c, 'networks', [...state.networks.values()].filter((n) => this.visible(c, n) || n.shared).map((n) => networkView(state, n)))),
      r('GET', 'networks/:id', (c, id) => ({ status: 200, body: { network: networkView(state, this.own(c, 'network', state.network(id), true)) } })),
      r('DELETE', 'networks/:id', (c, id) => (this.own(c, 'network', state.network(id)), state.deleteNetwork(id), { status: 204 })),
      r('POST', 'subnets', (c) => ({ status: 201, body: { subnet: subnetView(this.createSubnet(c)) } })),
      r('GET', 'subnets', (c) => this.list(c, 'subnets', [...state.subnets.values()].filter((s) => this.visible(c, s)).map(subnetView))),
      r('GET', 'subnets/:id', (c, id) => ({ status: 200, body: { subnet: subnetView(this.own(c, 'subnet', state.subnet(id), true)) } })),
      r('DELETE', 'subnets/:id', (c, id) => (this.own(c, 'subnet', state.subnet(id)), state.deleteSubnet(id), { status: 204 })),
      r('POST', 'ports', (c) => ({ status: 201, body: { port: portView(state, state.createPort(this.portRequest(c))) } })),
      r('GET', 'ports', (c) => this.list(c, 'ports', [...state.ports.values()].filter((p) => this.visible(c, p)).map((p) => portView(state, p)))),
      r('GET', 'ports/:id', (c, id) => ({ status: 200, body: { port: portView(state, this.own(c, 'port', state.port(id))) } })),
      r('PUT', 'ports/:id', (c, id) => (this.own(c, 'port', state.port(id)), { status: 200, body: { port: portView(state, state.updatePort(id, this.portUpdate(c)), true) } })),
      r('DELETE', 'ports/:id', (c, id) => (this.own(c, 'port', state.port(id)), state.deletePort(id), { status: 204 })),
      r('POST', 'security-groups', (c) => ({ status: 201, body: { security_group: securityGroupView(state, this.createSecurityGroup(c)) } })),
      r('GET', 'security-groups', (c) =>
        this.list(c, 'security_groups', [...state.securityGroups.values()].filter((g) => this.visible(c, g)).map((g) => securityGroupView(state, g))),
      ),
      r('GET', 'security-groups/:id', (c, id) => ({ status: 200, body: { security_group: securityGroupView(state, this.own(c, 'securityGroup', state.securityGroup(id))) } })),
      r('DELETE', 'security-groups/:id', (c, id) => (this.own(c, 'securityGroup', state.securityGroup(id)), state.deleteSecurityGroup(id), { status: 204 })),
      r('POST', 'security-group-rules', (c) => ({ status: 201, body: { security_group_rule: ruleView(this.createRule(c)) } })),
      r('GET', 'security-group-rules', (c) => this.list(c, 'security_group_rules', [...state.rules.values()].filter((x) => this.visible(c, x)).map((x) => ruleView(x)))),
      r('GET', 'security-group-rules/:id', (c, id) => ({ status: 200, body: { security_group_rule: ruleView(this.own(c, 'rule', state.rule(id))) } })),
      r('DELETE', 'security-group-rules/:id', (c, id) => (this.own(c, 'rule', state.rule(id)), state.deleteRule(id), { status: 204 })),
      r('POST', 'qos/policies', (c) => ({ status: 201, body: { policy: qosPolicyView(this.createQosPolicy(c)) } })),
      r('GET', 'qos/policies', (c) => this.list(c, 'policies', [...state.qosPolicies.values()].filter((q) => this.visible(c, q) || q.shared).map(qosPolicyView))),
      r('GET', 'qos/policies/:id', (c, id) => ({ status: 200, body: { policy: qosPolicyView(this.own(c, 'qosPolicy', state.qosPolicy(id), true)) } })),
      r('DELETE', 'qos/policies/:id', (c, id) => (this.own(c, 'qosPolicy', state.qosPolicy(id)), state.deleteQosPolicy(id), { status: 204 })),
      r('GET', 'network-ip-availabilities/:id', (c, id) => {
        if (!c.isAdmin) throw new NeutronFault(403, 'HTTPForbidden', "(rule:get_network_ip_availability) is disallowed by policy");
        return { status: 200, body: { network_ip_availability: ipAvailabilityView(state, state.network(id)) } };
      }),
    ];
  }

  handle(req: Req, caller: Caller | undefined, origin: string): Reply {
    const headers = { 'Content-Type': 'application/json', 'X-Openstack-Request-Id': newRequestId() };
    if (req.path === '' || req.path === '/') {
      return { status: 200, headers, body: { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${origin}/network/v2.0/`, rel: 'self' }] }] } };
    }
    if (!caller || !caller.projectId) {
      return {
        status: 401,
        headers: { ...headers, 'WWW-Authenticate': `Keystone uri="${origin}/identity"` },
        body: keystoneError(401, 'Unauthorized', UNAUTHORIZED_MESSAGE),
      };
    }
    this.state.tick();
    const ctx: Ctx = { req, caller, projectId: caller.projectId, isAdmin: caller.roles.includes('admin') };
    for (const route of this.routes) {
      const m = route.pattern.exec(req.path);
      if (!m || !this.routeEnabled(req.path)) continue;
      if (route.method !== req.method) continue;
      try {
        if (req.bodyMalformed) throw badRequest('Malformed request body');
        const out = route.handler(ctx, decodeURIComponent(m[1] ?? ''));
        if (out.status === 204) return { status: 204, headers: { 'X-Openstack-Request-Id': headers['X-Openstack-Request-Id'] } };
        return { status: out.status, headers, body: out.body };
      } catch (e) {
        if (e instanceof NeutronFault) return { status: e.status, headers, body: { NeutronError: { type: e.type, message: e.message, detail: '' } } };
        throw e;
      }
    }
    return { status: 404, headers, body: webobJson(404, 'Not Found', 'The resource could not be found.') };
  }

  private enabled(alias: string): boolean {
    return this.extensions().has(alias);
  }

  private routeEnabled(path: string): boolean {
    if (/^\/v2\.0\/security-group/.test(path)) return this.enabled('security-group');
    if (/^\/v2\.0\/qos\//.test(path)) return this.enabled('qos');
    if (/^\/v2\.0\/network-ip-availabilities/.test(path)) return this.enabled('network-ip-availability');
    return true;
  }

  private showExtension(alias: string) {
    const e = EXTENSIONS.find((x) => x.alias === alias && this.enabled(alias));
    // A missing extension is webob's 404, as recorded (10-*.json), not a NeutronError.
    if (!e) {
      const message = `The resource could not be found.<br /><br />\nExtension with alias ${alias} does not exist\n\n`;
      return { status: 404, body: { message, code: '404 Not Found', title: 'Not Found' } };
    }
    return { status: 200, body: { extension: e } };
  }

  // ---- policy -------------------------------------------------------------------------------------

  private visible(c: Ctx, o: { projectId: string }): boolean {
    return c.isAdmin || o.projectId === c.projectId;
  }

  /** Another project's object is not found for a non-admin (shared networks and policies excepted). */
  private own<T extends { id: string; projectId: string; shared?: boolean }>(c: Ctx, kind: ResourceKind, o: T, sharedVisible = false): T {
    if (this.visible(c, o) || (sharedVisible && o.shared)) return o;
    return notFound(kind, o.id);
  }

  // ---- lists --------------------------------------------------------------------------------------

  private list(c: Ctx, key: string, items: Json[]) {
    const q = c.req.query;
    const filtered = items.filter((item) =>
      [...new Set(q.keys())].every((k) => {
        if (LIST_PARAMS.has(k)) return true;
        const wanted = q.getAll(k);
        const v = item[k];
        if (k === 'fixed_ips') {
          return wanted.some((w) => {
            const [attr, value] = w.split('=');
            return (v as Json[]).some((f) => String(f[attr as string]) === value);
          });
        }
        if (v === undefined) return true; // an attribute the resource does not have: Neutron ignores it
        if (Array.isArray(v)) return wanted.some((w) => v.map(String).includes(w));
        return wanted.some((w) => String(v).toLowerCase() === w.toLowerCase());
      }),
    );
    const fields = q.getAll('fields');
    const shaped = fields.length ? filtered.map((i) => Object.fromEntries(fields.filter((f) => f in i).map((f) => [f, i[f]]))) : filtered;
    return { status: 200, body: { [key]: shaped } };
  }

  // ---- request bodies -----------------------------------------------------------------------------

  private body(c: Ctx, resource: string, allowed: string[]): Json {
    const b = c.req.body;
    if (!isObj(b) || !isObj(b[resource])) throw badRequest('Resource body required');
    const attrs = b[resource] as Json;
    const known = new Set(allowed);
    if (this.enabled('project-id')) known.add('project_id');
    known.add('tenant_id');
    const unknown = Object.keys(attrs).filter((k) => !known.has(k));
    if (unknown.length) throw badRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
    return attrs;
  }

  /** The project a new object is made in: the caller's, or (admins only) the one asked for. */
  private projectOf(c: Ctx, attrs: Json): string {
    const asked = (attrs.project_id ?? attrs.tenant_id) as unknown;
    if (asked === undefined) return c.projectId;
    if (typeof asked !== 'string') throw invalid('project_id', asked, 'a valid string');
    if (asked !== c.projectId && !c.isAdmin) {
      throw badRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges");
    }
    return asked;
  }

  private createNetwork(c: Ctx) {
    const a = this.body(c, 'network', ['name', 'admin_state_up', 'shared', 'mtu', 'description', 'provider:network_type', 'provider:physical_network', 'provider:segmentation_id']);
    return this.state.createNetwork({
      projectId: this.projectOf(c, a),
      name: optStr(a, 'name'),
      adminStateUp: optBool(a, 'admin_state_up'),
      shared: optBool(a, 'shared'),
      networkType: optStr(a, 'provider:network_type'),
      physicalNetwork: optStr(a, 'provider:physical_network') ?? null,
      mtu: optInt(a, 'mtu'),
      description: optStr(a, 'description'),
    });
  }

  private createSubnet(c: Ctx) {
    const a = this.body(c, 'subnet', ['name', 'network_id', 'ip_version', 'cidr', 'gateway_ip', 'allocation_pools', 'host_routes', 'dns_nameservers', 'enable_dhcp', 'description']);
    const networkId = required(a, 'network_id');
    const cidr = required(a, 'cidr');
    const pools = a.allocation_pools === undefined ? undefined : objList(a, 'allocation_pools', ['start', 'end']);
    const routes = a.host_routes === undefined ? undefined : objList(a, 'host_routes', ['destination', 'nexthop']);
    return this.state.createSubnet({
      projectId: this.projectOf(c, a),
      networkId,
      cidr,
      ipVersion: optInt(a, 'ip_version') ?? 4,
      name: optStr(a, 'name'),
      gatewayIp: a.gateway_ip === null ? null : optStr(a, 'gateway_ip'),
      allocationPools: pools?.map((p) => ({ start: p.start as string, end: p.end as string })),
      hostRoutes: routes?.map((r) => ({ destination: r.destination as string, nexthop: r.nexthop as string })),
      dnsNameservers: a.dns_nameservers === undefined ? undefined : strList(a, 'dns_nameservers'),
      enableDhcp: optBool(a, 'enable_dhcp'),
      description: optStr(a, 'description'),
    });
  }

  private portAttributes(): string[] {
    const attrs = ['name', 'admin_state_up', 'device_id', 'device_owner', 'security_groups', 'qos_policy_id', 'binding:host_id', 'binding:vnic_type', 'binding:profile', 'description', 'port_security_enabled', 'fixed_ips'];
    if (this.enabled('allowed-address-pairs')) attrs.push('allowed_address_pairs');
    if (this.enabled('dns-integration')) attrs.push('dns_name');
    return attrs;
  }

  private portRequest(c: Ctx): PortRequest {
    const a = this.body(c, 'port', [...this.portAttributes(), 'network_id']);
    const networkId = required(a, 'network_id');
    const fixedIps = a.fixed_ips === undefined ? undefined : objList(a, 'fixed_ips', ['subnet_id', 'ip_address']);
    for (const f of fixedIps ?? []) {
      if (f.ip_address !== undefined && (typeof f.ip_address !== 'string' || !isIPv4(f.ip_address))) {
        throw invalid('fixed_ips', f.ip_address, 'a valid IP address');
      }
    }
    return {
      projectId: this.projectOf(c, a),
      networkId,
      ...this.portUpdateFields(a),
      ...(fixedIps ? { fixedIps: fixedIps.map((f) => ({ subnetId: f.subnet_id as string | undefined, ipAddress: f.ip_address as string | undefined })) } : {}),
      ...(a.port_security_enabled !== undefined ? { portSecurityEnabled: optBool(a, 'port_security_enabled') } : {}),
    };
  }

  private portUpdate(c: Ctx): PortUpdate {
    const a = this.body(c, 'port', this.portAttributes());
    if (a.fixed_ips !== undefined || a.port_security_enabled !== undefined) throw invalid('port', Object.keys(a), 'an update this emulator models');
    return this.portUpdateFields(a);
  }

  private portUpdateFields(a: Json): PortUpdate {
    const out: PortUpdate = {};
    if (a.name !== undefined) out.name = optStr(a, 'name');
    if (a.description !== undefined) out.description = optStr(a, 'description');
    if (a.admin_state_up !== undefined) out.adminStateUp = optBool(a, 'admin_state_up');
    if (a.device_id !== undefined) out.deviceId = optStr(a, 'device_id');
    if (a.device_owner !== undefined) out.deviceOwner = optStr(a, 'device_owner');
    if (a.security_groups !== undefined) out.securityGroups = strList(a, 'security_groups');
    if (a.qos_policy_id !== undefined) out.qosPolicyId = a.qos_policy_id === null ? null : optStr(a, 'qos_policy_id');
    if (a['binding:host_id'] !== undefined) out.hostId = optStr(a, 'binding:host_id');
    if (a.allowed_address_pairs !== undefined) {
      out.allowedAddressPairs = objList(a, 'allowed_address_pairs', ['ip_address', 'mac_address']).map((p) => {
        if (typeof p.ip_address !== 'string') throw invalid('allowed_address_pairs', p, 'a valid IP address');
        return { ipAddress: p.ip_address, ...(typeof p.mac_address === 'string' ? { macAddress: p.mac_address } : {}) };
      });
    }
    return out;
  }

  private createSecurityGroup(c: Ctx) {
    const a = this.body(c, 'security_group', ['name', 'description', 'stateful']);
    return this.state.createSecurityGroup(this.projectOf(c, a), optStr(a, 'name') ?? '', optStr(a, 'description') ?? '');
  }

  private createRule(c: Ctx): RuleRec {
    const a = this.body(c, 'security_group_rule', [
      'security_group_id',
      'direction',
      'protocol',
      'port_range_min',
      'port_range_max',
      'ethertype',
      'remote_ip_prefix',
      'remote_group_id',
      'description',
    ]);
    const securityGroupId = required(a, 'security_group_id');
    const direction = required(a, 'direction');
    if (direction !== 'ingress' && direction !== 'egress') throw invalid('direction', direction, "in ['ingress', 'egress']");
    const ethertype = (optStr(a, 'ethertype') ?? 'IPv4') as string;
    if (ethertype !== 'IPv4' && ethertype !== 'IPv6') throw invalid('ethertype', ethertype, "in ['IPv4', 'IPv6']");
    const protocol = ruleProtocol(a.protocol);
    const min = a.port_range_min === null ? null : (optInt(a, 'port_range_min') ?? null);
    const max = a.port_range_max === null ? null : (optInt(a, 'port_range_max') ?? null);
    if (min !== null || max !== null) {
      if (protocol === null) throw new NeutronFault(400, 'SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.');
      if (PORT_PROTOCOLS.includes(protocol) && min !== null && max !== null && min > max) {
        throw new NeutronFault(400, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
      }
      if (!PORT_PROTOCOLS.includes(protocol) && !['icmp', 'ipv6-icmp', 'icmpv6', '1', '58'].includes(protocol)) {
        throw new NeutronFault(400, 'SecurityGroupInvalidProtocolForPortRange', `Invalid protocol ${protocol} for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP.`);
      }
    }
    const prefix = a.remote_ip_prefix === null ? null : (optStr(a, 'remote_ip_prefix') ?? null);
    const remoteGroupId = a.remote_group_id === null ? null : (optStr(a, 'remote_group_id') ?? null);
    if (prefix !== null) {
      const v4 = parseCidr(prefix) !== undefined;
      if (!v4 && !prefix.includes(':')) throw invalid('remote_ip_prefix', prefix, 'a valid IP subnet');
      if ((v4 ? 'IPv4' : 'IPv6') !== ethertype) {
        throw new NeutronFault(400, 'SecurityGroupRuleParameterConflict', `Conflicting value ethertype ${ethertype} for CIDR ${prefix}`);
      }
      if (remoteGroupId !== null) throw new NeutronFault(400, 'SecurityGroupRemoteGroupAndRemoteIpPrefix', 'Only remote_ip_prefix or remote_group_id may be provided.');
    }
    if (remoteGroupId !== null) this.state.securityGroup(remoteGroupId);
    this.own(c, 'securityGroup', this.state.securityGroup(securityGroupId));
    return this.state.createRule({
      securityGroupId,
      direction,
      ethertype,
      protocol,
      portRangeMin: min,
      portRangeMax: max,
      remoteIpPrefix: prefix,
      remoteGroupId,
      description: optStr(a, 'description') ?? '',
    });
  }

  private createQosPolicy(c: Ctx) {
    const a = this.body(c, 'policy', ['name', 'description', 'shared', 'is_default']);
    return this.state.createQosPolicy(this.projectOf(c, a), optStr(a, 'name') ?? '', optStr(a, 'description') ?? '', optBool(a, 'shared') ?? false);
  }
}

/** Neutron's stored protocol: a name as given, a number as a string, or null. */
function ruleProtocol(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  const s = String(v).toLowerCase();
  if (/^\d+$/.test(s) && Number(s) <= 255) return String(Number(s));
  if (NAMED_PROTOCOLS.includes(s)) return s;
  throw new NeutronFault(
    400,
    'SecurityGroupRuleInvalidProtocol',
    `Security group rule protocol ${String(v)} not supported. Only protocol values [${NAMED_PROTOCOLS.map((p) => `'${p}'`).join(', ')}] and integer representations [0 to 255] are supported.`,
  );
}

function required(a: Json, key: string): string {
  const v = a[key];
  if (v === undefined) throw badRequest(`Failed to parse request. Required attribute '${key}' not specified`);
  if (typeof v !== 'string') throw invalid(key, v, 'a valid string');
  return v;
}

function optStr(a: Json, key: string): string | undefined {
  const v = a[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalid(key, v, 'a valid string');
  return v;
}

function optBool(a: Json, key: string): boolean | undefined {
  const v = a[key];
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'True' || v === 'true') return true;
  if (v === 'False' || v === 'false') return false;
  throw invalid(key, v, 'a valid boolean');
}

function optInt(a: Json, key: string): number | undefined {
  const v = a[key];
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw invalid(key, v, 'an integer');
  return n;
}

function strList(a: Json, key: string): string[] {
  const v = a[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalid(key, v, 'a list of strings');
  return v as string[];
}

function objList(a: Json, key: string, keys: string[]): Json[] {
  const v = a[key];
  if (!Array.isArray(v) || !v.every(isObj)) throw invalid(key, v, 'a list of dictionaries');
  for (const o of v as Json[]) {
    const extra = Object.keys(o).filter((k) => !keys.includes(k));
    if (extra.length) throw invalid(key, o, `a dictionary with only ${keys.join(', ')}`);
  }
  return v as Json[];
}
