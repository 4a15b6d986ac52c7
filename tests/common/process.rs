//! The built binary as a child process: started (optionally under a umask), its
//! stdout lines awaited, its stderr kept for assertions, signalled, and reaped with a
//! hang guard.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-taurusdb");

/// How long a test waits for an event before it calls the run a hang.
pub const HANG_GUARD: Duration = Duration::from_secs(30);

/// A running provider process. Killed and reaped when dropped.
pub struct Process {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary with `args`, an empty environment plus `env`.
pub fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BINARY);
    command.args(args).env_clear().envs(env.iter().copied());
    if !env.iter().any(|(key, _)| *key == "HW_METADATA_ENDPOINT") {
        command.env("HW_METADATA_ENDPOINT", super::NO_METADATA);
    }
    command
}

/// The same command run by `sh` after `umask <mask>` (then exec'd, so signals reach
/// the binary itself).
pub fn under_umask(mask: &str, command: &Command) -> Command {
    under_shell(&format!("umask {mask}"), command)
}

/// The same command exec'd by `sh` after the shell commands in `setup` (e.g.
/// `ulimit -n 64`).
pub fn under_shell(setup: &str, command: &Command) -> Command {
    let mut shell = Command::new("sh");
    shell.arg("-c").arg(format!("{setup}; exec \"$0\" \"$@\""));
    shell.arg(command.get_program());
    shell.args(command.get_args());
    shell.env_clear();
    for (key, value) in command.get_envs() {
        if let Some(value) = value {
            shell.env(key, value);
        }
    }
    shell
}

/// Starts `command` with piped stdout and stderr.
pub fn spawn(mut command: Command) -> Process {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the provider");
    let (tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut pipe = child.stderr.take().expect("stderr");
    let sink = stderr.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => sink
                    .lock()
                    .expect("stderr lock")
                    .push_str(&String::from_utf8_lossy(&buf[..n])),
            }
        }
    });
    Process {
        child,
        lines,
        stderr,
    }
}

impl Process {
    /// The next stdout line containing `marker`; panics (with stderr) if the process
    /// ends or nothing comes within the hang guard.
    pub fn line_with(&mut self, marker: &str) -> String {
        let deadline = std::time::Instant::now() + HANG_GUARD;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(marker) => return line,
                Ok(_) => {}
                Err(_) => panic!("no stdout line with {marker:?}; stderr:\n{}", self.stderr()),
            }
        }
    }

    /// `serve`'s address from its "serving tfplugin6 on ADDR" line.
    pub fn serving_addr(&mut self) -> String {
        let line = self.line_with("serving tfplugin6 on ");
        line.trim().rsplit(' ').next().expect("address").to_string()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr lock").clone()
    }

    /// The first stderr line containing `marker`, once one is there; panics (with
    /// stderr) if none comes within the hang guard.
    pub fn stderr_line_with(&self, marker: &str) -> String {
        let deadline = std::time::Instant::now() + HANG_GUARD;
        loop {
            if let Some(line) = self.stderr().lines().find(|l| l.contains(marker)) {
                return line.to_string();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no stderr line with {marker:?}; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits (within the hang guard) until stderr holds `marker`, e.g. a log line.
    pub fn wait_for_stderr(&self, marker: &str) {
        self.wait_for_stderr_times(marker, 1);
    }

    /// Waits (within the hang guard) until stderr holds `marker` at least `times` times.
    pub fn wait_for_stderr_times(&self, marker: &str, times: usize) {
        let deadline = std::time::Instant::now() + HANG_GUARD;
        while std::time::Instant::now() < deadline {
            if self.stderr().matches(marker).count() >= times {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("not {times} {marker:?} on stderr:\n{}", self.stderr());
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{name}");
    }

    /// Waits (within the hang guard) for the process to end.
    pub fn wait(&mut self) -> ExitStatus {
        wait_for_exit(&mut self.child)
    }
}

/// Reaps `child`, polling; panics if it is still running after the hang guard.
pub fn wait_for_exit(child: &mut Child) -> ExitStatus {
    let deadline = std::time::Instant::now() + HANG_GUARD;
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the provider did not exit");
}

/// Runs `command` to its end (within the hang guard): exit status and stderr.
pub fn run_to_exit(command: Command) -> (ExitStatus, String) {
    let mut process = spawn(command);
    let status = process.wait();
    // The stderr reader ends with the pipe; give it the guard to drain.
    let deadline = std::time::Instant::now() + HANG_GUARD;
    let mut stderr = process.stderr();
    while Arc::strong_count(&process.stderr) > 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
        stderr = process.stderr();
    }
    (status, stderr)
}

/// A unix socket path from `serve --listen unix:PATH`'s line.
pub fn unix_path(addr: &str) -> PathBuf {
    PathBuf::from(addr.strip_prefix("unix:").expect("unix address"))
}
