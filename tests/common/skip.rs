//! A test that cannot run here says so where a person sees it. libtest captures
//! `eprintln!` and shows it only for failures, so a skipped test would pass in silence:
//! [`skipped`] writes straight to the process's stderr (past the capture) and, when
//! [`SKIP_LOG_ENV`] names a file, appends the line there too, for `.ci/run`'s summary.

use std::io::Write as _;

/// The file skipped tests append their line to (set by `.ci/run`, which prints it at
/// the end of the run).
pub const SKIP_LOG_ENV: &str = "TF_SKIPPED_LOG";

/// Reports that the running test skips (part of) its work, and why.
pub fn skipped(reason: &str) {
    // libtest names each test's thread after the test.
    let test = std::thread::current()
        .name()
        .unwrap_or("(unnamed test)")
        .to_string();
    let line = format!("SKIPPED {test}: {reason}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    if let Some(path) = std::env::var_os(SKIP_LOG_ENV) {
        // One short append per line: lines from parallel tests never interleave.
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(err) = appended {
            panic!(
                "{SKIP_LOG_ENV}={}: cannot record a skipped test: {err}",
                path.display()
            );
        }
    }
}
