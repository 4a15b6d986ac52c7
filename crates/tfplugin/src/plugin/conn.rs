//! One accepted connection as tonic sees it: unix or TCP, plain or TLS, with the
//! HTTP/2 preface the accept loop already read put back in front, its [`ConnInfo`]
//! for every request, an idle timer that ends the connection when no RPC has been
//! in flight for the idle timeout, and two ways it is cut: its place in the
//! [`Admission`](crate::plugin::admission::Admission) table given to a newer
//! connection, or no authenticated call by its deadline.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
#[cfg(unix)]
use tokio::net::UnixListener;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::WaitForCancellationFutureOwned;

use crate::plugin::activity::ConnInfo;
use crate::plugin::admission::Admitted;

/// Anything a connection can be: plain or TLS, unix or TCP.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// One accepted (and, with TLS, authenticated) connection whose client sent the
/// HTTP/2 preface.
pub struct Conn {
    io: Box<dyn Io>,
    /// Bytes already read from `io` (the preface) that tonic must still see.
    replay: Vec<u8>,
    replayed: usize,
    info: ConnInfo,
    idle: IdleTimer,
    cut: Cut,
}

impl Conn {
    /// `io` with `replay` to read first, closed by the idle timer, when `admitted`
    /// must make room, or at `deadline` unless it authenticated by then.
    pub(crate) fn new(
        io: Box<dyn Io>,
        replay: Vec<u8>,
        info: ConnInfo,
        admitted: Admitted,
        idle_timeout: Duration,
        deadline: Instant,
    ) -> Self {
        Self {
            io,
            replay,
            replayed: 0,
            info,
            idle: IdleTimer::new(idle_timeout),
            cut: Cut {
                evicted: Box::pin(admitted.close.clone().cancelled_owned()),
                _admitted: admitted,
                deadline: Some(Box::pin(tokio::time::sleep_until(deadline))),
                reason: None,
            },
        }
    }
}

/// Why a connection was cut.
#[derive(Debug, Clone, Copy)]
enum CutReason {
    Evicted,
    NoAuthenticatedCall,
}

/// What ends a connection at once, reads and writes alike: its place given to a newer
/// connection, or its deadline for a first authenticated call passed without one.
struct Cut {
    evicted: Pin<Box<WaitForCancellationFutureOwned>>,
    /// Holds the place in the table until the connection ends.
    _admitted: Admitted,
    /// None once the connection authenticated in time.
    deadline: Option<Pin<Box<Sleep>>>,
    reason: Option<CutReason>,
}

impl Cut {
    /// Why the connection must end now, if it must; otherwise registers the waker.
    fn poll_reason(&mut self, info: &ConnInfo, cx: &mut Context<'_>) -> Option<CutReason> {
        if self.reason.is_none() {
            if self.evicted.as_mut().poll(cx).is_ready() {
                self.reason = Some(CutReason::Evicted);
            } else if let Some(deadline) = &mut self.deadline
                && deadline.as_mut().poll(cx).is_ready()
            {
                if info.standing().authenticated() {
                    self.deadline = None;
                } else {
                    self.reason = Some(CutReason::NoAuthenticatedCall);
                }
            }
            if let Some(reason) = self.reason {
                match reason {
                    CutReason::Evicted => tracing::debug!(
                        session = info.session.id(),
                        "closed a connection that never authenticated to make room for a new one"
                    ),
                    CutReason::NoAuthenticatedCall => tracing::debug!(
                        session = info.session.id(),
                        "closed a connection that made no authenticated call in time"
                    ),
                }
            }
        }
        self.reason
    }
}

fn cut_error(reason: CutReason) -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, format!("{reason:?}"))
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ConnInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.info.clone()
    }
}

/// Fires once no RPC has been in flight for `timeout`. Only RPCs count as activity:
/// HTTP/2 keepalive pings do not keep an idle connection open.
struct IdleTimer {
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
    expired: bool,
}

impl IdleTimer {
    fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            sleep: Box::pin(tokio::time::sleep(timeout)),
            expired: false,
        }
    }

    /// True once the connection has been idle for the timeout; otherwise registers
    /// the waker for the next check.
    fn poll_expired(&mut self, info: &ConnInfo, cx: &mut Context<'_>) -> bool {
        if self.expired {
            return true;
        }
        loop {
            if self.sleep.as_mut().poll(cx).is_pending() {
                return false;
            }
            let activity = info.activity();
            let now = Instant::now();
            let next = if activity.in_flight() > 0 {
                now + self.timeout
            } else {
                activity.last_change() + self.timeout
            };
            if next <= now {
                self.expired = true;
                return true;
            }
            self.sleep.as_mut().reset(next);
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.cut.reason.is_some() {
            // End of stream: the HTTP/2 connection closes, and with it the socket.
            return Poll::Ready(Ok(()));
        }
        if this.replayed < this.replay.len() {
            let rest = &this.replay[this.replayed..];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.replayed += n;
            if this.replayed == this.replay.len() {
                this.replay = Vec::new();
                this.replayed = 0;
            }
            return Poll::Ready(Ok(()));
        }
        match Pin::new(&mut *this.io).poll_read(cx, buf) {
            Poll::Pending if this.cut.poll_reason(&this.info, cx).is_some() => Poll::Ready(Ok(())),
            Poll::Pending if this.idle.poll_expired(&this.info, cx) => {
                // End of stream: the HTTP/2 connection closes, and with it the socket.
                tracing::debug!(
                    session = this.info.session.id(),
                    "closing an idle connection"
                );
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for Conn {
    // A cut connection's writes fail, so that a client that stopped reading cannot
    // hold it open with a full send buffer.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.unless_cut(cx, |io, cx| io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.unless_cut(cx, |io, cx| io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.unless_cut(cx, |io, cx| io.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().io).poll_shutdown(cx)
    }
}

impl Conn {
    /// `write` on the socket, unless the connection is cut (or is cut while `write`
    /// waits).
    fn unless_cut<T>(
        &mut self,
        cx: &mut Context<'_>,
        write: impl FnOnce(Pin<&mut dyn Io>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if let Some(reason) = self.cut.reason {
            return Poll::Ready(Err(cut_error(reason)));
        }
        match write(Pin::new(&mut *self.io), cx) {
            Poll::Pending => match self.cut.poll_reason(&self.info, cx) {
                Some(reason) => Poll::Ready(Err(cut_error(reason))),
                None => Poll::Pending,
            },
            ready => ready,
        }
    }
}

/// A bound listener of either kind (only TCP where there are no unix sockets).
pub enum Listener {
    #[cfg(unix)]
    Unix(UnixListener),
    Tcp(TcpListener),
}

#[cfg(unix)]
impl From<UnixListener> for Listener {
    fn from(listener: UnixListener) -> Self {
        Listener::Unix(listener)
    }
}

impl From<TcpListener> for Listener {
    fn from(listener: TcpListener) -> Self {
        Listener::Tcp(listener)
    }
}

impl Listener {
    /// A unix socket listener.
    pub(crate) fn is_unix(&self) -> bool {
        match self {
            #[cfg(unix)]
            Listener::Unix(_) => true,
            Listener::Tcp(_) => false,
        }
    }

    pub(crate) async fn accept(&self) -> io::Result<Box<dyn Io>> {
        match self {
            #[cfg(unix)]
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
