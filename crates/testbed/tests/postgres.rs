//! The PostgreSQL testbed: a throwaway cluster answers SQL, keeps its data across a stop and a start on the same
//! port, and leaves nothing running or on disk once dropped.

use std::net::TcpStream;
use std::process::Command;

use testbed::postgres::{self, Cluster};

/// Runs `sql` with `psql` against `url` and returns what it printed (unaligned, tuples only).
fn psql(url: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .args([url, "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
        .output()
        .expect("run psql");
    assert!(
        output.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
fn the_shared_server_answers_sql() {
    let url = postgres::server_url();
    assert_eq!(psql(&url, "SELECT 40 + 2"), "42");
    assert_eq!(postgres::server_url(), url, "one server per test binary");
}

#[test]
fn fresh_databases_are_empty_and_apart() {
    let first = postgres::fresh_database();
    let second = postgres::fresh_database();
    assert_ne!(first, second);
    psql(&first, "CREATE TABLE mine (n int)");
    assert_eq!(
        psql(&second, "SELECT count(*) FROM pg_tables WHERE tablename = 'mine'"),
        "0",
        "a table in one database is not in the other"
    );
}

#[test]
fn a_cluster_keeps_its_data_across_a_restart_and_is_gone_once_dropped() {
    let mut cluster = Cluster::create();
    let url = cluster.url();
    psql(&url, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)");

    cluster.stop();
    assert!(!cluster.is_running());
    assert!(
        TcpStream::connect(("127.0.0.1", cluster.port())).is_err(),
        "a stopped server does not answer"
    );
    cluster.start();
    assert_eq!(psql(&url, "SELECT n FROM kept"), "7");

    let port = cluster.port();
    drop(cluster);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "a dropped cluster's server has stopped"
    );
}
