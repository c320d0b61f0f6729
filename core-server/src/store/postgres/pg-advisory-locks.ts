// PostgreSQL advisory locks Core takes, as (namespace, key) pairs so they never collide with
// another application's locks on a shared server. Add new purposes here (e.g. a discovery/moves
// leader) so every key Core uses is listed in one place.
export const CORE_LOCK_NAMESPACE = 0x72657461; // "reta"

export const CORE_LOCKS = {
  /** Held while a replica applies schema migrations (session lock, see pg-migrations.ts). */
  migrations: 1,
  /**
   * Held by the replica that scans, sweeps and recovers (session lock on its own connection, see
   * server/leadership-postgres.ts). Each replica also holds a one-bigint lock derived from its
   * move-lock owner while it runs; one-bigint keys never collide with these (namespace, key) pairs.
   */
  leader: 2,
} as const;

/** Namespace of per-asset transaction locks, keyed by hashtext(asset_uuid). */
export const ASSET_LOCK_NAMESPACE = 0x72657462; // "retb"
