//! Accepted connections, with TLS terminated here, handed to tonic as one stream.
//!
//! TLS handshakes run in their own tasks so one slow or hostile client never holds up
//! the accept loop; a failed handshake (for example a client without the pinned
//! certificate) is logged and dropped.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;

/// How long a client may take to complete its TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Pause after a failed accept (e.g. out of file descriptors).
const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(50);

/// Anything a connection can be: plain or TLS, unix or TCP.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// One accepted (and, with TLS, authenticated) connection.
pub struct Conn(Box<dyn Io>);

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_shutdown(cx)
    }
}

/// A bound listener of either kind.
pub enum Listener {
    Unix(UnixListener),
    Tcp(TcpListener),
}

impl Listener {
    async fn accept(&self) -> io::Result<Box<dyn Io>> {
        match self {
            Listener::Unix(l) => Ok(Box::new(l.accept().await?.0)),
            Listener::Tcp(l) => {
                let (stream, _) = l.accept().await?;
                // gRPC exchanges many small frames: never let Nagle hold them back.
                stream.set_nodelay(true)?;
                Ok(Box::new(stream))
            }
        }
    }
}

/// Accepts connections until the receiver is dropped, terminating TLS when an
/// acceptor is given.
pub fn incoming(
    listener: Listener,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> ReceiverStream<io::Result<Conn>> {
    let (tx, rx) = mpsc::channel(16);
    let acceptor = tls.map(TlsAcceptor::from);
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
            let tx = tx.clone();
            match &acceptor {
                None => {
                    if tx.send(Ok(Conn(io))).await.is_err() {
                        return;
                    }
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(io)).await
                        {
                            Ok(Ok(stream)) => {
                                let _ = tx.send(Ok(Conn(Box::new(stream)))).await;
                            }
                            Ok(Err(err)) => {
                                tracing::warn!(error = %err, "rejected a connection: TLS handshake failed");
                            }
                            Err(_) => {
                                tracing::warn!("rejected a connection: TLS handshake timed out");
                            }
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(rx)
}
