/**
 * The children of a load balancer, as flows and the API name them. Octavia deletes child rows (only
 * load balancers and amphorae are kept as DELETED), and a child operation moves its load balancer
 * through PENDING_UPDATE.
 */
export const childResources = ['listener', 'pool', 'member', 'healthmonitor', 'l7policy', 'l7rule'] as const;
export type ChildResource = (typeof childResources)[number];

export type ChildOperation = 'create' | 'update' | 'delete';

export interface ChildChange {
  resource: ChildResource;
  id: string;
  operation: ChildOperation;
  /** For updates: the new values, in the database's (camelCase) field names. */
  updates?: Record<string, unknown>;
}
