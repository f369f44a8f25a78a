//! Starting a service on a free loopback port, and making sure it dies with the test process.

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::install::state_dir;

/// How long a service may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The watchdog shells of the services this process started. Holding them keeps our ends of their stdin pipes
/// open; when the process exits, the pipes close and each watchdog kills its service.
static WATCHDOGS: Mutex<Vec<Child>> = Mutex::new(Vec::new());

/// The watchdog: runs the service in the background with its output in `$LOG`, sends it `$STOP_SIGNAL` once its
/// own stdin (a pipe from the test process) reaches end-of-file, and exits when the service does. Stdin is kept on
/// fd 3 because a background list's stdin is /dev/null.
const WATCHDOG: &str = r#"exec 3<&0 </dev/null
"$@" >>"$LOG" 2>&1 &
service=$!
{ read -r _ <&3; kill -s "$STOP_SIGNAL" "$service" 2>/dev/null; } &
wait "$service""#;

/// A service the caller stops itself, rather than at the end of the test process (to start it again, say). Dropping
/// it, or the test process ending, stops it too.
pub struct Service {
    watchdog: Child,
}

impl Service {
    /// Stops the service (with its stop signal) and waits until it has exited.
    pub fn stop(mut self) {
        drop(self.watchdog.stdin.take());
        let _ = self.watchdog.wait();
    }
}

/// A loopback port nothing listens on at the moment of asking.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// Starts `program args` on `port` under a watchdog and waits until it accepts connections there. Panics, with
/// the end of the service's log, if it exits or does not listen within a minute. It runs until the test process
/// ends.
pub fn start(name: &str, program: &Path, args: &[String], port: u16) {
    let service = start_owned(name, program, args, port, "TERM");
    WATCHDOGS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(service.watchdog);
}

/// [`start`] for a service the caller stops with [`Service::stop`], which sends it `stop_signal` (a signal name
/// such as `TERM` or `INT`).
pub fn start_owned(name: &str, program: &Path, args: &[String], port: u16, stop_signal: &str) -> Service {
    let log = state_dir().join(format!("{}-{port}.log", file_stem(name)));
    let _ = File::create(&log);
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("watchdog")
        .arg(program)
        .args(args)
        .env("LOG", &log)
        .env("STOP_SIGNAL", stop_signal)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name} ({}): {e}", program.display()));
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = watchdog.try_wait() {
            panic!(
                "{name} exited ({status}) before listening on port {port}; its log ({}) ends with:\n{}",
                log.display(),
                tail(&log)
            );
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        if Instant::now() > deadline {
            let _ = watchdog.kill();
            panic!(
                "{name} did not listen on port {port} within {START_TIMEOUT:?}; its log ({}) ends with:\n{}",
                log.display(),
                tail(&log)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Service { watchdog }
}

fn file_stem(name: &str) -> String {
    name.split_whitespace()
        .next()
        .unwrap_or("service")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
