//! How long connections may take, how many may wait or stay, and how many calls one may
//! carry: the limits every listener applies, so idle, half-open or unauthenticated
//! sockets can neither exhaust file descriptors nor lock out a real client.

use std::time::Duration;

/// File descriptors kept out of the connection budget: the process's own (stdio, the
/// runtime, the listener, signals), the files it reads and its outgoing HTTPS
/// connections to the API.
const RESERVED_DESCRIPTORS: usize = 64;

/// Connection limits of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// From accept until the TLS handshake (if any) and the HTTP/2 client preface are
    /// done. A connection that takes longer is closed. It is also the deadline for a
    /// connection's first authenticated call (one that is not a health check; a client
    /// certificate authenticates at once): a connection without one by then is closed.
    pub handshake_timeout: Duration,
    /// An established connection with no RPC in flight for this long is closed. A long
    /// RPC (an apply waiting for its job) is never cut by it; health calls (a Watch
    /// included) do not count.
    pub idle_timeout: Duration,
    /// At most this many connections may be in their handshake at once; a new one
    /// evicts the oldest, so a burst of silent sockets cannot keep a real client out.
    pub max_pending_handshakes: usize,
    /// At most this many established connections; a new one closes the oldest that
    /// never authenticated (a connection that did is kept).
    pub max_connections: usize,
    /// HTTP/2 streams (calls) one connection may have open at once (SETTINGS
    /// MAX_CONCURRENT_STREAMS; more are refused with REFUSED_STREAM).
    pub max_concurrent_streams: u32,
    /// Calls one connection may have open without the bearer token (health checks):
    /// more are answered RESOURCE_EXHAUSTED.
    pub anonymous_streams: usize,
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
            max_connections: 512,
            max_concurrent_streams: 100,
            anonymous_streams: 4,
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(20),
        }
    }
}

impl Limits {
    /// These limits, the connection caps lowered to fit the process's open-file limit
    /// (`ulimit -n`): pending and established connections together never need more
    /// descriptors than there are, so accepting never fails for want of one.
    #[cfg(unix)]
    pub fn within_open_file_limit(self) -> Self {
        match rustix::process::getrlimit(rustix::process::Resource::Nofile).current {
            Some(files) => self.within_descriptors(usize::try_from(files).unwrap_or(usize::MAX)),
            None => self,
        }
    }

    /// These limits, unchanged: no open-file limit to fit (sockets are handles, bounded
    /// by memory).
    #[cfg(not(unix))]
    pub fn within_open_file_limit(self) -> Self {
        self
    }

    /// These limits with at most `files` descriptors in all, [`RESERVED_DESCRIPTORS`]
    /// of them kept for the process: a quarter of the rest at most for handshakes.
    #[cfg_attr(not(unix), allow(dead_code))]
    fn within_descriptors(mut self, files: usize) -> Self {
        let budget = files.saturating_sub(RESERVED_DESCRIPTORS).max(2);
        if self.max_pending_handshakes + self.max_connections <= budget {
            return self;
        }
        self.max_pending_handshakes = self.max_pending_handshakes.clamp(1, (budget / 4).max(1));
        self.max_connections = self
            .max_connections
            .clamp(1, budget - self.max_pending_handshakes);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_caps_fit_the_open_file_limit() {
        let defaults = Limits::default();
        assert_eq!(defaults.within_descriptors(1 << 20), defaults);
        let low = defaults.within_descriptors(128);
        assert!(low.max_pending_handshakes + low.max_connections <= 128 - RESERVED_DESCRIPTORS);
        assert!(low.max_pending_handshakes >= 1 && low.max_connections >= 1);
        let tiny = defaults.within_descriptors(3);
        assert_eq!((tiny.max_pending_handshakes, tiny.max_connections), (1, 1));
    }
}
