//! The PostgreSQL store of the journal: one connection, owned by one thread.
//!
//! The synchronous client runs its own small runtime, which may not be started from inside
//! the keeper's; so the connection lives on a thread of its own and each statement is handed
//! to it. The caller waits for the answer, exactly as it waits on SQLite.

use super::{Cell, Val};
use crate::chain::endpoints::redact;
use anyhow::{anyhow, Context, Result};
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};
use std::sync::mpsc;

type Job = Box<dyn FnOnce(&mut Client) + Send>;

pub(super) struct Pg {
    jobs: mpsc::Sender<Job>,
}

pub fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

fn boxed(v: Val) -> Box<dyn ToSql + Sync + Send> {
    match v {
        Val::I(v) => Box::new(v),
        Val::OptI(v) => Box::new(v),
        Val::T(v) => Box::new(v),
        Val::OptT(v) => Box::new(v),
        Val::B(v) => Box::new(v),
    }
}

/// Calls `f` with `params` as the client takes them.
fn with_refs<R>(params: Vec<Val>, f: impl FnOnce(&[&(dyn ToSql + Sync)]) -> R) -> R {
    let owned: Vec<_> = params.into_iter().map(boxed).collect();
    let refs: Vec<&(dyn ToSql + Sync)> = owned
        .iter()
        .map(|b| b.as_ref() as &(dyn ToSql + Sync))
        .collect();
    f(&refs)
}

fn cells(row: &postgres::Row) -> Result<Vec<Cell>> {
    let mut out = Vec::with_capacity(row.len());
    for (i, c) in row.columns().iter().enumerate() {
        let t = c.type_();
        let cell = if *t == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)?.map(Cell::Int)
        } else if *t == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)?
                .map(|v| Cell::Int(v.into()))
        } else if *t == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)?.map(Cell::Bool)
        } else if *t == Type::BYTEA {
            row.try_get::<_, Option<Vec<u8>>>(i)?.map(Cell::Bytes)
        } else {
            row.try_get::<_, Option<String>>(i)?.map(Cell::Text)
        };
        out.push(cell.unwrap_or(Cell::Null));
    }
    Ok(out)
}

impl Pg {
    /// Connects to `url`; errors name the server by scheme and host only.
    pub(super) fn connect(url: &str) -> Result<Self> {
        let shown = redact(url);
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready, connected) = mpsc::channel::<Result<()>>();
        let url = url.to_string();
        std::thread::Builder::new()
            .name("journal-postgres".into())
            .spawn(move || {
                let mut client = match Client::connect(&url, NoTls) {
                    Ok(c) => c,
                    Err(e) => {
                        // The error may quote the URL's password: keep its kind only.
                        let why = e
                            .as_db_error()
                            .map(|d| d.message().to_string())
                            .unwrap_or_else(|| "the server cannot be reached".into());
                        let _ = ready.send(Err(anyhow!("{why}")));
                        return;
                    }
                };
                let _ = ready.send(Ok(()));
                for job in inbox {
                    job(&mut client);
                }
            })
            .context("starting the journal's connection thread")?;
        connected
            .recv()
            .map_err(|_| anyhow!("the journal's connection thread ended"))?
            .with_context(|| format!("connecting to the journal at {shown}"))?;
        Ok(Self { jobs })
    }

    fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        let (tx, rx) = mpsc::channel();
        self.jobs
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| anyhow!("the journal's connection is closed"))?;
        rx.recv()
            .map_err(|_| anyhow!("the journal's connection is closed"))?
    }

    /// Creates the tables. Replicas starting together take turns (a transaction-scoped
    /// advisory lock), as concurrent `CREATE TABLE IF NOT EXISTS` can collide.
    pub(super) fn setup(&self, schema: &'static str) -> Result<()> {
        self.run(move |c| {
            let mut t = c.transaction()?;
            t.execute("SELECT pg_advisory_xact_lock(7261)", &[])?;
            t.batch_execute(schema)?;
            t.commit()?;
            Ok(())
        })
        .context("creating the journal's tables")
    }

    pub(super) fn exec(&self, sql: String, params: Vec<Val>) -> Result<u64> {
        self.run(move |c| with_refs(params, |p| Ok(c.execute(sql.as_str(), p)?)))
    }

    pub(super) fn rows(&self, sql: String, params: Vec<Val>) -> Result<Vec<Vec<Cell>>> {
        self.run(move |c| {
            with_refs(params, |p| {
                c.query(sql.as_str(), p)?.iter().map(cells).collect()
            })
        })
    }

    pub(super) fn batch(&self, sql: String) -> Result<()> {
        self.run(move |c| Ok(c.batch_execute(&sql)?))
    }
}
