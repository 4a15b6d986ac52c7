//! Reading the small files an operator names on the command line (certificates, keys,
//! the bearer token): regular files only, never more than a cap, and never blocking on
//! a FIFO or device. They are read before the async runtime starts.

use std::path::{Path, PathBuf};

use stdx::regular_file::{self, ReadError};

/// The largest file accepted (certificate chains and keys are a few KB).
pub const MAX_FILE_SIZE: u64 = regular_file::MAX_BYTES;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("could not open {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a regular file")]
    NotRegular { path: PathBuf },
    #[error("{path} is larger than {MAX_FILE_SIZE} bytes")]
    TooLarge { path: PathBuf },
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The contents of the regular file at `path`, at most [`MAX_FILE_SIZE`] bytes.
/// Opened non-blocking, so a FIFO is refused instead of waited on
/// ([`regular_file::read_capped`], the routine every such read shares).
pub fn read_regular_file(path: &Path) -> Result<Vec<u8>, FileError> {
    let path_buf = || path.to_path_buf();
    regular_file::read_capped(path, MAX_FILE_SIZE).map_err(|err| match err {
        ReadError::Open(source) => FileError::Open {
            path: path_buf(),
            source,
        },
        ReadError::NotRegular => FileError::NotRegular { path: path_buf() },
        ReadError::TooLarge { .. } => FileError::TooLarge { path: path_buf() },
        ReadError::Read(source) => FileError::Read {
            path: path_buf(),
            source,
        },
        // A synchronous read has no deadline; kept as a read error should that change.
        ReadError::TimedOut(after) => FileError::Read {
            path: path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("took longer than {after:?}"),
            ),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_small_regular_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("token");
        std::fs::write(&path, b"secret\n").expect("write");
        assert_eq!(read_regular_file(&path).expect("read"), b"secret\n");
    }

    #[test]
    fn refuses_fifos_directories_and_huge_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(status.success());
        assert!(matches!(
            read_regular_file(&fifo),
            Err(FileError::NotRegular { .. })
        ));
        assert!(matches!(
            read_regular_file(dir.path()),
            Err(FileError::NotRegular { .. })
        ));
        let huge = dir.path().join("huge");
        std::fs::write(&huge, vec![b'a'; MAX_FILE_SIZE as usize + 1]).expect("write");
        assert!(matches!(
            read_regular_file(&huge),
            Err(FileError::TooLarge { .. })
        ));
    }
}
