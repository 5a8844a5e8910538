/**
 * The Neutron the emulated Nova may be given (test/emulators/neutron implements it). Without one,
 * Nova keeps its own stand-in networks and ports (state.ts); with one, it asks it as real Nova asks
 * Neutron: which networks exist (server create), the port it makes for a `networks: [{uuid}]` request
 * (deleted with the server), the ports it is given, and the rewrite an attach makes (device_id = the
 * server, device_owner compute:nova, bound to the host) and that a detach or a server delete undoes.
 * The backend also answers the catalog's `network` endpoint (`/network` on the emulator's origin).
 */
import type { Reply, Req } from './http';

/** A Neutron port as Nova's views need it. */
export interface BackendPort {
  id: string;
  networkId: string;
  subnetId: string;
  ip: string;
  macAddress: string;
  /** '' when the port is not attached to anything. */
  deviceId: string;
  /** Neutron's status (ACTIVE, DOWN): os-interface's port_state. */
  status: string;
}

/** Who is calling Neutron's API (from a valid Keystone token of the emulator). */
export interface Caller {
  userId: string;
  projectId: string | null;
  roles: string[];
}

export interface NetworkBackend {
  /** ms to wait before answering each /network request (timeouts). */
  readonly latencyMs?: number;
  /** Neutron's API: `req.path` is below `/network`; `caller` is undefined without a valid token. */
  handle(req: Req, caller: Caller | undefined, origin: string): Reply;
  /** A network by id (its name keys a server's `addresses`). */
  network(id: string): { id: string; name: string } | undefined;
  port(id: string): BackendPort | undefined;
  /** allocate_for_instance: a new port on the network, owned by the server and bound to its host. */
  createPort(o: { networkId: string; serverId: string; projectId: string; host: string; fixedIp?: string }): BackendPort;
  /** An attach: the port becomes the server's (device_owner compute:nova, bound to `host`). */
  bindPort(portId: string, serverId: string, host: string): void;
  /** A detach (or the server's delete) of a port Nova did not make: it is released, not deleted. */
  unbindPort(portId: string): void;
  /** The server's delete (or a detach) of a port Nova made itself. */
  deletePort(portId: string): void;
}
