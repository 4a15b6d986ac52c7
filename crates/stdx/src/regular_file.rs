//! Reading a small file someone named (a CA bundle, the hcloud shared config file, a
//! certificate, key or token on `serve`'s command line) without letting the path freeze
//! the process: the one routine behind taurusdb-api's `ca_file.rs`, the
//! provider's `taurusdb/config/shared_file.rs` and tfplugin's `plugin/files.rs`.
//!
//! The path may name a FIFO (opening one blocks until a writer comes), a device, a
//! directory, a huge file or a file on a hung network share. So the file is opened with
//! `O_NONBLOCK` (opening a FIFO returns at once), checked with `fstat` on the opened file
//! to be a regular file, and read up to a cap (one byte more, to notice a file that grew
//! after `fstat`). Inside the async runtime, [`read_off_the_workers`] does that on
//! tokio's blocking pool and gives up waiting after a deadline, so no async worker ever
//! waits on the file system. Neither ever puts the file's contents in an error.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The largest such file read: the files are certificates, keys, tokens and small JSON
/// documents, kilobytes to hundreds of kilobytes.
pub const MAX_BYTES: u64 = 1 << 20;
/// How long a read inside the async runtime may take.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Why the file could not be read. The texts say what went wrong with "it" (the caller
/// names the file) and never contain the file's contents.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("could not open it: {0}")]
    Open(std::io::Error),
    #[error("it is not a regular file (a FIFO, device, socket or directory cannot be read safely)")]
    NotRegular,
    #[error("it is larger than {}", size_text(*.cap))]
    TooLarge { cap: u64 },
    #[error("could not read it: {0}")]
    Read(std::io::Error),
    /// Only from [`read_off_the_workers`].
    #[error("reading it took longer than {0:?}")]
    TimedOut(Duration),
}

fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// The contents of the regular file at `path`, at most `cap` bytes: opened without
/// blocking, so a FIFO is refused instead of waited on. A blocking call: inside the
/// async runtime use [`read_off_the_workers`].
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(ReadError::Open)?;
    let metadata = file.metadata().map_err(ReadError::Read)?;
    if !metadata.file_type().is_file() {
        return Err(ReadError::NotRegular);
    }
    if metadata.len() > cap {
        return Err(ReadError::TooLarge { cap });
    }
    let mut bytes = Vec::new();
    // The file may grow between fstat and read: read one byte more than allowed to notice.
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Read)?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge { cap });
    }
    Ok(bytes)
}

/// [`read_capped`] on tokio's blocking pool, abandoned (as [`ReadError::TimedOut`]) after
/// `deadline`.
pub async fn read_off_the_workers(
    path: PathBuf,
    cap: u64,
    deadline: Duration,
) -> Result<Vec<u8>, ReadError> {
    off_the_workers(deadline, move || read_capped(&path, cap)).await
}

/// Runs a blocking read on the blocking pool; gives up waiting for it at `deadline`
/// (the read itself may linger on its thread, but no async worker waits for it).
async fn off_the_workers<F>(deadline: Duration, read: F) -> Result<Vec<u8>, ReadError>
where
    F: FnOnce() -> Result<Vec<u8>, ReadError> + Send + 'static,
{
    let reading = tokio::task::spawn_blocking(read);
    match tokio::time::timeout(deadline, reading).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(ReadError::Read(std::io::Error::other(join.to_string()))),
        Err(_) => Err(ReadError::TimedOut(deadline)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_regular_file_is_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, b"-----BEGIN CERTIFICATE-----").expect("write");
        let bytes = read_off_the_workers(path.clone(), MAX_BYTES, DEADLINE)
            .await
            .expect("read");
        assert_eq!(bytes, b"-----BEGIN CERTIFICATE-----");
        assert_eq!(read_capped(&path, 27).expect("exactly the cap"), bytes);
    }

    #[tokio::test]
    async fn directories_missing_and_oversized_files_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            read_off_the_workers(dir.path().to_path_buf(), MAX_BYTES, DEADLINE).await,
            Err(ReadError::NotRegular)
        ));
        assert!(matches!(
            read_off_the_workers(dir.path().join("missing"), MAX_BYTES, DEADLINE).await,
            Err(ReadError::Open(_))
        ));
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'A'; (MAX_BYTES + 1) as usize]).expect("write");
        let err = read_off_the_workers(big, MAX_BYTES, DEADLINE)
            .await
            .expect_err("too large");
        assert!(matches!(err, ReadError::TooLarge { .. }));
        assert_eq!(err.to_string(), "it is larger than 1 MiB");
        // Growing past the cap after fstat is noticed too.
        let grown = dir.path().join("grown");
        std::fs::write(&grown, b"0123456789").expect("write");
        let err = read_capped(&grown, 4).expect_err("grown");
        assert_eq!(err.to_string(), "it is larger than 4 bytes");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(status.success());
        assert!(matches!(
            read_capped(&fifo, MAX_BYTES),
            Err(ReadError::NotRegular)
        ));
        assert!(matches!(
            read_off_the_workers(fifo, MAX_BYTES, DEADLINE).await,
            Err(ReadError::NotRegular)
        ));
    }

    #[tokio::test]
    async fn a_read_that_does_not_finish_is_abandoned_at_the_deadline() {
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let result = off_the_workers(Duration::from_millis(20), move || {
            // Blocks like a read from a hung file system, until the test lets go.
            let _ = blocked.recv();
            Ok(Vec::new())
        })
        .await;
        assert!(matches!(result, Err(ReadError::TimedOut(_))), "{result:?}");
        let _ = release.send(());
    }
}
