//! Reading the small files an operator names on the command line (certificates, keys,
//! the bearer token): regular files only, never more than a cap, and never blocking on
//! a FIFO or device. They are read before the async runtime starts.

use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

/// The largest file accepted (certificate chains and keys are a few KB).
pub const MAX_FILE_SIZE: u64 = 1024 * 1024;

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
/// Opened non-blocking, so a FIFO is refused instead of waited on.
pub fn read_regular_file(path: &Path) -> Result<Vec<u8>, FileError> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|source| FileError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    let metadata = file.metadata().map_err(|source| FileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if !metadata.file_type().is_file() {
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    let mut contents = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut contents)
        .map_err(|source| FileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if contents.len() as u64 > MAX_FILE_SIZE {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    Ok(contents)
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
