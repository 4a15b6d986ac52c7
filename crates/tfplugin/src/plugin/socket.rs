//! Unix sockets that only their owner can use, whatever the umask, and that are
//! removed on exit only if they are still ours.
//!
//! On Windows (no unix sockets in go-plugin there) the plugin and debug modes listen on
//! TCP `127.0.0.1:0` instead, as go-plugin's Windows transport does: [`PrivateSocket`] is
//! then that loopback address, and [`PublishedSocket`] does not exist.
//!
//! - [`PrivateSocket`] (plugin and debug modes): a socket inside a fresh 0700
//!   directory, both removed when dropped.
//! - [`PublishedSocket`] (`serve --listen unix:PATH`): a 0600 socket at a path the
//!   operator chose. It is bound in a fresh 0700 directory next to PATH, made 0600 and
//!   then hard-linked to PATH, which fails rather than replaces anything; so the socket
//!   is never reachable with looser permissions. An existing PATH is replaced only when
//!   it is a stale socket (connecting is refused); a live socket or any other file is
//!   left alone. On exit PATH is removed only while it is still this socket's inode.

use std::io;
#[cfg(unix)]
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::time::Duration;

#[cfg(unix)]
use tokio::net::UnixListener;

use crate::plugin::handshake::ListenAddr;

/// How long probing an existing socket at PATH may take.
#[cfg(unix)]
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
#[cfg(unix)]
const SOCKET_NAME: &str = "plugin.sock";

#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error("could not create a private socket directory in {dir}: {source}")]
    PrivateDir { dir: PathBuf, source: io::Error },
    #[error("could not listen on {path}: {source}")]
    Bind { path: PathBuf, source: io::Error },
    /// Windows: binding the loopback TCP listener of the plugin and debug modes failed.
    #[error("could not listen on {addr}: {source}")]
    BindTcp {
        addr: std::net::SocketAddr,
        source: io::Error,
    },
    #[error(
        "{path} exists and is not a socket; remove it or choose another path (it was left \
         untouched)"
    )]
    NotASocket { path: PathBuf },
    #[error("another server is listening on {path}; stop it or choose another path")]
    InUse { path: PathBuf },
    #[error("could not tell whether {path} is in use: {source}")]
    Probe { path: PathBuf, source: io::Error },
    #[error("the socket setup was interrupted: {0}")]
    Interrupted(String),
}

#[cfg(unix)]
/// A fresh directory with mode 0700 (set explicitly: the umask only narrows the
/// mode `mkdir` applies, and a narrowing umask such as 0100 would lock us out).
fn private_dir(parent: &Path, prefix: &str) -> Result<tempfile::TempDir, SocketError> {
    let failed = |source| SocketError::PrivateDir {
        dir: parent.to_path_buf(),
        source,
    };
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(parent)
        .map_err(failed)?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).map_err(failed)?;
    Ok(dir)
}

#[cfg(unix)]
/// Binds a socket at `path` and makes it 0600.
fn bind_owner_only(path: &Path) -> Result<std::os::unix::net::UnixListener, SocketError> {
    let failed = |source| SocketError::Bind {
        path: path.to_path_buf(),
        source,
    };
    let listener = std::os::unix::net::UnixListener::bind(path).map_err(failed)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(failed)?;
    listener.set_nonblocking(true).map_err(failed)?;
    Ok(listener)
}

#[cfg(unix)]
fn into_tokio(
    listener: std::os::unix::net::UnixListener,
    path: &Path,
) -> Result<UnixListener, SocketError> {
    UnixListener::from_std(listener).map_err(|source| SocketError::Bind {
        path: path.to_path_buf(),
        source,
    })
}

/// Runs filesystem work off the async workers.
#[cfg(unix)]
async fn off_worker<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SocketError> + Send + 'static,
) -> Result<T, SocketError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SocketError::Interrupted(e.to_string()))?
}

#[cfg(unix)]
/// A socket in a private directory; both go when this is dropped.
pub struct PrivateSocket {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

#[cfg(unix)]
/// A private socket bound where blocking is harmless: on the blocking pool, or before
/// the async runtime exists (plugin mode binds first thing, so Terraform's start does
/// not wait for a blocking-pool thread to be spawned just for this).
pub struct BoundSocket {
    socket: PrivateSocket,
    listener: std::os::unix::net::UnixListener,
}

#[cfg(unix)]
impl BoundSocket {
    /// The socket and its listener on the runtime's reactor (call inside the runtime).
    pub fn listen(self) -> Result<(PrivateSocket, UnixListener), SocketError> {
        let listener = into_tokio(self.listener, &self.socket.path)?;
        Ok((self.socket, listener))
    }
}

#[cfg(unix)]
impl PrivateSocket {
    /// `<parent>/plugin<random>/plugin.sock`, listening; blocks (filesystem work), so
    /// never on an async worker.
    pub fn bind_in_blocking(parent: &Path) -> Result<BoundSocket, SocketError> {
        let dir = private_dir(parent, "plugin")?;
        let path = dir.path().join(SOCKET_NAME);
        let listener = bind_owner_only(&path)?;
        Ok(BoundSocket {
            socket: Self {
                dir: Some(dir),
                path,
            },
            listener,
        })
    }

    /// `<parent>/plugin<random>/plugin.sock`, listening, bound on the blocking pool.
    pub async fn bind_in(parent: PathBuf) -> Result<(Self, UnixListener), SocketError> {
        off_worker(move || Self::bind_in_blocking(&parent))
            .await?
            .listen()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the handshake line and the reattach value name: the socket's path.
    pub fn address(&self) -> ListenAddr {
        ListenAddr::Unix(self.path.display().to_string())
    }
}

#[cfg(unix)]
impl Drop for PrivateSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

#[cfg(unix)]
/// The socket at an operator-chosen path; removed on drop only while PATH is still
/// this socket.
pub struct PublishedSocket {
    path: PathBuf,
    identity: (u64, u64),
}

#[cfg(unix)]
/// What is at PATH before we bind.
enum Existing {
    Nothing,
    /// A socket nobody listens on, with its identity so only it is removed.
    Stale((u64, u64)),
}

#[cfg(unix)]
impl PublishedSocket {
    pub async fn publish(path: PathBuf) -> Result<(Self, UnixListener), SocketError> {
        let existing = inspect(&path).await?;
        let (socket, listener) = off_worker(move || Self::create(path, existing)).await?;
        let listener = into_tokio(listener, &socket.path)?;
        Ok((socket, listener))
    }

    fn create(
        path: PathBuf,
        existing: Existing,
    ) -> Result<(Self, std::os::unix::net::UnixListener), SocketError> {
        let failed = |source| SocketError::Bind {
            path: path.clone(),
            source,
        };
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let staging = private_dir(&parent, ".taurusdb-socket")?;
        let staged = staging.path().join(SOCKET_NAME);
        let listener = bind_owner_only(&staged)?;
        if let Existing::Stale(stale) = existing {
            // Only the stale socket we probed, not whatever may have replaced it since.
            if std::fs::symlink_metadata(&path).is_ok_and(|m| identity(&m) == stale) {
                tracing::info!(path = %path.display(), "replacing a stale socket");
                std::fs::remove_file(&path).map_err(failed)?;
            }
        }
        std::fs::hard_link(&staged, &path).map_err(|source| {
            if source.kind() == io::ErrorKind::AlreadyExists {
                SocketError::InUse { path: path.clone() }
            } else {
                failed(source)
            }
        })?;
        let metadata = std::fs::symlink_metadata(&path).map_err(failed)?;
        let _ = staging.close();
        Ok((
            Self {
                identity: identity(&metadata),
                path,
            },
            listener,
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
impl Drop for PublishedSocket {
    fn drop(&mut self) {
        match std::fs::symlink_metadata(&self.path) {
            Ok(metadata) if identity(&metadata) == self.identity => {
                let _ = std::fs::remove_file(&self.path);
            }
            _ => {
                tracing::debug!(
                    path = %self.path.display(),
                    "the socket path no longer is our socket; left alone"
                )
            }
        }
    }
}

#[cfg(unix)]
fn identity(metadata: &std::fs::Metadata) -> (u64, u64) {
    (metadata.dev(), metadata.ino())
}

#[cfg(unix)]
/// Refuses anything at PATH but a stale socket.
async fn inspect(path: &Path) -> Result<Existing, SocketError> {
    use std::os::unix::fs::FileTypeExt as _;
    let probe_failed = |source| SocketError::Probe {
        path: path.to_path_buf(),
        source,
    };
    let stat_path = path.to_path_buf();
    let metadata = match off_worker(move || Ok(std::fs::symlink_metadata(stat_path))).await? {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(err) => return Err(probe_failed(err)),
    };
    if !metadata.file_type().is_socket() {
        return Err(SocketError::NotASocket {
            path: path.to_path_buf(),
        });
    }
    match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::UnixStream::connect(path)).await {
        Ok(Ok(_)) => Err(SocketError::InUse {
            path: path.to_path_buf(),
        }),
        Ok(Err(err)) if err.kind() == io::ErrorKind::ConnectionRefused => {
            Ok(Existing::Stale(identity(&metadata)))
        }
        Ok(Err(err)) => Err(probe_failed(err)),
        Err(_) => Err(probe_failed(io::Error::new(
            io::ErrorKind::TimedOut,
            "connecting timed out",
        ))),
    }
}

/// Windows: the plugin's listener, TCP on `127.0.0.1` at a port the system picks
/// (go-plugin's transport there). Nothing on disk, so nothing to remove.
#[cfg(not(unix))]
pub struct PrivateSocket {
    addr: std::net::SocketAddr,
}

/// Windows: the loopback listener bound before the runtime exists.
#[cfg(not(unix))]
pub struct BoundSocket {
    socket: PrivateSocket,
    listener: std::net::TcpListener,
}

#[cfg(not(unix))]
impl BoundSocket {
    /// The address and its listener on the runtime's reactor (call inside the runtime).
    pub fn listen(self) -> Result<(PrivateSocket, tokio::net::TcpListener), SocketError> {
        let addr = self.socket.addr;
        let failed = |source| SocketError::BindTcp { addr, source };
        self.listener.set_nonblocking(true).map_err(failed)?;
        let listener = tokio::net::TcpListener::from_std(self.listener).map_err(failed)?;
        Ok((self.socket, listener))
    }
}

#[cfg(not(unix))]
impl PrivateSocket {
    /// `127.0.0.1:0`, listening (`parent`, the unix socket directory, is unused).
    pub fn bind_in_blocking(_parent: &Path) -> Result<BoundSocket, SocketError> {
        let wanted = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0));
        let failed = |source| SocketError::BindTcp {
            addr: wanted,
            source,
        };
        let listener = std::net::TcpListener::bind(wanted).map_err(failed)?;
        let addr = listener.local_addr().map_err(failed)?;
        Ok(BoundSocket {
            socket: Self { addr },
            listener,
        })
    }

    /// `127.0.0.1:0`, listening.
    pub async fn bind_in(parent: PathBuf) -> Result<(Self, tokio::net::TcpListener), SocketError> {
        Self::bind_in_blocking(&parent)?.listen()
    }

    /// What the handshake line and the reattach value name: `127.0.0.1:PORT`.
    pub fn address(&self) -> ListenAddr {
        ListenAddr::Tcp(self.addr)
    }
}
