//! The simulator's TCP listener: counts connections and lets a request cut its own connection.
//!
//! Two client behaviours are only observable at the connection level: reusing one pooled
//! connection for sequential calls (hence [`SimListener`] counts accepted connections), and
//! coping with a connection that dies before the answer arrives (hence every connection's
//! stream has a [`ConnControl`] that the gateway can trip; from then on the stream refuses all
//! I/O, so hyper drops the connection without writing a single byte of the response, and the
//! socket is closed with a reset).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::state::Shared;

/// A TCP listener that counts connections and wraps each in a [`SimStream`],
/// terminating TLS first when it serves HTTPS.
pub(crate) struct SimListener {
    inner: TcpListener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
}

impl SimListener {
    pub(crate) fn new(
        inner: TcpListener,
        shared: Arc<Shared>,
        tls: Option<TlsAcceptor>,
    ) -> SimListener {
        SimListener { inner, shared, tls }
    }
}

/// The connection under a [`SimStream`]: plain TCP or TLS over TCP.
enum SimIo {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl SimIo {
    fn tcp(&self) -> &TcpStream {
        match self {
            SimIo::Plain(tcp) => tcp,
            SimIo::Tls(tls) => tls.get_ref().0,
        }
    }
}

macro_rules! delegate {
    ($self:ident, $io:ident => $call:expr) => {
        match $self.get_mut() {
            SimIo::Plain($io) => {
                let $io = Pin::new($io);
                $call
            }
            SimIo::Tls($io) => {
                let $io = Pin::new(&mut **$io);
                $call
            }
        }
    };
}

impl AsyncRead for SimIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        delegate!(self, io => io.poll_read(cx, buf))
    }
}

impl AsyncWrite for SimIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, io => io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, io => io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            SimIo::Plain(tcp) => tcp.is_write_vectored(),
            SimIo::Tls(tls) => tls.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, io => io.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, io => io.poll_shutdown(cx))
    }
}

impl Listener for SimListener {
    type Io = SimStream;
    type Addr = ConnMeta;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // axum's own accept loop retries (and logs) accept errors.
            let (tcp, remote) = Listener::accept(&mut self.inner).await;
            let _ = tcp.set_nodelay(true);
            let io = match &self.tls {
                None => SimIo::Plain(tcp),
                // A client that fails the TLS handshake (e.g. it does not trust our
                // certificate) never becomes a connection; keep accepting.
                Some(acceptor) => match acceptor.accept(tcp).await {
                    Ok(tls) => SimIo::Tls(Box::new(tls)),
                    Err(err) => {
                        tracing::debug!(%remote, error = %err, "TLS handshake failed");
                        continue;
                    }
                },
            };
            self.shared.count_connection();
            let control = Arc::new(ConnControl::default());
            let stream = SimStream {
                inner: io,
                control: control.clone(),
                reset: false,
            };
            return (stream, ConnMeta { remote, control });
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(ConnMeta {
            remote: self.inner.local_addr()?,
            control: Arc::new(ConnControl::default()),
        })
    }
}

/// What handlers learn about their connection (available as `ConnectInfo<ConnMeta>`).
#[derive(Debug, Clone)]
pub(crate) struct ConnMeta {
    /// The peer's address.
    pub(crate) remote: SocketAddr,
    /// Trips the connection.
    pub(crate) control: Arc<ConnControl>,
}

impl Connected<IncomingStream<'_, SimListener>> for ConnMeta {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A per-connection kill switch.
#[derive(Debug, Default)]
pub(crate) struct ConnControl {
    aborted: AtomicBool,
}

impl ConnControl {
    /// From now on the connection refuses all I/O and is reset when hyper drops it.
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
    }

    fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::SeqCst)
    }
}

/// A TCP stream that fails every operation once its [`ConnControl`] is tripped.
pub(crate) struct SimStream {
    inner: SimIo,
    control: Arc<ConnControl>,
    /// Whether `SO_LINGER 0` was set, so that closing sends a reset.
    reset: bool,
}

impl SimStream {
    /// `Some(error)` once the connection was aborted (arming the reset on close).
    fn aborted(&mut self) -> Option<io::Error> {
        if !self.control.is_aborted() {
            return None;
        }
        if !self.reset {
            self.reset = true;
            let _ = self.inner.tcp().set_zero_linger();
        }
        Some(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "connection aborted by an injected fault",
        ))
    }
}

impl AsyncRead for SimStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(err) = self.aborted() {
            return Poll::Ready(Err(err));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(err) = self.aborted() {
            return Poll::Ready(Err(err));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(err) = self.aborted() {
            return Poll::Ready(Err(err));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(err) = self.aborted() {
            return Poll::Ready(Err(err));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(err) = self.aborted() {
            return Poll::Ready(Err(err));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
