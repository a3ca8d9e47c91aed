// Open the PF's stores together, and the read views the node needs: the planner's input for a returning user
// (clause PF) and the store part of GET /state.
import {
  type BacklogGroup,
  type DeliveryRecord,
  type Group,
  isMember,
  type SessionState,
} from '../domain/index.js';
import type { PfStores } from './apply-effects.js';
import { type DatabaseOptions, openDatabase } from './database.js';
import { type BacklogCount, DeferredStore, type DeferredStoreOptions } from './deferred-store.js';
import { GroupStore } from './group-store.js';

export interface OpenStoresOptions extends DatabaseOptions, DeferredStoreOptions {}

/**
 * Open the database and its stores. Delivery records left `delivering` by a previous run are set back to
 * `pending` (no session survives a restart; the next registration retries).
 */
export function openStores(options: OpenStoresOptions): PfStores & { recovered: number } {
  const db = openDatabase(options);
  const deferredOptions: DeferredStoreOptions = {};
  if (options.now) deferredOptions.now = options.now;
  if (options.maxBodyBytes !== undefined) deferredOptions.maxBodyBytes = options.maxBodyBytes;
  const deferred = new DeferredStore(db, deferredOptions);
  const recovered = deferred.recoverAfterRestart();
  return { db, groups: new GroupStore(db), deferred, recovered };
}

/**
 * The planner's input for a user who came online: every group holding items for the user, oldest first; with
 * `activeGroups` (the ids of the groups whose session is active: the node knows them, the store does not), also
 * each of those the user is a member of (pending 0 when nothing is
 * stored: clause PF, reconnect without a backlog).
 */
export function backlogGroupsFor(
  stores: PfStores,
  user: string,
  sessionStateOf: (groupId: string) => SessionState,
  options: { activeGroups?: readonly string[]; only?: string } = {},
): BacklogGroup[] {
  const out: BacklogGroup[] = [];
  for (const count of stores.deferred.backlogOf(user)) {
    if (options.only !== undefined && count.groupId !== options.only) continue;
    const group = stores.groups.get(count.groupId);
    if (!group) continue; // unreachable: deferred_items references groups (ON DELETE CASCADE)
    const entry: BacklogGroup = { group, pending: count.pending, session: sessionStateOf(group.id) };
    if (count.delivery) entry.delivery = count.delivery;
    out.push(entry);
  }
  for (const id of options.activeGroups ?? []) {
    if (options.only !== undefined && id !== options.only) continue;
    if (out.some((e) => e.group.id === id)) continue;
    const group = stores.groups.get(id);
    if (!group || sessionStateOf(id) !== 'active' || !isMember(group, user)) continue;
    const entry: BacklogGroup = { group, pending: 0, session: 'active' };
    const delivery = stores.deferred.deliveryRecord(user, group.id);
    if (delivery) entry.delivery = delivery;
    out.push(entry);
  }
  return out;
}

export interface StoreSnapshot {
  groups: Group[];
  backlog: BacklogCount[];
  /** Includes records without backlog (none today) and `stopped-481` ones. */
  deliveries: DeliveryRecord[];
}

/** The persisted part of the PF's GET /state. */
export function storeSnapshot(stores: PfStores): StoreSnapshot {
  return {
    groups: stores.groups.list(),
    backlog: stores.deferred.counts(),
    deliveries: stores.deferred.deliveryRecords(),
  };
}
