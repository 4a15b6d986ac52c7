//! The cap on established connections, so that clients without credentials cannot use
//! up the server's file descriptors and lock out one with them.
//!
//! Every connection past its handshake is admitted here, oldest first. When the cap is
//! reached, a new connection closes the oldest one that never authenticated (see
//! [`Standing`]); a connection that did authenticate is never closed to make room. If
//! every connection authenticated, the newcomer is turned away instead.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio_util::sync::CancellationToken;

use crate::plugin::activity::Standing;

/// Established connections, oldest first.
#[derive(Clone, Default)]
pub(crate) struct Admission {
    table: Arc<Mutex<Table>>,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    entries: VecDeque<Entry>,
}

struct Entry {
    id: u64,
    standing: Arc<Standing>,
    close: CancellationToken,
}

/// A connection's place in the table: fires `close` when it must make room, and frees
/// the place when dropped (the connection ended).
pub(crate) struct Admitted {
    id: u64,
    pub(crate) close: CancellationToken,
    table: Arc<Mutex<Table>>,
}

impl Admission {
    /// Admits a connection, closing the oldest unauthenticated one if `cap` are
    /// established already; None when all of those authenticated (no room).
    pub(crate) fn admit(&self, standing: Arc<Standing>, cap: usize) -> Option<Admitted> {
        let mut table = lock(&self.table);
        if table.entries.len() >= cap.max(1) {
            let oldest_anonymous = table
                .entries
                .iter()
                .position(|entry| !entry.standing.authenticated())?;
            if let Some(evicted) = table.entries.remove(oldest_anonymous) {
                tracing::debug!(
                    "closing the oldest connection that never authenticated to make room"
                );
                evicted.close.cancel();
            }
        }
        table.next_id += 1;
        let id = table.next_id;
        let close = CancellationToken::new();
        table.entries.push_back(Entry {
            id,
            standing,
            close: close.clone(),
        });
        Some(Admitted {
            id,
            close,
            table: self.table.clone(),
        })
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.table).entries.len()
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        lock(&self.table)
            .entries
            .retain(|entry| entry.id != self.id);
    }
}

fn lock(table: &Mutex<Table>) -> MutexGuard<'_, Table> {
    match table.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::activity::ConnInfo;

    fn standing(authenticated: bool) -> Arc<Standing> {
        ConnInfo::new(authenticated).standing().clone()
    }

    #[test]
    fn at_the_cap_the_oldest_unauthenticated_connection_makes_room() {
        let admission = Admission::default();
        let client = admission.admit(standing(true), 3).expect("room");
        let first = admission.admit(standing(false), 3).expect("room");
        let second = admission.admit(standing(false), 3).expect("room");
        let third = admission.admit(standing(false), 3).expect("room");
        assert!(!client.close.is_cancelled(), "an authenticated one is kept");
        assert!(
            first.close.is_cancelled(),
            "the oldest anonymous one made room"
        );
        assert!(!second.close.is_cancelled() && !third.close.is_cancelled());
        drop(first);
        assert_eq!(admission.len(), 3);
        drop(second);
        assert_eq!(admission.len(), 2, "a closed connection frees its place");
    }

    #[test]
    fn when_every_connection_authenticated_the_newcomer_is_turned_away() {
        let admission = Admission::default();
        let kept = admission.admit(standing(true), 1).expect("room");
        assert!(admission.admit(standing(false), 1).is_none());
        assert!(!kept.close.is_cancelled());
    }
}
