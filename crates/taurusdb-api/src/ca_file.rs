//! Reading the `ca_file` PEM bundle without letting the path freeze the provider.
//!
//! The path is the user's, so it may name a FIFO, a device, a directory, a huge file or
//! a file on a hung network share, and a blocking read inside an async call would stall
//! a runtime worker, and with it every RPC. So it is read as every such file is
//! ([`stdx::regular_file`]): on tokio's blocking pool, opened with `O_NONBLOCK`, a
//! regular file only, up to [`MAX_CA_FILE_BYTES`], abandoned after [`CA_FILE_DEADLINE`].

use std::path::PathBuf;
use std::time::Duration;

use stdx::regular_file;

/// The largest CA bundle read. Real bundles are tens to hundreds of kilobytes.
pub const MAX_CA_FILE_BYTES: u64 = regular_file::MAX_BYTES;
/// How long reading the CA file may take.
pub const CA_FILE_DEADLINE: Duration = regular_file::DEADLINE;

/// Why the CA file could not be used.
pub type CaFileError = regular_file::ReadError;

/// Reads the CA bundle at `path` (off the async workers, bounded in size and time).
pub async fn read_ca_file(path: PathBuf) -> Result<Vec<u8>, CaFileError> {
    regular_file::read_off_the_workers(path, MAX_CA_FILE_BYTES, CA_FILE_DEADLINE).await
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
        assert!(matches!(err, CaFileError::TooLarge { .. }));
        assert_eq!(err.to_string(), "it is larger than 1 MiB");
    }
}
