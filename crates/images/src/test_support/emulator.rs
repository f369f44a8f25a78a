//! Finds or starts the storage emulators the tests run against.
//!
//! Each emulator is taken from `LOOKERBOT_TEST_*_ENDPOINT` (set by `eval "$(.ci/start-emulators)"`); when that is
//! unset, the test starts the emulator itself on a free loopback port, from PATH or from `.ci/.emulators/`. If
//! neither works the test fails: it never passes without having talked to the emulator.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One emulator: how to find it and how to start it.
pub struct EmulatorSpec {
    pub name: &'static str,
    pub env_var: &'static str,
    pub command: &'static str,
    /// Arguments for a given port.
    pub args: fn(u16) -> Vec<String>,
    /// Appended to `http://127.0.0.1:{port}` to make the endpoint handed to tests.
    pub endpoint_suffix: &'static str,
}

/// The started emulators' watchdog shells; holding them keeps their stdin pipes open until the test process
/// exits.
static WATCHDOGS: Mutex<Vec<Child>> = Mutex::new(Vec::new());

/// The emulator's endpoint, starting it if needed. Panics with instructions when it cannot be had.
pub fn endpoint(spec: &EmulatorSpec) -> String {
    if let Ok(endpoint) = std::env::var(spec.env_var)
        && !endpoint.is_empty()
    {
        return endpoint.trim_end_matches('/').to_owned();
    }
    let program = find_program(spec.command).unwrap_or_else(|| {
        panic!(
            "{name} is needed for this test: {var} is unset and `{cmd}` is neither on PATH nor in .ci/.emulators. \
             Run `.ci/install-emulators` (then optionally `eval \"$(.ci/start-emulators)\"`).",
            name = spec.name,
            var = spec.env_var,
            cmd = spec.command
        )
    });
    let port = free_port();
    start_with_watchdog(&program, &(spec.args)(port));
    wait_until_listening(spec.name, port);
    format!("http://127.0.0.1:{port}{}", spec.endpoint_suffix)
}

fn find_program(command: &str) -> Option<PathBuf> {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let local_dirs = [
        workspace.join(".ci/.emulators/venv/bin"),
        workspace.join(".ci/.emulators/node/bin"),
    ];
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    path_dirs
        .into_iter()
        .chain(local_dirs)
        .map(|dir| dir.join(command))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// Starts `program` under a shell that kills it once our end of its stdin closes, i.e. when the test process
/// exits, however it exits: no emulator outlives the test run.
fn start_with_watchdog(program: &PathBuf, args: &[String]) {
    let child = Command::new("sh")
        .arg("-c")
        .arg(r#""$@" >/dev/null 2>&1 </dev/null & child=$!; read -r _; kill "$child""#)
        .arg("sh")
        .arg(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    WATCHDOGS.lock().expect("watchdog list").push(child);
}

fn wait_until_listening(name: &str, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{name} did not start listening on port {port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub const MOTO: EmulatorSpec = EmulatorSpec {
    name: "moto (S3 emulator)",
    env_var: "LOOKERBOT_TEST_S3_ENDPOINT",
    command: "moto_server",
    args: |port| vec!["-H".into(), "127.0.0.1".into(), "-p".into(), port.to_string()],
    endpoint_suffix: "",
};

/// Azurite's endpoint, as handed to tests, is the blob endpoint of its well-known account.
pub const AZURITE: EmulatorSpec = EmulatorSpec {
    name: "Azurite (Azure Blob emulator)",
    env_var: "LOOKERBOT_TEST_AZURE_ENDPOINT",
    command: "azurite-blob",
    args: |port| {
        [
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            &port.to_string(),
            "--loose",
            "--skipApiVersionCheck",
            "--inMemoryPersistence",
            "--disableTelemetry",
        ]
        .map(String::from)
        .to_vec()
    },
    endpoint_suffix: "/devstoreaccount1",
};

pub const GCS_EMULATOR: EmulatorSpec = EmulatorSpec {
    name: "gcp-storage-emulator (Google Cloud Storage emulator)",
    env_var: "LOOKERBOT_TEST_GCS_ENDPOINT",
    command: "gcp-storage-emulator",
    args: |port| {
        [
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--in-memory",
            "-q",
        ]
        .map(String::from)
        .to_vec()
    },
    endpoint_suffix: "",
};
