//! CPU time as the kernel accounts it: a whole process from `/proc/<pid>/stat` (every thread it ever had, the
//! exited ones included, so idle polling, timers and background work count), and this process's stand-in threads
//! from `/proc/self/task/*/stat`.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;

/// The name of the threads that run the Looker sandbox and the Slack simulator (see `main`), so that their CPU
/// time can be told from the driver's. Their runtime keeps idle threads for the whole run: a thread that ended
/// would take its CPU time out of the count.
pub const STAND_IN_THREAD: &str = "stand-in";

/// Clock ticks per second of `/proc/*/stat` (`USER_HZ`, 100 on Linux whatever the kernel's own tick).
const TICKS_PER_SECOND: u64 = 100;

/// User plus system time of a whole process: `utime` and `stime` of `/proc/<pid>/stat`.
pub fn process(pid: u32) -> anyhow::Result<Duration> {
    process_times(pid).map(|(user, system)| user + system)
}

/// System time alone of a whole process (`stime`): the part spent in the kernel on its behalf (system calls, page
/// faults), which fewer instructions in the bot itself do not shorten.
pub fn process_kernel(pid: u32) -> anyhow::Result<Duration> {
    process_times(pid).map(|(_, system)| system)
}

/// User and system time of a whole process.
fn process_times(pid: u32) -> anyhow::Result<(Duration, Duration)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).context("CPU time is read from /proc")?;
    stat_ticks(&stat).with_context(|| format!("unreadable /proc/{pid}/stat"))
}

/// User plus system time of each of this process's threads named `name` that is alive now, by thread id.
pub fn own_threads(name: &str) -> HashMap<u32, Duration> {
    threads(std::process::id())
        .into_iter()
        .filter(|(_, (thread, _))| thread == name)
        .map(|(tid, (_, cpu))| (tid, cpu))
        .collect()
}

/// User plus system time of each thread of process `pid` that is alive now, with its name, by thread id.
pub fn threads(pid: u32) -> HashMap<u32, (String, Duration)> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return HashMap::new();
    };
    tasks
        .filter_map(|task| {
            let task = task.ok()?;
            let tid = task.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
            Some((tid, (comm(&stat)?.to_owned(), ticks(&stat)?)))
        })
        .collect()
}

/// What each thread name of a process used between two [`threads`] readings, most first; what the process's
/// `total` counts beyond them (threads that ended in between) is `ended`.
pub fn by_thread_name(
    before: &HashMap<u32, (String, Duration)>,
    now: &HashMap<u32, (String, Duration)>,
    total: Duration,
) -> ThreadSplit {
    let mut names: Vec<(String, Duration)> = Vec::new();
    for (tid, (name, cpu)) in now {
        let used = cpu.saturating_sub(before.get(tid).map(|(_, cpu)| *cpu).unwrap_or_default());
        match names.iter_mut().find(|(known, _)| known == name) {
            Some((_, sum)) => *sum += used,
            None => names.push((name.clone(), used)),
        }
    }
    names.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let counted = names.iter().map(|(_, used)| *used).sum();
    ThreadSplit {
        names,
        ended: total.saturating_sub(counted),
    }
}

/// A process's CPU time over a phase, by thread name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThreadSplit {
    pub names: Vec<(String, Duration)>,
    pub ended: Duration,
}

/// What the threads in `now` used since `before` (threads new since then count from zero).
fn since(before: &HashMap<u32, Duration>, now: &HashMap<u32, Duration>) -> Duration {
    now.iter()
        .map(|(tid, cpu)| cpu.saturating_sub(before.get(tid).copied().unwrap_or_default()))
        .sum()
}

/// The thread or process name: between the first `(` and the last `)`.
fn comm(stat: &str) -> Option<&str> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    stat.get(open + 1..close)
}

/// User plus system time: fields 14 and 15 (`utime`, `stime`).
fn ticks(stat: &str) -> Option<Duration> {
    stat_ticks(stat).map(|(user, system)| user + system)
}

/// Fields 14 and 15 (`utime`, `stime`), counted after the name, which may itself hold spaces.
fn stat_ticks(stat: &str) -> Option<(Duration, Duration)> {
    let after_name = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let time = |ticks: u64| Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND);
    Some((time(utime), time(stime)))
}

/// CPU used by the bot, the stand-ins and the driver over one phase.
#[derive(Debug, Clone, Copy, Default)]
pub struct Share {
    pub wall: Duration,
    pub bot: Duration,
    pub stand_ins: Duration,
    /// The whole bench process: stand-ins and driver.
    pub bench: Duration,
}

impl Share {
    /// Percent of the machine's cores over the phase.
    pub fn percent(&self, cpu: Duration) -> f64 {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        100.0 * cpu.as_secs_f64() / (self.wall.as_secs_f64() * cores).max(f64::EPSILON)
    }

    pub fn driver(&self) -> Duration {
        self.bench.saturating_sub(self.stand_ins)
    }
}

/// Readings at the start of a phase.
pub struct Meter {
    started: std::time::Instant,
    bots: Vec<(u32, Duration)>,
    /// The first bot's threads and kernel time at the start.
    bot_threads: HashMap<u32, (String, Duration)>,
    bot_kernel: Duration,
    stand_ins: HashMap<u32, Duration>,
    bench: Duration,
}

impl Meter {
    /// Starts measuring the bot processes `pids` and this process.
    pub fn start(pids: &[u32]) -> anyhow::Result<Meter> {
        let bots = pids
            .iter()
            .map(|&pid| Ok((pid, process(pid)?)))
            .collect::<anyhow::Result<_>>()?;
        Ok(Meter {
            started: std::time::Instant::now(),
            bot_threads: pids.first().map(|&pid| threads(pid)).unwrap_or_default(),
            bot_kernel: pids
                .first()
                .map(|&pid| process_kernel(pid))
                .transpose()?
                .unwrap_or_default(),
            bots,
            stand_ins: own_threads(STAND_IN_THREAD),
            bench: process(std::process::id())?,
        })
    }

    /// What was used since [`Meter::start`].
    pub fn stop(&self) -> anyhow::Result<Share> {
        let mut bot = Duration::ZERO;
        for (pid, before) in &self.bots {
            bot += process(*pid)?.saturating_sub(*before);
        }
        Ok(Share {
            wall: self.started.elapsed(),
            bot,
            stand_ins: since(&self.stand_ins, &own_threads(STAND_IN_THREAD)),
            bench: process(std::process::id())?.saturating_sub(self.bench),
        })
    }

    /// What the first bot spent in the kernel since [`Meter::start`].
    pub fn first_bot_kernel(&self) -> anyhow::Result<Duration> {
        let Some(&(pid, _)) = self.bots.first() else {
            return Ok(Duration::ZERO);
        };
        Ok(process_kernel(pid)?.saturating_sub(self.bot_kernel))
    }

    /// What the first bot used since [`Meter::start`], by thread name.
    pub fn first_bot_by_thread(&self) -> anyhow::Result<ThreadSplit> {
        let Some(&(pid, before)) = self.bots.first() else {
            return Ok(ThreadSplit::default());
        };
        let total = process(pid)?.saturating_sub(before);
        Ok(by_thread_name(&self.bot_threads, &threads(pid), total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_and_system_ticks_after_a_name_with_spaces() {
        let stat = "4242 (tokio (worker) 1) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 3 0";
        assert_eq!(comm(stat), Some("tokio (worker) 1"));
        assert_eq!(ticks(stat), Some(Duration::from_millis(3000)));
        assert_eq!(
            stat_ticks(stat),
            Some((Duration::from_millis(2500), Duration::from_millis(500))),
            "user, then kernel"
        );
        assert_eq!(ticks("4242 (x) S 1"), None);
    }

    #[test]
    fn threads_are_summed_by_name_and_what_ended_is_the_rest() {
        let ms = Duration::from_millis;
        let reading = |entries: &[(u32, &str, u64)]| -> HashMap<u32, (String, Duration)> {
            entries
                .iter()
                .map(|&(tid, name, cpu)| (tid, (name.to_owned(), ms(cpu))))
                .collect()
        };
        let before = reading(&[(1, "main", 100), (2, "worker", 50), (3, "worker", 10)]);
        let now = reading(&[
            (1, "main", 110),
            (2, "worker", 80),
            (3, "worker", 30),
            (4, "storage", 40),
        ]);
        let split = by_thread_name(&before, &now, ms(150));
        assert_eq!(
            split.names,
            vec![
                ("worker".to_owned(), ms(50)),
                ("storage".to_owned(), ms(40)),
                ("main".to_owned(), ms(10))
            ]
        );
        assert_eq!(split.ended, ms(50), "150 in all, 100 in threads alive at the end");
    }

    #[test]
    fn this_process_has_cpu_time() {
        let spin = std::time::Instant::now();
        while spin.elapsed() < Duration::from_millis(30) {
            std::hint::black_box(0u64);
        }
        assert!(process(std::process::id()).unwrap() > Duration::ZERO);
    }
}
