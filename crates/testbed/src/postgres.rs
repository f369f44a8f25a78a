//! A real PostgreSQL server for the queue's shared-store tests: Debian's `postgresql` package, installed by
//! `.ci/install-postgres` on first use, each cluster a throwaway one made with `initdb` under
//! `.ci/.testbed/postgres/` and started on a free loopback port. Or the server named by
//! `LOOKERBOT_TEST_DATABASE_URL`, for people who run their own.
//!
//! A cluster can take TLS connections too, with a certificate the test made ([`Cluster::create_tls`]).
//!
//! PostgreSQL refuses to run as root, so when the tests run as root the cluster belongs to, and the server runs
//! as, the `postgres` user the package creates.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::install::{ensure_installed, state_dir};
use crate::process::{self, Service};

/// Names a server the person running the tests started; nothing is installed or started then.
pub const ENV_VAR: &str = "LOOKERBOT_TEST_DATABASE_URL";

const INSTALLER: &str = ".ci/install-postgres";

/// How long a started server may take to accept sessions.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The account clusters run as when the tests run as root.
const SERVICE_USER: &str = "postgres";

/// The URL of a PostgreSQL server (database `postgres`, superuser `postgres`, no password) for this test binary:
/// [`ENV_VAR`]'s, or else one cluster started on first call and stopped when the test process ends. Tests that
/// need isolation create their own databases on it.
pub fn server_url() -> String {
    static SHARED: OnceLock<String> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            if let Ok(url) = std::env::var(ENV_VAR)
                && !url.is_empty()
            {
                return url;
            }
            let cluster = Cluster::create();
            let url = cluster.url();
            // Kept for the life of the process: its watchdog stops the server when the process ends.
            std::mem::forget(cluster);
            url
        })
        .clone()
}

/// A new, empty database on [`server_url`]'s server, for one test, and its URL.
pub fn fresh_database() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let server = server_url();
    let name = format!("test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let psql = ensure_installed("PostgreSQL", "initdb", INSTALLER, find_bin_dir).join("psql");
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        let output = Command::new(&psql)
            .args([server.as_str(), "--no-psqlrc", "-q", "-c", &sql])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", psql.display()));
        assert!(
            output.status.success(),
            "cannot create a test database: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    with_database(&server, &name)
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// A throwaway cluster of this test process, which a test may stop and start again (same port, same data).
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    service: Option<Service>,
    /// The server's certificate and key files, when it takes TLS connections.
    tls: Option<(PathBuf, PathBuf)>,
}

impl Cluster {
    /// Installs PostgreSQL if needed, makes a new cluster and starts its server.
    pub fn create() -> Cluster {
        Cluster::create_with_tls(None)
    }

    /// [`Cluster::create`] for a server that also takes TLS connections (`ssl=on`), with this certificate chain and
    /// private key (PEM). Plain connections are still accepted.
    pub fn create_tls(cert_pem: &str, key_pem: &str) -> Cluster {
        Cluster::create_with_tls(Some((cert_pem, key_pem)))
    }

    fn create_with_tls(tls: Option<(&str, &str)>) -> Cluster {
        let bin = ensure_installed("PostgreSQL", "initdb", INSTALLER, find_bin_dir);
        let dir = new_cluster_dir();
        let data = dir.join("data");
        run_as_service_user(
            Command::new(bin.join("initdb")).arg("--pgdata").arg(&data).args([
                "--username=postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ]),
            "initdb",
        );
        let tls = tls.map(|(cert, key)| {
            let files = (dir.join("server.crt"), dir.join("server.key"));
            write_service_file(&files.0, cert, 0o644);
            // PostgreSQL refuses a key file others can read.
            write_service_file(&files.1, key, 0o600);
            files
        });
        let mut cluster = Cluster {
            bin,
            dir,
            port: process::free_port(),
            service: None,
            tls,
        };
        cluster.start();
        cluster
    }

    /// The server's URL for database `postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the server is running (it was created or started, and not stopped since).
    pub fn is_running(&self) -> bool {
        self.service.is_some()
    }

    /// Starts the server (again) on the cluster's port; does nothing when it runs.
    pub fn start(&mut self) {
        if self.service.is_some() {
            return;
        }
        let mut args: Vec<String> = vec![
            "-D".into(),
            self.dir.join("data").display().to_string(),
            "-p".into(),
            self.port.to_string(),
            "-h".into(),
            "127.0.0.1".into(),
            "-k".into(),
            self.dir.display().to_string(),
            "-c".into(),
            "max_connections=200".into(),
        ];
        if let Some((cert, key)) = &self.tls {
            for setting in [
                "ssl=on".to_owned(),
                format!("ssl_cert_file={}", cert.display()),
                format!("ssl_key_file={}", key.display()),
            ] {
                args.extend(["-c".to_owned(), setting]);
            }
        }
        let (program, args) = as_service_user(&self.bin.join("postgres"), args);
        // SIGINT is PostgreSQL's fast shutdown: it ends open sessions instead of waiting for them (SIGTERM).
        self.service = Some(process::start_owned("postgres", &program, &args, self.port, "INT"));
        self.wait_until_ready();
    }

    /// Waits until the server accepts sessions: it listens a moment before it has finished starting up.
    fn wait_until_ready(&self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .status()
                .is_ok_and(|status| status.success());
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL on port {} did not finish starting within {READY_TIMEOUT:?}; see its log under {}",
                self.port,
                state_dir().display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server and waits until it has exited; its data stays for [`Cluster::start`].
    pub fn stop(&mut self) {
        if let Some(service) = self.service.take() {
            service.stop();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The newest installed PostgreSQL's programs: Debian's `/usr/lib/postgresql/<major>/bin`, else `initdb` on PATH.
fn find_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).or_else(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).find(|dir| dir.join("initdb").is_file())
    })
}

/// A new, empty folder for one cluster, owned by the account the server runs as. Named after this process, so
/// that folders left by test processes that died are recognised and removed. Its absolute path appears on the
/// server's command line, which `.ci/leftovers` looks for.
fn new_cluster_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let root = state_dir().join("postgres");
    fs::create_dir_all(&root).unwrap_or_else(|e| panic!("cannot create {}: {e}", root.display()));
    let root = root.canonicalize().unwrap_or(root);
    remove_dead_clusters(&root);
    let pid = std::process::id();
    let dir = root.join(format!("{pid}-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    if let Some((uid, gid)) = service_account() {
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
            .unwrap_or_else(|e| panic!("cannot give {} to the {SERVICE_USER} user: {e}", dir.display()));
    }
    dir
}

/// Writes `contents` to `path` with `mode`, owned by the account the server runs as.
fn write_service_file(path: &Path, contents: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::write(path, contents).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("cannot set the mode of {}: {e}", path.display()));
    if let Some((uid, gid)) = service_account() {
        std::os::unix::fs::chown(path, Some(uid), Some(gid))
            .unwrap_or_else(|e| panic!("cannot give {} to the {SERVICE_USER} user: {e}", path.display()));
    }
}

/// Removes cluster folders whose test process is gone (their servers were stopped with it).
fn remove_dead_clusters(root: &Path) {
    for entry in fs::read_dir(root).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.split('-').next()) else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// The `postgres` account's uid and gid when this process runs as root (PostgreSQL will not); `None` otherwise.
fn service_account() -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").arg(flag).arg(SERVICE_USER).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    let me = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&me.stdout).trim() != "0" {
        return None;
    }
    Some((
        id("-u")
            .unwrap_or_else(|| panic!("the tests run as root and there is no {SERVICE_USER} user: run {INSTALLER}")),
        id("-g")?,
    ))
}

/// `program args`, run as the service account when we are root (through `setpriv`, which execs, so that signals
/// reach the program itself).
fn as_service_user(program: &Path, args: Vec<String>) -> (PathBuf, Vec<String>) {
    match service_account() {
        None => (program.to_owned(), args),
        Some((uid, gid)) => {
            let mut wrapped = vec![
                format!("--reuid={uid}"),
                format!("--regid={gid}"),
                "--clear-groups".to_owned(),
                "--".to_owned(),
                program.display().to_string(),
            ];
            wrapped.extend(args);
            (PathBuf::from("setpriv"), wrapped)
        }
    }
}

fn run_as_service_user(command: &mut Command, what: &str) {
    let program = PathBuf::from(command.get_program());
    let args = command.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    let (program, args) = as_service_user(&program, args);
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}
