//! Per-connection bookkeeping that tonic attaches to every request: the connection's
//! [`Session`], how many of its RPCs are in flight, which decides when an idle
//! connection may be closed, and its [`Standing`]: whether it ever authenticated (which
//! keeps it open past the deadline for a first call and safe from eviction) and how many
//! calls it has open without the token.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::time::Instant;

use crate::session::Session;

/// What tonic copies into each request's extensions (`Connected::ConnectInfo`).
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub session: Session,
    activity: Arc<Activity>,
    standing: Arc<Standing>,
}

impl ConnInfo {
    /// A new connection's; `authenticated` when its TLS client certificate already
    /// proved who it is.
    pub(crate) fn new(authenticated: bool) -> Self {
        Self {
            session: Session::new(),
            activity: Arc::new(Activity {
                in_flight: AtomicUsize::new(0),
                last_change: Mutex::new(Instant::now()),
            }),
            standing: Arc::new(Standing {
                authenticated: AtomicBool::new(authenticated),
                anonymous: AtomicUsize::new(0),
            }),
        }
    }

    pub(crate) fn standing(&self) -> &Arc<Standing> {
        &self.standing
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

/// Whether a connection ever authenticated, and its calls open without the token.
#[derive(Debug)]
pub struct Standing {
    authenticated: AtomicBool,
    anonymous: AtomicUsize,
}

impl Standing {
    pub fn authenticated(&self) -> bool {
        self.authenticated.load(Ordering::SeqCst)
    }

    /// A call with the token (or, on a server without one, any call but a health
    /// check) came on this connection: it is a client's.
    pub fn authenticate(&self) {
        self.authenticated.store(true, Ordering::SeqCst);
    }

    /// Counts a call without the token until the returned guard is dropped; None if
    /// `limit` such calls are already open.
    pub fn begin_anonymous(self: &Arc<Self>, limit: usize) -> Option<AnonymousCall> {
        self.anonymous
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |open| {
                (open < limit).then_some(open + 1)
            })
            .ok()
            .map(|_| AnonymousCall(self.clone()))
    }
}

/// One call open without the token.
#[derive(Debug)]
pub struct AnonymousCall(Arc<Standing>);

impl Drop for AnonymousCall {
    fn drop(&mut self) {
        self.0.anonymous.fetch_sub(1, Ordering::SeqCst);
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
        let info = ConnInfo::new(false);
        let a = info.begin_request();
        let b = info.clone().begin_request();
        assert_eq!(info.activity().in_flight(), 2);
        drop(a);
        drop(b);
        assert_eq!(info.activity().in_flight(), 0);
    }

    #[test]
    fn calls_without_the_token_are_counted_up_to_the_limit() {
        let info = ConnInfo::new(false);
        let standing = info.standing();
        let first = standing.begin_anonymous(2).expect("first");
        let second = standing.begin_anonymous(2).expect("second");
        assert!(standing.begin_anonymous(2).is_none(), "the limit holds");
        drop(first);
        let third = standing.begin_anonymous(2).expect("room again");
        drop((second, third));
        assert!(!standing.authenticated());
        standing.authenticate();
        assert!(info.clone().standing().authenticated(), "shared by clones");
    }
}
