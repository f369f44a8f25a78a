//! TLS to a real PostgreSQL server with `ssl=on` and a certificate made here, signed by a CA made here and named
//! `localhost` only: `verify-full` connects with that CA and refuses another CA or a host the certificate does not
//! name, `verify-ca` accepts any name, `require` encrypts without a CA (and checks one when given) and refuses a
//! server without TLS, `prefer` and `disable` behave as in libpq. The server's own statistics (`pg_stat_ssl`) say
//! whether a connection is encrypted.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use queue::{PostgresStore, QueueError, Store};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use testbed::postgres::{Cluster, server_url};

use crate::support::job;

/// A server with TLS on for this test binary, and the files of the CA that signed its certificate and of another.
struct TlsServer {
    port: u16,
    right_ca: PathBuf,
    wrong_ca: PathBuf,
    _files: tempfile::TempDir,
}

/// A new CA: its certificate (PEM) and what signs with it.
fn new_ca() -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(params, key))
}

fn server() -> &'static TlsServer {
    static SERVER: OnceLock<TlsServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let (ca_pem, ca) = new_ca();
        let (other_ca_pem, _) = new_ca();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let cluster = Cluster::create_tls(&cert.pem(), &key.serialize_pem());
        let files = tempfile::tempdir().unwrap();
        let right_ca = files.path().join("ca.pem");
        let wrong_ca = files.path().join("other-ca.pem");
        std::fs::write(&right_ca, ca_pem).unwrap();
        std::fs::write(&wrong_ca, other_ca_pem).unwrap();
        let port = cluster.port();
        // Kept for the life of the process: its watchdog stops the server when the process ends.
        std::mem::forget(cluster);
        TlsServer {
            port,
            right_ca,
            wrong_ca,
            _files: files,
        }
    })
}

/// Runs `sql` over a plain connection to the TLS server's `postgres` database; returns the rows.
async fn admin(sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> Vec<tokio_postgres::Row> {
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", server().port);
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    let connection = tokio::spawn(connection);
    let rows = client.query(sql, params).await.unwrap();
    drop(client);
    let _ = connection.await;
    rows
}

/// A new database on the TLS server, and its name.
async fn fresh_tls_database() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("tls_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    admin(&format!("CREATE DATABASE {name}"), &[]).await;
    name
}

/// The TLS server's URL for `database` at `host`, with `parameters`.
fn url(host: &str, database: &str, parameters: &str) -> String {
    format!("postgres://postgres@{host}:{}/{database}?{parameters}", server().port)
}

/// Whether every open connection to `database` is encrypted, as the server sees them (there must be one).
async fn encrypted(database: &str) -> bool {
    let rows = admin(
        "SELECT ssl FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE datname = $1",
        &[&database],
    )
    .await;
    assert!(!rows.is_empty(), "the store keeps a connection open");
    rows.iter().all(|row| row.get::<_, bool>(0))
}

/// Connects a store to a new database on the TLS server at `host` with `parameters`.
async fn connect(host: &str, parameters: &str) -> (String, Result<PostgresStore, QueueError>) {
    let database = fresh_tls_database().await;
    let store = PostgresStore::connect(&url(host, &database, parameters), 10).await;
    (database, store)
}

/// Connects as [`connect`] does, checks that the store works, and says whether its connections are encrypted.
async fn works_encrypted(host: &str, parameters: &str) -> bool {
    let (database, store) = connect(host, parameters).await;
    let store = store.unwrap_or_else(|e| panic!("{parameters}: {e}"));
    store.enqueue(job(1)).await.unwrap();
    let claimed = store.claim(Duration::from_secs(30)).await.unwrap();
    assert!(claimed.is_some(), "the stored job is claimed");
    encrypted(&database).await
}

/// Why connecting as [`connect`] does was refused.
async fn refusal(host: &str, parameters: &str) -> String {
    match connect(host, parameters).await.1 {
        Ok(_) => panic!("{parameters}: the connection should have been refused"),
        Err(error) => error.to_string(),
    }
}

fn with_ca(mode: &str, ca: &std::path::Path) -> String {
    format!("sslmode={mode}&sslrootcert={}", ca.display())
}

#[tokio::test]
async fn verify_full_with_the_servers_ca_connects_encrypted() {
    assert!(works_encrypted("localhost", &with_ca("verify-full", &server().right_ca)).await);
}

#[tokio::test]
async fn verify_full_refuses_a_certificate_of_another_ca_and_says_what_to_check() {
    let error = refusal("localhost", &with_ca("verify-full", &server().wrong_ca)).await;
    assert!(
        error.contains("invalid peer certificate") && error.contains("sslrootcert"),
        "{error}"
    );
}

#[tokio::test]
async fn verify_full_without_a_root_file_trusts_only_the_systems_cas() {
    let error = refusal("localhost", "sslmode=verify-full").await;
    // A machine without any trusted CA is told to name one.
    assert!(
        error.contains("invalid peer certificate") || error.contains("no trusted CA certificates"),
        "{error}"
    );
}

#[tokio::test]
async fn verify_full_refuses_a_host_the_certificate_does_not_name_and_verify_ca_accepts_it() {
    let error = refusal("127.0.0.1", &with_ca("verify-full", &server().right_ca)).await;
    assert!(
        error.contains("not valid for name") && error.contains("verify-full"),
        "{error}"
    );
    assert!(works_encrypted("127.0.0.1", &with_ca("verify-ca", &server().right_ca)).await);
}

#[tokio::test]
async fn require_encrypts_without_a_ca_and_refuses_a_server_without_tls() {
    assert!(works_encrypted("127.0.0.1", "sslmode=require").await);
    let error = refusal("127.0.0.1", &with_ca("require", &server().wrong_ca)).await;
    assert!(
        error.contains("invalid peer certificate"),
        "with sslrootcert, require checks the CA as libpq does: {error}"
    );
    let plain = format!("{}?sslmode=require", server_url());
    let error = match PostgresStore::connect(&plain, 10).await {
        Ok(_) => panic!("a server without TLS was accepted with sslmode=require"),
        Err(error) => error.to_string(),
    };
    assert!(
        error.contains("does not support TLS") && error.contains("sslmode"),
        "{error}"
    );
}

#[tokio::test]
async fn prefer_encrypts_when_the_server_can_and_disable_never_does() {
    assert!(works_encrypted("127.0.0.1", "sslmode=prefer").await);
    assert!(!works_encrypted("127.0.0.1", "sslmode=disable").await);
}
