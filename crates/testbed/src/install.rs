//! Finding a program, and installing it on first use with the project's own install step.
//!
//! Test binaries run in parallel and several may need the same program at once; the install step runs under an
//! exclusive lock on a file beside the installation, and whoever takes the lock second finds the program there.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::workspace_root;

/// A program a test needs and how the project installs it.
#[derive(Debug, Clone, Copy)]
pub struct Program {
    /// Shown in messages, e.g. "moto (S3 emulator)".
    pub name: &'static str,
    /// The command to run, e.g. `moto_server`.
    pub command: &'static str,
    /// The install step, relative to the workspace root, e.g. `.ci/install-emulators`.
    pub installer: &'static str,
    /// Folders below the workspace root where the installer puts commands.
    pub install_dirs: &'static [&'static str],
}

impl Program {
    /// Where the program is, installing it first if it is nowhere to be found. Panics with one line naming what
    /// is missing and the command that installs it when the install step fails (no network, say).
    pub fn ensure(&self) -> PathBuf {
        ensure_installed(self.name, self.command, self.installer, || self.find())
    }

    /// The program in the project's install folders, or else on `PATH`.
    pub fn find(&self) -> Option<PathBuf> {
        let root = workspace_root();
        let local = self.install_dirs.iter().map(|dir| root.join(dir));
        let path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default();
        local
            .chain(path)
            .map(|dir| dir.join(self.command))
            .find(|candidate| candidate.is_file())
    }
}

/// What `find` finds, running `installer` first (once, under the install lock) if it finds nothing. Panics with one
/// line naming the missing `name` (whose command is `command`) and the install step when that fails.
pub fn ensure_installed(name: &str, command: &str, installer: &str, find: impl Fn() -> Option<PathBuf>) -> PathBuf {
    if let Some(found) = find() {
        return found;
    }
    let _lock = InstallLock::take();
    if let Some(found) = find() {
        return found; // another test binary installed it while we waited for the lock
    }
    let log = state_dir().join(format!("install-{command}.log"));
    let outcome = run_installer(installer, &log);
    match (outcome, find()) {
        (Ok(()), Some(found)) => found,
        (Ok(()), None) => panic!(
            "{name} is missing: `{installer}` ran but did not install `{command}` (log: {log}); \
             install it by hand or name a running one with the test's environment variable",
            log = log.display()
        ),
        (Err(why), _) => panic!(
            "{name} is missing and could not be installed ({why}; log: {log}): run `{installer}` on a \
             machine that reaches the package registries",
            log = log.display()
        ),
    }
}

fn run_installer(installer: &str, log: &Path) -> Result<(), String> {
    let log_file = File::create(log).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    let stderr = log_file.try_clone().map_err(|e| e.to_string())?;
    let status = Command::new(workspace_root().join(installer))
        .stdin(std::process::Stdio::null())
        .stdout(log_file)
        .stderr(stderr)
        .status()
        .map_err(|e| format!("cannot run {installer}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{installer} failed with {status}"))
    }
}

/// The folder for the testbed's own files (git-ignored): the install lock and log, the services' logs.
pub fn state_dir() -> PathBuf {
    let dir = workspace_root().join(".ci/.testbed");
    let _ = fs::create_dir_all(&dir);
    dir
}

/// An exclusive lock on the install step, held until dropped. The lock is on an open file, so it is released
/// however this process ends.
struct InstallLock(File);

impl InstallLock {
    fn take() -> Self {
        let path = state_dir().join("install.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("cannot open the install lock {}: {e}", path.display()));
        file.lock()
            .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
        Self(file)
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}
