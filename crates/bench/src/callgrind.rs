//! The bot run under valgrind's callgrind, for `--startup-order` and `--instructions`: started against the stand-ins,
//! its counts reset and dumped on demand, and its profile read once it is stopped.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::process::BotProcess;
use crate::rig::StandIns;

/// A bot running under callgrind, and where its profile goes.
pub struct Profiled {
    pub bot: BotProcess,
    profile_dir: tempfile::TempDir,
}

impl Profiled {
    /// Starts `binary` under callgrind with the extra valgrind `options` (e.g. `--demangle=no`).
    pub async fn start(
        binary: &Path,
        stand_ins: &StandIns,
        options: &[&str],
        extra_env: &[(String, String)],
    ) -> anyhow::Result<Profiled> {
        let profile_dir = tempfile::tempdir()?;
        let out_file = format!(
            "--callgrind-out-file={}",
            profile_dir.path().join("callgrind.out").display()
        );
        let mut launcher = vec!["valgrind", "--tool=callgrind", out_file.as_str()];
        launcher.extend_from_slice(options);
        let (bot, _) = BotProcess::start_under(&launcher, binary, stand_ins, extra_env)
            .await
            .context("could not start the bot under valgrind (Debian: apt-get install valgrind)")?;
        Ok(Profiled { bot, profile_dir })
    }

    /// Sends `command` (`--dump`, `--zero`) to the running callgrind.
    pub async fn control(&self, command: &str) -> anyhow::Result<()> {
        let sent = tokio::process::Command::new("callgrind_control")
            .arg(command)
            .arg(self.bot.pid.to_string())
            .output()
            .await
            .context("could not run callgrind_control (it comes with valgrind)")?;
        if !sent.status.success() {
            bail!(
                "callgrind_control {command} failed: {}",
                String::from_utf8_lossy(&sent.stderr)
            );
        }
        Ok(())
    }

    /// Stops the bot and returns the first profile `--dump` wrote, once `counted` (the work that ended in the dump)
    /// went well.
    pub async fn finish(self, counted: anyhow::Result<()>) -> anyhow::Result<String> {
        self.bot.stop().await;
        counted?;
        let dump = first_dump(self.profile_dir.path())?;
        std::fs::read_to_string(&dump).with_context(|| format!("could not read {}", dump.display()))
    }
}

/// The dump `callgrind_control --dump` wrote (`callgrind.out.1`), not the empty file of the process's end.
fn first_dump(dir: &Path) -> anyhow::Result<PathBuf> {
    let mut dumps: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "1"))
        .collect();
    dumps.sort();
    dumps.pop().context("callgrind wrote no dump")
}
