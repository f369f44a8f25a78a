//! `--syscalls`: the system calls and thread switches the bot makes per scheduled delivery under the CPU target's
//! load (100 senders), counted by the kernel's own tracepoints through `perf stat`. Kernel time is a third of the CPU
//! per delivery; these counts say what it is spent on (the disk's writes and locks, the sockets, waking threads)
//! without slowing the bot down the way `strace` does.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::process::BotProcess;
use crate::rig::StandIns;
use crate::{cpu, load};

/// Deliveries before counting starts (connections opened, caches filled).
const WARM_UP: usize = 300;
/// Deliveries counted.
pub const DELIVERIES: usize = 3000;
/// As in the CPU target's run.
pub const SENDERS: usize = 100;
const SLACK_CALLS: usize = 1;
/// Work the deliveries leave behind counts too, as in the CPU measurement.
const AFTER: Duration = Duration::from_millis(1100);
/// Time for `perf` to attach before the first counted webhook.
const ATTACH: Duration = Duration::from_millis(500);

/// The events counted: every system call the bot makes on a delivery's path, and thread switches.
const EVENTS: &[&str] = &[
    "context-switches",
    "raw_syscalls:sys_enter",
    "syscalls:sys_enter_pwrite64",
    "syscalls:sys_enter_pread64",
    "syscalls:sys_enter_fsync",
    "syscalls:sys_enter_fdatasync",
    "syscalls:sys_enter_fcntl",
    "syscalls:sys_enter_openat",
    "syscalls:sys_enter_close",
    "syscalls:sys_enter_write",
    "syscalls:sys_enter_writev",
    "syscalls:sys_enter_read",
    "syscalls:sys_enter_recvfrom",
    "syscalls:sys_enter_sendto",
    "syscalls:sys_enter_futex",
    "syscalls:sys_enter_epoll_wait",
    "syscalls:sys_enter_epoll_ctl",
    "syscalls:sys_enter_accept4",
    "syscalls:sys_enter_connect",
    "syscalls:sys_enter_mmap",
    "syscalls:sys_enter_munmap",
    "syscalls:sys_enter_madvise",
    "syscalls:sys_enter_statx",
    "syscalls:sys_enter_newfstatat",
];

/// What a delivery cost the bot in the counted run.
pub struct PerDelivery {
    /// Each event's count per delivery, most first.
    pub events: Vec<(String, f64)>,
    /// The whole process's user and system time per delivery, with the counters attached (they add to the kernel
    /// time of each system call), and the system time alone.
    pub cpu: Duration,
    pub kernel: Duration,
}

/// Counts the events of [`DELIVERIES`] deliveries.
pub async fn per_delivery(
    binary: &Path,
    stand_ins: &Arc<StandIns>,
    extra_env: &[(String, String)],
) -> anyhow::Result<PerDelivery> {
    let (bot, _) = BotProcess::start(binary, stand_ins, extra_env).await?;
    let payload = stand_ins.scheduled_payload(looker_sandbox::content::TABLE_LOOK_ID)?;
    load::deliveries(stand_ins, &bot.url, &payload, SENDERS, WARM_UP, SLACK_CALLS).await?;
    let counts = tempfile::NamedTempFile::new()?;
    // Read before `perf` attaches, so that the CPU time covers what the counts cover.
    let (cpu_before, kernel_before) = (cpu::process(bot.pid)?, cpu::process_kernel(bot.pid)?);
    let perf = tokio::process::Command::new("perf")
        .args(["stat", "-x", ",", "-o"])
        .arg(counts.path())
        .arg("-e")
        .arg(EVENTS.join(","))
        .arg("-p")
        .arg(bot.pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("could not run perf (Debian: apt-get install linux-perf)")?;
    tokio::time::sleep(ATTACH).await;
    load::deliveries(stand_ins, &bot.url, &payload, SENDERS, DELIVERIES, SLACK_CALLS).await?;
    tokio::time::sleep(AFTER).await;
    let (cpu, kernel) = (
        cpu::process(bot.pid)? - cpu_before,
        cpu::process_kernel(bot.pid)? - kernel_before,
    );
    let pid = perf.id().context("perf exited before it counted")?;
    std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()?;
    let ended = perf.wait_with_output().await?;
    bot.stop().await;
    let text = std::fs::read_to_string(counts.path())?;
    let totals = parse(&text);
    if totals.is_empty() {
        bail!(
            "perf counted nothing (is perf_event_paranoid too strict?): {}",
            String::from_utf8_lossy(&ended.stderr)
        );
    }
    let mut events: Vec<_> = totals
        .into_iter()
        .map(|(event, count)| (event, count as f64 / DELIVERIES as f64))
        .collect();
    events.sort_by(|a, b| b.1.total_cmp(&a.1));
    let deliveries = DELIVERIES as u32;
    Ok(PerDelivery {
        events,
        cpu: cpu / deliveries,
        kernel: kernel / deliveries,
    })
}

/// `perf stat -x ,` lines (`count,unit,event,…`) as event → count; events perf could not count are left out.
fn parse(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(',');
            let count = fields.next()?.trim().parse().ok()?;
            let event = fields.nth(1)?.trim();
            let event = event.strip_prefix("syscalls:sys_enter_").unwrap_or(event);
            let event = if event == "raw_syscalls:sys_enter" {
                "all system calls"
            } else {
                event
            };
            Some((event.to_owned(), count))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_read_by_event_and_uncounted_events_left_out() {
        let text = "# started on Tue Dec  8 03:50:00 2026\n\n\
                    4521,,context-switches,1000,100.00,,\n\
                    <not supported>,,syscalls:sys_enter_fdatasync,0,100.00,,\n\
                    40500,,syscalls:sys_enter_pwrite64,1000,100.00,,\n\
                    90000,,raw_syscalls:sys_enter,1000,100.00,,\n";
        let counts = parse(text);
        assert_eq!(counts.get("context-switches"), Some(&4521));
        assert_eq!(counts.get("pwrite64"), Some(&40500));
        assert_eq!(counts.get("all system calls"), Some(&90000));
        assert!(!counts.contains_key("fdatasync"));
        assert_eq!(counts.len(), 3);
    }
}
