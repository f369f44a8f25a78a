//! The testbed's promises, checked with real processes: a service dies with the test process that started it, a
//! service that cannot start says why, and a program that cannot be installed fails in one line that names the
//! install step.

use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use testbed::install::Program;
use testbed::process;

/// A real program that listens on a port: Python's HTTP server (python3 is on every machine the tests run on).
fn http_server_args(port: u16) -> Vec<String> {
    ["-m", "http.server", "--bind", "127.0.0.1", &port.to_string()]
        .map(String::from)
        .to_vec()
}

fn python() -> std::path::PathBuf {
    Program {
        name: "python3",
        command: "python3",
        installer: "crates/testbed/tests/fixtures/failing-installer",
        install_dirs: &[],
    }
    .find()
    .expect("python3 on PATH")
}

fn answers(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Run by [`a_service_stops_when_the_test_process_that_started_it_exits`] in a child process: starts a service
/// and exits without stopping it.
#[test]
#[ignore = "run as a child process by another test"]
fn child_starts_a_service_and_exits() {
    let Ok(port) = std::env::var("TESTBED_CHILD_PORT") else {
        return;
    };
    let port: u16 = port.parse().expect("port");
    process::start("http.server (child)", &python(), &http_server_args(port), port);
    assert!(answers(port));
}

#[test]
fn a_service_stops_when_the_test_process_that_started_it_exits() {
    let port = process::free_port();
    let child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "child_starts_a_service_and_exits", "--ignored"])
        .env("TESTBED_CHILD_PORT", port.to_string())
        .output()
        .expect("run the child test");
    assert!(
        child.status.success(),
        "the child test failed: {}",
        String::from_utf8_lossy(&child.stdout)
    );

    let deadline = Instant::now() + Duration::from_secs(20);
    while answers(port) {
        assert!(
            Instant::now() < deadline,
            "the service on port {port} outlived the process that started it"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_started_service_answers_on_its_free_port() {
    let port = process::free_port();
    process::start("http.server", &python(), &http_server_args(port), port);
    let response = Command::new(python())
        .args([
            "-c",
            &format!("import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:{port}/').status)"),
        ])
        .output()
        .expect("fetch");
    assert_eq!(String::from_utf8_lossy(&response.stdout).trim(), "200");
}

#[test]
fn a_service_that_exits_before_listening_fails_with_its_log() {
    let port = process::free_port();
    let error = std::panic::catch_unwind(|| {
        process::start(
            "broken-service",
            &python(),
            &[
                "-c".to_owned(),
                "import sys; sys.exit('no configuration given')".to_owned(),
            ],
            port,
        )
    })
    .expect_err("a service that exits must not count as started");
    let message = panic_text(&error);
    assert!(message.contains("broken-service exited"), "{message}");
    assert!(message.contains(&port.to_string()), "{message}");
    assert!(
        message.contains("no configuration given"),
        "the log's end is shown: {message}"
    );
}

#[test]
fn a_program_that_cannot_be_installed_fails_in_one_line_naming_the_install_step() {
    let missing = Program {
        name: "frobnicator (an emulator)",
        command: "frobnicator-that-does-not-exist",
        installer: "crates/testbed/tests/fixtures/failing-installer",
        install_dirs: &[".ci/.testbed/nowhere"],
    };
    let error = std::panic::catch_unwind(|| missing.ensure()).expect_err("nothing can be installed");
    let message = panic_text(&error);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("frobnicator (an emulator) is missing"), "{message}");
    assert!(
        message.contains("run `crates/testbed/tests/fixtures/failing-installer`"),
        "{message}"
    );
    let log = message
        .split("log: ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("the message names the install log");
    let logged = std::fs::read_to_string(Path::new(log)).expect("the install log exists");
    assert!(logged.contains("cannot reach the package registry"), "{logged}");
}

fn panic_text(error: &Box<dyn std::any::Any + Send>) -> String {
    error
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| error.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}
