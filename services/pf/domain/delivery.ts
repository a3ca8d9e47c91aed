// Deferred-delivery bookkeeping per (recipient, group) (protocol-notes §4): persisted so /state shows it after a
// restart.

/**
 * - `pending`: stored items wait for the recipient's next registration (also after 480, 408, 5xx, transport
 *   failure or an interrupted MSRP delivery);
 * - `delivering`: an invitation is in flight or its session is delivering the backlog;
 * - `stopped-481`: the recipient answered 481 (D1.iv / A2.ii: it does not know the group); no more invitations
 *   for this group until delivery is resumed (e.g. the user re-joins the group, R3).
 */
export type DeliveryStatus = 'pending' | 'delivering' | 'stopped-481';

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivering', 'stopped-481'];

export interface DeliveryRecord {
  recipient: string;
  groupId: string;
  status: DeliveryStatus;
  /** When the status last changed (ms since epoch). */
  changedAt: number;
  /** Why the status is what it is (`481 Call/Transaction Does Not Exist`...). */
  reason?: string;
  /** Invitations sent so far for the current backlog. */
  attempts: number;
  /** The last invitation outcome (`200`, `480`, `transport-failure`...). */
  lastOutcome?: string;
}
