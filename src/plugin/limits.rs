//! How long connections may take and how many may wait: the limits every listener
//! applies, so idle or half-open sockets can neither exhaust file descriptors nor
//! lock out a real client.

use std::time::Duration;

/// Connection limits of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// From accept until the TLS handshake (if any) and the HTTP/2 client preface are
    /// done. A connection that takes longer is closed.
    pub handshake_timeout: Duration,
    /// An established connection with no RPC in flight for this long is closed. A long
    /// RPC (an apply waiting for its job) is never cut by it.
    pub idle_timeout: Duration,
    /// At most this many connections may be in their handshake at once; a new one
    /// evicts the oldest, so a burst of silent sockets cannot keep a real client out.
    pub max_pending_handshakes: usize,
    /// HTTP/2 PING interval on every connection, and how long an answer may take
    /// before the connection is considered dead.
    pub keepalive_interval: Duration,
    pub keepalive_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            max_pending_handshakes: 64,
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(20),
        }
    }
}
