//! The keeper's journal: SQLite in WAL mode, one file. Pools seen, scores with their reasons,
//! decisions, orders (with the signed transaction, written *before* it is sent), fills and NAV
//! snapshots. A restarted keeper reads its open orders and its cursor from here, so nothing is
//! lost and nothing is sent twice.

use crate::detect::DetectedPool;
use crate::score::SafetyReport;
use anyhow::{Context, Result};
use rusqlite::{params, Connection, OptionalExtension};
use solana_sdk::pubkey::Pubkey;
use std::path::Path;
use std::str::FromStr;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pools (
    pool TEXT PRIMARY KEY, venue TEXT NOT NULL, program_id TEXT NOT NULL,
    base_mint TEXT NOT NULL, quote_mint TEXT, lp_mint TEXT, creator TEXT,
    signature TEXT, slot INTEGER NOT NULL, seen_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS scores (
    pool TEXT NOT NULL, mint TEXT NOT NULL, score INTEGER NOT NULL,
    report TEXT NOT NULL, scored_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, pool TEXT, mint TEXT,
    action TEXT NOT NULL, reason TEXT NOT NULL, amount INTEGER
);
CREATE TABLE IF NOT EXISTS orders (
    order_id INTEGER PRIMARY KEY, decision_id INTEGER, kind TEXT NOT NULL, mint TEXT,
    amount INTEGER NOT NULL, min_out INTEGER NOT NULL, signature TEXT NOT NULL,
    tx BLOB NOT NULL, last_valid_height INTEGER NOT NULL, status TEXT NOT NULL,
    error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_open ON orders(status);
CREATE TABLE IF NOT EXISTS fills (
    order_id INTEGER PRIMARY KEY, mint TEXT NOT NULL, side TEXT NOT NULL,
    base_amount INTEGER NOT NULL, token_amount INTEGER NOT NULL,
    realized_pnl INTEGER NOT NULL, at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS nav (
    at INTEGER NOT NULL, nav INTEGER NOT NULL, idle INTEGER NOT NULL,
    positions INTEGER NOT NULL, realized_pnl INTEGER NOT NULL
);
"#;

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    /// Signed and journaled; may or may not have reached the cluster.
    Sent,
    /// Landed and succeeded.
    Filled,
    /// Landed and failed (the vault or a program refused it).
    Rejected,
    /// Its blockhash expired without it landing: it can never land.
    Expired,
    /// Simulation failed; never sent.
    SimulationFailed,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Filled => "filled",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
            Self::SimulationFailed => "simulation_failed",
        }
    }
}

/// An order as journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRow {
    pub order_id: u64,
    pub kind: String,
    pub mint: Option<Pubkey>,
    pub amount: u64,
    pub min_out: u64,
    pub signature: String,
    pub tx: Vec<u8>,
    pub last_valid_height: u64,
}

/// A fill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillRow {
    pub order_id: u64,
    pub mint: Pubkey,
    pub side: &'static str,
    pub base_amount: u64,
    pub token_amount: u64,
    pub realized_pnl: i64,
    pub at: i64,
}

pub struct Journal {
    db: Connection,
}

impl Journal {
    /// Opens (creating if needed) the journal at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
        }
        let db = Connection::open(path)
            .with_context(|| format!("opening journal {}", path.display()))?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a committed row survives a power cut, not just a process kill.
        db.pragma_update(None, "synchronous", "FULL")?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        db.execute_batch(SCHEMA)?;
        Ok(Self { db })
    }

    /// An in-memory journal (benchmarks).
    pub fn memory() -> Result<Self> {
        let db = Connection::open_in_memory()?;
        db.execute_batch(SCHEMA)?;
        Ok(Self { db })
    }

    pub fn get_meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .db
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Records a pool; returns false when it was already known.
    pub fn record_pool(&self, p: &DetectedPool, slot: u64, seen_at: i64) -> Result<bool> {
        let opt = |k: &Option<Pubkey>| k.map(|k| k.to_string());
        let n = self.db.execute(
            "INSERT OR IGNORE INTO pools VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                p.pool.to_string(),
                p.venue,
                p.program_id.to_string(),
                p.base_mint.to_string(),
                opt(&p.quote_mint),
                opt(&p.lp_mint),
                opt(&p.creator),
                p.signature,
                slot as i64,
                seen_at
            ],
        )?;
        Ok(n == 1)
    }

    pub fn pool_count(&self) -> Result<u64> {
        Ok(self
            .db
            .query_row("SELECT COUNT(*) FROM pools", [], |r| r.get::<_, i64>(0))? as u64)
    }

    pub fn record_score(
        &self,
        pool: &Pubkey,
        mint: &Pubkey,
        report: &SafetyReport,
        at: i64,
    ) -> Result<()> {
        self.db.execute(
            "INSERT INTO scores VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                pool.to_string(),
                mint.to_string(),
                report.score as i64,
                serde_json::to_string(report)?,
                at
            ],
        )?;
        Ok(())
    }

    pub fn record_decision(
        &self,
        at: i64,
        pool: Option<&Pubkey>,
        mint: Option<&Pubkey>,
        action: &str,
        reason: &str,
        amount: Option<u64>,
    ) -> Result<i64> {
        self.db.execute(
            "INSERT INTO decisions(at, pool, mint, action, reason, amount)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                at,
                pool.map(|k| k.to_string()),
                mint.map(|k| k.to_string()),
                action,
                reason,
                amount.map(|a| a as i64)
            ],
        )?;
        Ok(self.db.last_insert_rowid())
    }

    /// Journals a signed order before it is sent. Fails if the order id was used before.
    pub fn record_order(&self, o: &OrderRow, decision_id: Option<i64>, at: i64) -> Result<()> {
        self.db.execute(
            "INSERT INTO orders VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'sent', NULL, ?10, ?10)",
            params![
                o.order_id as i64,
                decision_id,
                o.kind,
                o.mint.map(|k| k.to_string()),
                o.amount as i64,
                o.min_out as i64,
                o.signature,
                o.tx,
                o.last_valid_height as i64,
                at
            ],
        )?;
        Ok(())
    }

    /// Replaces a sent order's transaction (a re-signed attempt of the same order id after
    /// the previous one provably expired).
    pub fn replace_order_tx(
        &self,
        order_id: u64,
        signature: &str,
        tx: &[u8],
        last_valid_height: u64,
        at: i64,
    ) -> Result<()> {
        self.db.execute(
            "UPDATE orders SET signature = ?2, tx = ?3, last_valid_height = ?4, status = 'sent',
             updated_at = ?5 WHERE order_id = ?1",
            params![order_id as i64, signature, tx, last_valid_height as i64, at],
        )?;
        Ok(())
    }

    pub fn set_order_status(
        &self,
        order_id: u64,
        status: OrderStatus,
        error: Option<&str>,
        at: i64,
    ) -> Result<()> {
        self.db.execute(
            "UPDATE orders SET status = ?2, error = ?3, updated_at = ?4 WHERE order_id = ?1",
            params![order_id as i64, status.as_str(), error, at],
        )?;
        Ok(())
    }

    /// Orders sent whose outcome is not known yet, oldest first.
    pub fn open_orders(&self) -> Result<Vec<OrderRow>> {
        let mut st = self.db.prepare(
            "SELECT order_id, kind, mint, amount, min_out, signature, tx, last_valid_height
             FROM orders WHERE status = 'sent' ORDER BY order_id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(OrderRow {
                order_id: r.get::<_, i64>(0)? as u64,
                kind: r.get(1)?,
                mint: r
                    .get::<_, Option<String>>(2)?
                    .and_then(|s| Pubkey::from_str(&s).ok()),
                amount: r.get::<_, i64>(3)? as u64,
                min_out: r.get::<_, i64>(4)? as u64,
                signature: r.get(5)?,
                tx: r.get(6)?,
                last_valid_height: r.get::<_, i64>(7)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn order_status(&self, order_id: u64) -> Result<Option<String>> {
        Ok(self
            .db
            .query_row(
                "SELECT status FROM orders WHERE order_id = ?1",
                [order_id as i64],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The highest order id ever journaled (0 when none).
    pub fn max_order_id(&self) -> Result<u64> {
        Ok(self
            .db
            .query_row("SELECT COALESCE(MAX(order_id), 0) FROM orders", [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    pub fn count_orders(&self, status: OrderStatus) -> Result<u64> {
        Ok(self.db.query_row(
            "SELECT COUNT(*) FROM orders WHERE status = ?1",
            [status.as_str()],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    pub fn record_fill(&self, f: &FillRow) -> Result<()> {
        self.db.execute(
            "INSERT OR IGNORE INTO fills VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                f.order_id as i64,
                f.mint.to_string(),
                f.side,
                f.base_amount as i64,
                f.token_amount as i64,
                f.realized_pnl,
                f.at
            ],
        )?;
        Ok(())
    }

    pub fn fills(&self) -> Result<Vec<FillRow>> {
        let mut st = self.db.prepare(
            "SELECT order_id, mint, side, base_amount, token_amount, realized_pnl, at
             FROM fills ORDER BY at, order_id",
        )?;
        let rows = st.query_map([], |r| {
            let side: String = r.get(2)?;
            Ok(FillRow {
                order_id: r.get::<_, i64>(0)? as u64,
                mint: Pubkey::from_str(&r.get::<_, String>(1)?).unwrap_or_default(),
                side: if side == "buy" { "buy" } else { "sell" },
                base_amount: r.get::<_, i64>(3)? as u64,
                token_amount: r.get::<_, i64>(4)? as u64,
                realized_pnl: r.get(5)?,
                at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn record_nav(
        &self,
        at: i64,
        nav: u64,
        idle: u64,
        positions: u64,
        realized: i64,
    ) -> Result<()> {
        self.db.execute(
            "INSERT INTO nav VALUES (?1, ?2, ?3, ?4, ?5)",
            params![at, nav as i64, idle as i64, positions as i64, realized],
        )?;
        Ok(())
    }

    /// Runs `f` inside one transaction (one fsync for many rows).
    pub fn batch<T>(&mut self, f: impl FnOnce(&Journal) -> Result<T>) -> Result<T> {
        self.db.execute_batch("BEGIN")?;
        match f(self) {
            Ok(v) => {
                self.db.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.db.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: u8) -> DetectedPool {
        DetectedPool {
            venue: "local_amm",
            program_id: Pubkey::new_from_array([1; 32]),
            pool: Pubkey::new_from_array([n; 32]),
            base_mint: Pubkey::new_from_array([2; 32]),
            quote_mint: None,
            lp_mint: None,
            creator: Some(Pubkey::new_from_array([3; 32])),
            signature: Some("sig".into()),
        }
    }

    fn order(id: u64) -> OrderRow {
        OrderRow {
            order_id: id,
            kind: "buy".into(),
            mint: Some(Pubkey::new_from_array([9; 32])),
            amount: 10,
            min_out: 9,
            signature: format!("s{id}"),
            tx: vec![1, 2, 3],
            last_valid_height: 150,
        }
    }

    #[test]
    fn everything_survives_a_reopen_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/j.sqlite");
        {
            let j = Journal::open(&path).unwrap();
            assert!(j.record_pool(&pool(5), 10, 100).unwrap());
            assert!(!j.record_pool(&pool(5), 11, 101).unwrap(), "seen once");
            j.record_order(&order(1), None, 100).unwrap();
            j.record_order(&order(2), None, 100).unwrap();
            j.set_order_status(1, OrderStatus::Filled, None, 101)
                .unwrap();
            j.set_meta("cursor", "42").unwrap();
        }
        let j = Journal::open(&path).unwrap();
        let mode: String =
            j.db.query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(j.pool_count().unwrap(), 1);
        assert_eq!(j.open_orders().unwrap(), vec![order(2)]);
        assert_eq!(j.max_order_id().unwrap(), 2);
        assert_eq!(j.get_meta("cursor").unwrap().as_deref(), Some("42"));
        assert_eq!(j.order_status(1).unwrap().as_deref(), Some("filled"));
    }

    #[test]
    fn an_order_id_is_journaled_once() {
        let j = Journal::memory().unwrap();
        j.record_order(&order(7), None, 0).unwrap();
        assert!(j.record_order(&order(7), None, 0).is_err());
        // A re-signed attempt replaces the transaction of the same order.
        j.replace_order_tx(7, "again", &[9], 300, 1).unwrap();
        let o = j.open_orders().unwrap().remove(0);
        assert_eq!((o.signature.as_str(), o.last_valid_height), ("again", 300));
    }

    #[test]
    fn a_failed_batch_leaves_nothing_behind() {
        let mut j = Journal::memory().unwrap();
        let r: Result<()> = j.batch(|j| {
            j.record_pool(&pool(1), 1, 1)?;
            anyhow::bail!("crash in the middle")
        });
        assert!(r.is_err());
        assert_eq!(j.pool_count().unwrap(), 0);
        j.batch(|j| j.record_pool(&pool(1), 1, 1).map(|_| ()))
            .unwrap();
        assert_eq!(j.pool_count().unwrap(), 1);
    }

    #[test]
    fn fills_are_recorded_once_per_order() {
        let j = Journal::memory().unwrap();
        let f = FillRow {
            order_id: 3,
            mint: Pubkey::new_from_array([4; 32]),
            side: "sell",
            base_amount: 100,
            token_amount: 50,
            realized_pnl: -7,
            at: 9,
        };
        j.record_fill(&f).unwrap();
        j.record_fill(&f).unwrap();
        assert_eq!(j.fills().unwrap(), vec![f]);
    }
}
