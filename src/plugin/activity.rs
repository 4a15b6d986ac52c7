//! Per-connection bookkeeping that tonic attaches to every request: the connection's
//! [`Session`] and how many of its RPCs are in flight, which decides when an idle
//! connection may be closed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::time::Instant;

use crate::session::Session;

/// What tonic copies into each request's extensions (`Connected::ConnectInfo`).
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub session: Session,
    activity: Arc<Activity>,
}

impl ConnInfo {
    pub(crate) fn new() -> Self {
        Self {
            session: Session::new(),
            activity: Arc::new(Activity {
                in_flight: AtomicUsize::new(0),
                last_change: Mutex::new(Instant::now()),
            }),
        }
    }

    /// Marks an RPC as running until the returned guard is dropped.
    pub fn begin_request(&self) -> InFlight {
        self.activity.in_flight.fetch_add(1, Ordering::SeqCst);
        self.activity.touch();
        InFlight(self.activity.clone())
    }

    pub(crate) fn activity(&self) -> &Activity {
        &self.activity
    }
}

/// RPCs in flight on one connection and when that number last changed.
#[derive(Debug)]
pub struct Activity {
    in_flight: AtomicUsize,
    last_change: Mutex<Instant>,
}

impl Activity {
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    pub fn last_change(&self) -> Instant {
        match self.last_change.lock() {
            Ok(at) => *at,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    fn touch(&self) {
        let mut at = match self.last_change.lock() {
            Ok(at) => at,
            Err(poisoned) => poisoned.into_inner(),
        };
        *at = Instant::now();
    }
}

/// One RPC in flight (request received, response not yet fully sent).
#[derive(Debug)]
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_count_requests_in_flight() {
        let info = ConnInfo::new();
        let a = info.begin_request();
        let b = info.clone().begin_request();
        assert_eq!(info.activity().in_flight(), 2);
        drop(a);
        drop(b);
        assert_eq!(info.activity().in_flight(), 0);
    }
}
