/** Custom search attributes: how an operator finds every flow of an object in the Temporal Web UI. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const LoadBalancerId = defineSearchAttributeKey('LoadBalancerId', SearchAttributeType.KEYWORD);
export const ProjectId = defineSearchAttributeKey('ProjectId', SearchAttributeType.KEYWORD);
export const AmphoraId = defineSearchAttributeKey('AmphoraId', SearchAttributeType.KEYWORD);
export const ResourceType = defineSearchAttributeKey('ResourceType', SearchAttributeType.KEYWORD);
export const Operation = defineSearchAttributeKey('Operation', SearchAttributeType.KEYWORD);

/** Every key, for registration (dev server flags, operator service, temporal-compose.yml). */
export const allSearchAttributes = [LoadBalancerId, ProjectId, AmphoraId, ResourceType, Operation];
