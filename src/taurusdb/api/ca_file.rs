//! Reading the `ca_file` PEM bundle without letting the path freeze the provider.
//!
//! The path is the user's, so it may name a FIFO (opening one blocks until a writer
//! comes), a device, a directory, a huge file or a file on a hung network share. A
//! blocking read inside an async call would stall a runtime worker, and with it every
//! RPC. So the file is read on tokio's blocking pool, opened with `O_NONBLOCK` (opening a
//! FIFO returns at once), checked with `fstat` on the opened file to be a regular file,
//! read up to [`MAX_CA_FILE_BYTES`], and the whole read is abandoned after
//! [`CA_FILE_DEADLINE`].

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The largest CA bundle read. Real bundles are tens to hundreds of kilobytes.
pub const MAX_CA_FILE_BYTES: u64 = 1 << 20;
/// How long reading the CA file may take.
pub const CA_FILE_DEADLINE: Duration = Duration::from_secs(10);

/// Why the CA file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    #[error("could not open it: {0}")]
    Open(std::io::Error),
    #[error("it is not a regular file (a FIFO, device, socket or directory cannot be read safely)")]
    NotRegular,
    #[error("it is larger than {} MiB", MAX_CA_FILE_BYTES >> 20)]
    TooLarge,
    #[error("could not read it: {0}")]
    Read(std::io::Error),
    #[error("reading it took longer than {0:?}")]
    TimedOut(Duration),
}

/// Reads the CA bundle at `path` (off the async workers, bounded in size and time).
pub async fn read_ca_file(path: PathBuf) -> Result<Vec<u8>, CaFileError> {
    off_the_workers(CA_FILE_DEADLINE, move || {
        read_regular_file(&path, MAX_CA_FILE_BYTES)
    })
    .await
}

/// Runs a blocking read on the blocking pool; gives up waiting for it at `deadline`
/// (the read itself may linger on its thread, but no async worker waits for it).
async fn off_the_workers<F>(deadline: Duration, read: F) -> Result<Vec<u8>, CaFileError>
where
    F: FnOnce() -> Result<Vec<u8>, CaFileError> + Send + 'static,
{
    let reading = tokio::task::spawn_blocking(read);
    match tokio::time::timeout(deadline, reading).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(CaFileError::Read(std::io::Error::other(join.to_string()))),
        Err(_) => Err(CaFileError::TimedOut(deadline)),
    }
}

/// Opens without blocking, requires a regular file, reads at most `cap` bytes.
fn read_regular_file(path: &Path, cap: u64) -> Result<Vec<u8>, CaFileError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(CaFileError::Open)?;
    let metadata = file.metadata().map_err(CaFileError::Read)?;
    if !metadata.file_type().is_file() {
        return Err(CaFileError::NotRegular);
    }
    if metadata.len() > cap {
        return Err(CaFileError::TooLarge);
    }
    let mut bytes = Vec::new();
    // The file may grow between fstat and read: read one byte more than allowed to notice.
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(CaFileError::Read)?;
    if bytes.len() as u64 > cap {
        return Err(CaFileError::TooLarge);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_regular_file_is_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, b"-----BEGIN CERTIFICATE-----").expect("write");
        let pem = read_ca_file(path).await.expect("read");
        assert_eq!(pem, b"-----BEGIN CERTIFICATE-----");
    }

    #[tokio::test]
    async fn directories_missing_and_oversized_files_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            read_ca_file(dir.path().to_path_buf()).await,
            Err(CaFileError::NotRegular)
        ));
        assert!(matches!(
            read_ca_file(dir.path().join("missing.pem")).await,
            Err(CaFileError::Open(_))
        ));
        let big = dir.path().join("big.pem");
        std::fs::write(&big, vec![b'A'; (MAX_CA_FILE_BYTES + 1) as usize]).expect("write");
        let err = read_ca_file(big).await.expect_err("too large");
        assert!(matches!(err, CaFileError::TooLarge));
        assert_eq!(err.to_string(), "it is larger than 1 MiB");
        // Growing past the cap after fstat is noticed too.
        let grown = dir.path().join("grown.pem");
        std::fs::write(&grown, b"0123456789").expect("write");
        assert!(matches!(
            read_regular_file(&grown, 4),
            Err(CaFileError::TooLarge)
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
        assert!(
            matches!(result, Err(CaFileError::TimedOut(_))),
            "{result:?}"
        );
        let _ = release.send(());
    }
}
