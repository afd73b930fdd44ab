//! Running commands: echoed before they run, and failures that say which command failed.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Why a task failed: a message that names what failed and, where we know it, how to fix it.
/// It may span several lines; `code` becomes the process's exit code.
#[derive(Debug)]
pub struct Fail {
    pub msg: String,
    pub code: i32,
}

impl Fail {
    pub fn new(msg: impl Into<String>) -> Fail {
        Fail {
            msg: msg.into(),
            code: 1,
        }
    }

    /// A usage error (exit code 2, as the shell scripts had).
    pub fn usage(msg: impl Into<String>) -> Fail {
        Fail {
            msg: msg.into(),
            code: 2,
        }
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

pub type Result<T = (), E = Fail> = std::result::Result<T, E>;

/// A command line as a shell user would type it, with the environment variables set on the
/// command first (`RUSTC=/usr/bin/rustc cargo build ...`), for echoing and for error messages.
pub fn display(cmd: &Command) -> String {
    let mut words: Vec<String> = Vec::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            words.push(format!(
                "{}={}",
                key.to_string_lossy(),
                value.to_string_lossy()
            ));
        }
    }
    words.push(cmd.get_program().to_string_lossy().into_owned());
    words.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    let mut line = words.join(" ");
    // The directory only when it is not where xtask runs (the wrappers run it in the root).
    if let Some(dir) = cmd.get_current_dir() {
        if std::env::current_dir().ok().as_deref() != Some(dir) {
            line = format!("(cd {} && {line})", dir.display());
        }
    }
    line
}

/// Echo `+ COMMAND`, then run it with inherited stdio; fail if it does not exit 0.
pub fn run(cmd: &mut Command) -> Result {
    println!("+ {}", display(cmd));
    run_quiet(cmd)
}

/// Run without echoing; fail if it does not exit 0.
pub fn run_quiet(cmd: &mut Command) -> Result {
    let status = cmd.status().map_err(|e| spawn_failed(cmd, e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Fail {
            msg: format!("`{}` failed ({status})", display(cmd)),
            code: status.code().unwrap_or(1),
        })
    }
}

/// Echo `+ COMMAND` and run it like [`run`], its output still shown as it comes, and also
/// return that output (stdout and stderr, interleaved by line) for the caller to inspect.
pub fn run_teed(cmd: &mut Command) -> (Result, String) {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::{Arc, Mutex};
    println!("+ {}", display(cmd));
    let mut child = match cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(e) => return (Err(spawn_failed(cmd, e)), String::new()),
    };
    let seen = Arc::new(Mutex::new(String::new()));
    let forward = |from: Box<dyn std::io::Read + Send>, to_stderr: bool| {
        let seen = seen.clone();
        std::thread::spawn(move || {
            let mut from = BufReader::new(from);
            let mut line = Vec::new();
            while from.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                let _ = if to_stderr {
                    std::io::stderr().write_all(&line)
                } else {
                    std::io::stdout().write_all(&line)
                };
                seen.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&line));
                line.clear();
            }
        })
    };
    let out = forward(
        Box::new(child.stdout.take().expect("stdout is piped above")),
        false,
    );
    let err = forward(
        Box::new(child.stderr.take().expect("stderr is piped above")),
        true,
    );
    let status = child.wait();
    let _ = (out.join(), err.join());
    let seen = std::mem::take(&mut *seen.lock().unwrap_or_else(|e| e.into_inner()));
    let result = match status {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(Fail {
            msg: format!("`{}` failed ({status})", display(cmd)),
            code: status.code().unwrap_or(1),
        }),
        Err(e) => Err(spawn_failed(cmd, e)),
    };
    (result, seen)
}

/// Run and return its stdout (trimmed); fail with its stderr if it does not exit 0.
pub fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| spawn_failed(cmd, e))?;
    if !out.status.success() {
        return Err(Fail::new(format!(
            "`{}` failed ({}):\n{}",
            display(cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Whether the command runs and exits 0 (its output discarded): for probing tools.
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.status().is_ok_and(|s| s.success())
}

/// Run with inherited stdio, but kill it after `limit`: for commands that hang without network
/// (rustup). Returns whether it exited 0 in time.
pub fn run_with_timeout(cmd: &mut Command, limit: Duration) -> bool {
    let Ok(mut child) = cmd.spawn() else {
        return false;
    };
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if start.elapsed() < limit => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                println!(
                    "`{}` did not finish within {}s: stopped",
                    display(cmd),
                    limit.as_secs()
                );
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}

fn spawn_failed(cmd: &Command, e: std::io::Error) -> Fail {
    let program = cmd.get_program().to_string_lossy();
    let hint = if e.kind() == std::io::ErrorKind::NotFound {
        " (not installed or not on PATH: `cargo xtask setup` installs what the project needs)"
    } else {
        ""
    };
    Fail::new(format!("cannot run `{}`: {e}{hint}", program))
}

/// A command with arguments, in one call.
pub fn cmd<I, S>(program: impl AsRef<OsStr>, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut c = Command::new(program);
    c.args(args);
    c
}

/// The full path of `name` on PATH, as `command -v` finds it.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Size in bytes of `path`, and of its `gzip -9` compression (what a server would send).
pub fn sizes(path: &Path) -> Result<(u64, u64)> {
    let raw = std::fs::metadata(path)
        .map_err(|e| Fail::new(format!("cannot read {}: {e}", path.display())))?
        .len();
    let gz = Command::new("gzip")
        .arg("-9c")
        .arg(path)
        .output()
        .map_err(|e| Fail::new(format!("cannot run gzip: {e} (install gzip)")))?;
    Ok((raw, gz.stdout.len() as u64))
}

/// `mm:ss` as the test runner's timing table shows it, e.g. `1m05s`.
pub fn mmss(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}m{:02}s", s / 60, s % 60)
}

/// Create a directory and its parents, with the path in the error.
pub fn mkdir(dir: &Path) -> Result {
    std::fs::create_dir_all(dir)
        .map_err(|e| Fail::new(format!("cannot create {}: {e}", dir.display())))
}

/// Remove a directory tree if it exists.
pub fn rmdir(dir: &Path) -> Result {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Fail::new(format!("cannot remove {}: {e}", dir.display())))
        }
        _ => Ok(()),
    }
}

/// Copy a file, with both paths in the error.
pub fn copy(from: &Path, to: &Path) -> Result {
    std::fs::copy(from, to).map(|_| ()).map_err(|e| {
        Fail::new(format!(
            "cannot copy {} to {}: {e}",
            from.display(),
            to.display()
        ))
    })
}

/// Whether `a` was modified after `b` (false if either is missing), as the shell's `-nt`.
pub fn newer(a: &Path, b: &Path) -> bool {
    let mtime = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    matches!((mtime(a), mtime(b)), (Some(a), Some(b)) if a > b)
}
