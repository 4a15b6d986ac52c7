//! Whose work StopProvider cancels: the process's (Terraform, the only client) or, on a
//! server shared by many clients, the calling connection's, kept in its session.

use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

/// Whose work StopProvider cancels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StopScope {
    /// All work in the process: Terraform is the only client.
    #[default]
    Process,
    /// The calling connection's work only: a server shared by many clients, where one
    /// client's Ctrl-C must not cancel another's apply. Requests without a connection
    /// fall back to the process's token.
    Connection,
}

/// A connection's current stop token, kept in its [`Session`].
#[derive(Default)]
pub(super) struct ConnectionStop(Mutex<Option<CancellationToken>>);

impl ConnectionStop {
    fn with<R>(&self, f: impl FnOnce(&mut Option<CancellationToken>) -> R) -> R {
        match self.0.lock() {
            Ok(mut token) => f(&mut token),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// The token this connection's work hangs off, made under `shutdown` on first use.
    pub(super) fn current(&self, shutdown: &CancellationToken) -> CancellationToken {
        self.with(|token| token.get_or_insert_with(|| shutdown.child_token()).clone())
    }

    /// Puts a fresh token in place and returns the one to cancel.
    pub(super) fn renew(&self, shutdown: &CancellationToken) -> Option<CancellationToken> {
        self.with(|token| token.replace(shutdown.child_token()))
    }
}
