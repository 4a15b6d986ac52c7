//! The accept loop: every connection gets its handshake (TLS when configured, then the
//! HTTP/2 client preface) in its own task, within the handshake timeout, before tonic
//! sees it.
//!
//! Connections still in their handshake are capped: when the cap is reached, a new
//! connection evicts the oldest pending one. A burst of silent sockets therefore holds
//! at most the cap's file descriptors, and a real client, which sends its preface at
//! once, always gets through. Connections past their handshake are admitted to the
//! capped table of established ones ([`Admission`]), and must make an authenticated
//! call within the handshake timeout of their accept (unless their TLS client
//! certificate authenticated them already). On a unix socket of `serve` (whose clients are
//! stock gRPC libraries) the client's frames pass through [`UnixAuthority`], which makes
//! every request's `:authority` `localhost`; Terraform's plugin socket is left as it is.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};

use tokio::io::AsyncReadExt as _;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

use crate::plugin::activity::ConnInfo;
use crate::plugin::admission::Admission;
use crate::plugin::authority::UnixAuthority;
use crate::plugin::conn::{Conn, Io, Listener};
use crate::plugin::limits::Limits;

/// Every HTTP/2 connection starts with these bytes (RFC 9113, 3.4).
const HTTP2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Pause after a failed accept (e.g. out of file descriptors).
const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(50);

#[derive(Debug, thiserror::Error)]
enum HandshakeFailure {
    #[error("TLS handshake failed: {0}")]
    Tls(io::Error),
    #[error("no HTTP/2 preface: {0}")]
    Preface(io::Error),
    #[error("the client did not speak HTTP/2")]
    NotHttp2,
}

/// Connections in their handshake, oldest first, each with the token that evicts it.
#[derive(Default)]
struct Pending {
    next_id: u64,
    queue: VecDeque<(u64, CancellationToken)>,
}

impl Pending {
    /// Registers a new handshake, evicting the oldest ones above `cap`.
    fn admit(&mut self, cap: usize) -> (u64, CancellationToken) {
        while self.queue.len() >= cap.max(1) {
            if let Some((_, oldest)) = self.queue.pop_front() {
                oldest.cancel();
            }
        }
        self.next_id += 1;
        let token = CancellationToken::new();
        self.queue.push_back((self.next_id, token.clone()));
        (self.next_id, token)
    }

    fn finish(&mut self, id: u64) {
        self.queue.retain(|(pending, _)| *pending != id);
    }
}

/// Accepts connections until the receiver is dropped, terminating TLS when a
/// configuration is given, and yields those whose handshake completed.
pub fn incoming(
    listener: Listener,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: Limits,
    for_stock_clients: bool,
) -> ReceiverStream<io::Result<Conn>> {
    let (tx, rx) = mpsc::channel(16);
    // Only `serve`'s unix sockets meet stock gRPC clients; Terraform's plugin socket keeps
    // its frames as they come (go-plugin's authority is a valid host).
    let unix = for_stock_clients && listener.is_unix();
    let acceptor = tls.map(TlsAcceptor::from);
    let pending = Arc::new(Mutex::new(Pending::default()));
    let admission = Admission::default();
    tokio::spawn(async move {
        loop {
            let io = tokio::select! {
                accepted = listener.accept() => accepted,
                () = tx.closed() => return,
            };
            let io = match io {
                Ok(io) => io,
                Err(err) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            };
            let accepted_at = tokio::time::Instant::now();
            let (id, evicted) = lock(&pending).admit(limits.max_pending_handshakes);
            let tx = tx.clone();
            let acceptor = acceptor.clone();
            let pending = pending.clone();
            let admission = admission.clone();
            tokio::spawn(async move {
                let attempt =
                    tokio::time::timeout(limits.handshake_timeout, handshake(io, acceptor, unix));
                let outcome = tokio::select! {
                    outcome = attempt => outcome,
                    () = evicted.cancelled() => {
                        tracing::debug!(
                            "closed a connection still in its handshake to make room for a new one"
                        );
                        return;
                    }
                };
                lock(&pending).finish(id);
                match outcome {
                    Ok(Ok(Handshake {
                        io,
                        preface,
                        client_certified,
                    })) => {
                        let info = ConnInfo::new(client_certified);
                        let Some(admitted) =
                            admission.admit(info.standing().clone(), limits.max_connections)
                        else {
                            tracing::warn!(
                                max_connections = limits.max_connections,
                                "turned a connection away: every established connection \
                                 authenticated and there is no room"
                            );
                            return;
                        };
                        let deadline = accepted_at + limits.handshake_timeout;
                        let conn =
                            Conn::new(io, preface, info, admitted, limits.idle_timeout, deadline);
                        let _ = tx.send(Ok(conn)).await;
                    }
                    Ok(Err(err)) => tracing::warn!(error = %err, "rejected a connection"),
                    Err(_) => tracing::warn!("rejected a connection: handshake timed out"),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

fn lock(pending: &Mutex<Pending>) -> std::sync::MutexGuard<'_, Pending> {
    match pending.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// A connection past its handshake.
struct Handshake {
    io: Box<dyn Io>,
    /// The HTTP/2 preface, for replay.
    preface: Vec<u8>,
    /// The client presented a certificate the TLS configuration verified.
    client_certified: bool,
}

/// TLS (when configured), then the HTTP/2 preface; on a `unix` socket the rest of the
/// client's frames then go through [`UnixAuthority`].
async fn handshake(
    io: Box<dyn Io>,
    acceptor: Option<TlsAcceptor>,
    unix: bool,
) -> Result<Handshake, HandshakeFailure> {
    let (mut io, client_certified): (Box<dyn Io>, bool) = match acceptor {
        Some(acceptor) => {
            let tls = acceptor.accept(io).await.map_err(HandshakeFailure::Tls)?;
            let certified = tls
                .get_ref()
                .1
                .peer_certificates()
                .is_some_and(|chain| !chain.is_empty());
            (Box::new(tls), certified)
        }
        None => (io, false),
    };
    let mut preface = vec![0u8; HTTP2_PREFACE.len()];
    io.read_exact(&mut preface)
        .await
        .map_err(HandshakeFailure::Preface)?;
    if preface != HTTP2_PREFACE {
        return Err(HandshakeFailure::NotHttp2);
    }
    if unix {
        io = Box::new(UnixAuthority::new(io));
    }
    Ok(Handshake {
        io,
        preface,
        client_certified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_pending_handshake_is_evicted_at_the_cap() {
        let mut pending = Pending::default();
        let (first, first_token) = pending.admit(2);
        let (_, second_token) = pending.admit(2);
        let (_, third_token) = pending.admit(2);
        assert!(first_token.is_cancelled(), "the oldest made room");
        assert!(!second_token.is_cancelled() && !third_token.is_cancelled());
        pending.finish(first);
        assert_eq!(pending.queue.len(), 2);
    }
}
