// The user's answer to PF invitations (D1.v): accept → 200, decline → 603, later → 480.

export type InvitationPolicy = 'accept' | 'decline' | 'later';

export interface PolicySettings {
  /** The per-client default. */
  default: InvitationPolicy;
  /** Per-group overrides, keyed by GroupRecord.key. */
  perGroup?: Readonly<Record<string, InvitationPolicy>>;
}

/** The policy in force for a group (its override, else the default); a new group gets the default. */
export function policyFor(settings: PolicySettings, key: string | undefined): InvitationPolicy {
  return (key !== undefined ? settings.perGroup?.[key] : undefined) ?? settings.default;
}
