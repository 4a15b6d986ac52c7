//! What a simulator starts with: its credentials ([`SimConfig`]) and its initial data ([`Seed`]).
//!
//! Kept apart from the server so callers can build and tweak a starting world without touching
//! any HTTP machinery, and so the demo data lives in exactly one place.

use std::fmt;

/// Settings of one simulator instance.
#[derive(Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// The only value of `X-Auth-Token` the simulator accepts on `/v3` requests.
    pub auth_token: String,
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a credential: never print it.
        f.debug_struct("SimConfig")
            .field("auth_token", &"<redacted>")
            .finish()
    }
}

/// The initial data of a simulator: one project and the StarRocks instances in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// Project (tenant) id the seeded instances belong to.
    pub project_id: String,
    /// Instances to create, each with its replication tasks.
    pub instances: Vec<SeedInstance>,
}

/// One seeded StarRocks instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedInstance {
    /// StarRocks instance id (36 characters in the real service, e.g. ending in `in17`).
    pub instance_id: String,
    /// Names of its replication tasks, in list order; each starts at stage `Incremental`.
    pub tasks: Vec<String>,
}

/// Project id used by [`Seed::demo`].
pub(crate) const DEMO_PROJECT_ID: &str = "2f6c8a4e1b3d4c5f9a7e6d5c4b3a2918";
/// Instance id used by [`Seed::demo`].
pub(crate) const DEMO_INSTANCE_ID: &str = "5c1f0e9a2b7d4e3f8a6c1d2e3f4a5b6cin17";
/// Task names used by [`Seed::demo`], in list order.
pub(crate) const DEMO_TASKS: [&str; 3] = ["orders_sync", "users_sync", "payments_sync"];

impl Seed {
    /// The demo world: one project, one instance, tasks `orders_sync`, `users_sync` and
    /// `payments_sync`, all replicating (`Incremental`).
    pub fn demo() -> Seed {
        Seed {
            project_id: DEMO_PROJECT_ID.to_owned(),
            instances: vec![SeedInstance {
                instance_id: DEMO_INSTANCE_ID.to_owned(),
                tasks: DEMO_TASKS.iter().map(|t| (*t).to_owned()).collect(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_seed_has_the_documented_ids() {
        let seed = Seed::demo();
        assert_eq!(seed.project_id, "2f6c8a4e1b3d4c5f9a7e6d5c4b3a2918");
        assert_eq!(seed.instances.len(), 1);
        let instance = &seed.instances[0];
        assert_eq!(instance.instance_id.len(), 36);
        assert!(instance.instance_id.ends_with("in17"));
        assert_eq!(
            instance.tasks,
            vec!["orders_sync", "users_sync", "payments_sync"]
        );
    }

    #[test]
    fn config_debug_hides_the_token() {
        let config = SimConfig {
            auth_token: "super-secret".to_owned(),
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("super-secret"), "{shown}");
    }
}
