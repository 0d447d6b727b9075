//! A fresh database on the project's test PostgreSQL server, started on first use by
//! `scripts/postgres/test-server.sh` (which installs the server when it is missing).

#![allow(dead_code)] // not every test binary uses every helper

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The URL of a new, empty database.
pub fn database() -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/postgres/test-server.sh");
    let out = std::process::Command::new(script).output().unwrap();
    assert!(
        out.status.success(),
        "the test PostgreSQL server did not start: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = String::from_utf8(out.stdout).unwrap().trim().to_string();
    static N: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "journal_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    // The synchronous client runs a runtime of its own: keep it off any test's runtime.
    let admin = server.clone();
    let create = name.clone();
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        c.batch_execute(&format!("CREATE DATABASE {create}"))
            .unwrap();
    })
    .join()
    .unwrap();
    format!("{}/{name}", server.rsplit_once('/').unwrap().0)
}

/// Ends every other session on the database at `url`, as a server restart or an
/// administrator would. Blocking: call it off the async runtime.
pub fn terminate_sessions(url: &str) {
    let mut admin = postgres::Client::connect(url, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .unwrap();
}
