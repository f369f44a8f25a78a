//! The bot as production runs it: the `lookerbot serve` binary in its own process, so that its memory and
//! start-up are its own.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use crate::rig::StandIns;

/// How long start-up may take before the bench gives up.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `lookerbot serve`.
pub struct BotProcess {
    child: Child,
    pub pid: u32,
    pub url: String,
    pub log: PathBuf,
    _data: tempfile::TempDir,
}

/// How long the process took to become ready.
#[derive(Debug, Clone, Copy)]
pub struct Startup {
    /// From spawn until `/health_check` answered.
    pub to_ready: Duration,
    /// From spawn until its first call reached Slack (`auth.test`): the process's own start.
    pub to_first_call: Duration,
    /// Of `to_ready`, the time spent inside the Looker sandbox and the Slack simulator.
    pub inside_stand_ins: Duration,
}

/// A free port on loopback (the bot binds it right after; nothing else on the machine is expected to race it).
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl BotProcess {
    /// Starts the binary against the stand-ins with a fresh data directory, and waits until it serves HTTP.
    pub async fn start(
        binary: &Path,
        stand_ins: &StandIns,
        extra_env: &[(String, String)],
    ) -> anyhow::Result<(BotProcess, Startup)> {
        Self::start_under(&[], binary, stand_ins, extra_env).await
    }

    /// Like [`BotProcess::start`], with the binary run by `launcher` (a program and its arguments, e.g. valgrind).
    pub async fn start_under(
        launcher: &[&str],
        binary: &Path,
        stand_ins: &StandIns,
        extra_env: &[(String, String)],
    ) -> anyhow::Result<(BotProcess, Startup)> {
        let data = tempfile::tempdir()?;
        let port = free_port()?;
        let log = data.path().join("lookerbot.log");
        let log_file = std::fs::File::create(&log)?;
        let mut command = match launcher.split_first() {
            Some((program, arguments)) => {
                let mut command = Command::new(program);
                command.args(arguments).arg(binary);
                command
            }
            None => Command::new(binary),
        };
        command
            .arg("serve")
            .env_clear()
            .envs(stand_ins.bot_env(port, data.path()))
            .envs(extra_env.iter().cloned())
            // No `.env` file of the developer's is read from here.
            .current_dir(data.path())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .kill_on_drop(true);
        stand_ins.clear_spans();
        let spawned = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;
        let pid = child.id().context("the bot exited at once")?;
        let mut bot = BotProcess {
            child,
            pid,
            url: format!("http://127.0.0.1:{port}"),
            log,
            _data: data,
        };
        bot.wait_ready(&stand_ins.http, spawned).await?;
        let ready = Instant::now();
        let spans = stand_ins.spans();
        let first = spans.iter().map(|s| s.start).min().unwrap_or(ready);
        let startup = Startup {
            to_ready: ready - spawned,
            to_first_call: first.saturating_duration_since(spawned),
            inside_stand_ins: crate::spans::covered(&spans, spawned, ready),
        };
        Ok((bot, startup))
    }

    async fn wait_ready(&mut self, http: &reqwest::Client, spawned: Instant) -> anyhow::Result<()> {
        let health = format!("{}/health_check", self.url);
        loop {
            if let Ok(response) = http.get(&health).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                bail!("lookerbot serve exited with {status} before it was ready:\n{log}");
            }
            if spawned.elapsed() > START_TIMEOUT {
                bail!(
                    "lookerbot serve was not ready after {START_TIMEOUT:?}; see {}",
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
    }

    /// CPU time the process's live threads have used so far (`/proc/<pid>/task/*/schedstat`, in nanoseconds).
    pub fn cpu_time(&self) -> anyhow::Result<Duration> {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.pid)).context("CPU time is read from /proc")?;
        let mut total = 0u64;
        for task in tasks {
            let stat = std::fs::read_to_string(task?.path().join("schedstat")).unwrap_or_default();
            total += stat
                .split_whitespace()
                .next()
                .and_then(|ns| ns.parse().ok())
                .unwrap_or(0);
        }
        Ok(Duration::from_nanos(total))
    }

    /// Resident memory now, in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        self.status_kib("VmRSS")
    }

    /// The most resident memory so far, in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> anyhow::Result<u64> {
        self.status_kib("VmHWM")
    }

    fn status_kib(&self, field: &str) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .context("resident memory is read from /proc (Linux only)")?;
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no {field} in /proc/{}/status", self.pid))
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
