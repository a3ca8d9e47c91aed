// Apply the store effects of an invitation outcome (domain/invitation-outcome.ts) in one transaction.
import type { Group, StoreEffect } from '../domain/index.js';
import type { PfDatabase } from './database.js';
import type { DeferredStore } from './deferred-store.js';
import type { GroupStore } from './group-store.js';

export interface PfStores {
  db: PfDatabase;
  groups: GroupStore;
  deferred: DeferredStore;
}

export interface AppliedEffects {
  /** Groups changed by a `remove-participant` effect, as stored afterwards. */
  changedGroups: Group[];
  /** Items dropped by `drop-backlog` effects. */
  dropped: number;
}

/** All or nothing: if one effect fails (StoreError), none is applied. */
export function applyStoreEffects(
  stores: PfStores,
  effects: readonly StoreEffect[],
  now: number,
): AppliedEffects {
  return stores.db.transaction(() => {
    const applied: AppliedEffects = { changedGroups: [], dropped: 0 };
    for (const effect of effects) {
      switch (effect.type) {
        case 'set-delivery-status': {
          const options: { outcome: string; countAttempt: boolean; at: number; reason?: string } = {
            outcome: effect.outcome,
            countAttempt: effect.countAttempt,
            at: now,
          };
          if (effect.reason !== undefined) options.reason = effect.reason;
          stores.deferred.setDeliveryStatus(effect.recipient, effect.groupId, effect.status, options);
          break;
        }
        case 'remove-participant': {
          const group = stores.groups.removeParticipant(effect.groupId, effect.participant, now);
          if (group) applied.changedGroups.push(group);
          break;
        }
        case 'drop-backlog':
          applied.dropped += stores.deferred.drop(effect.recipient, effect.groupId);
          break;
        case 'finish-delivery':
          stores.deferred.finishDelivery(effect.recipient, effect.groupId, now);
          break;
      }
    }
    return applied;
  });
}
