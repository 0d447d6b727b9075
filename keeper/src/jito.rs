//! Sending orders through a Jito block engine as single-transaction bundles, with a tip that
//! follows the market.
//!
//! The tip is a plain SOL transfer to one of the block engine's published tip accounts, placed
//! inside the order's own transaction: it is simulated with the order, journaled with it, and
//! paid only if the order lands. Its size is a percentile of the tips that recently landed
//! (the block engine's tip-floor report), kept between a floor and a cap. Transactions without
//! a tip (NAV marks and other cranks) go to the RPC endpoints as before.

use anyhow::{anyhow, Context, Result};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use solana_sdk::instruction::{AccountMeta, Instruction};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::transaction::VersionedTransaction;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The tip accounts the Jito block engines publish (mainnet).
pub const TIP_ACCOUNTS: [Pubkey; 8] = [
    Pubkey::from_str_const("96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5"),
    Pubkey::from_str_const("HFqU5x63VTqvQss8hp11i4wVV8bD44PvwucfZ2bU7gRe"),
    Pubkey::from_str_const("Cw8CFyM9FkoMi7K7Crf6HNQqf4uEMzpKw6QNghXLvLkY"),
    Pubkey::from_str_const("ADaUMid9yfUytqMBgopwjb2DTLSokTSzL1zt6iGPaS49"),
    Pubkey::from_str_const("DfXygSm4jCyNCybVYYK6DwvWqjKee8pbDmJGcLWNDXjh"),
    Pubkey::from_str_const("ADuUkR4vqLUMWXxW9gh6D6L8pMSawimctcNZ5pGwDcEt"),
    Pubkey::from_str_const("DttWaMuVvTiduZRnguLF7jNxTgiMBZ1hyAumKUiL2KRL"),
    Pubkey::from_str_const("3AVi9Tg9Uo68tJfuvoKvqKNWKkC5wPdSSdeBnizKZ6jT"),
];

/// The tip-floor report's percentiles.
pub const TIP_PERCENTILES: [u8; 5] = [25, 50, 75, 95, 99];

/// How long a tip-floor report is used before it is fetched again.
const TIP_FLOOR_TTL: Duration = Duration::from_secs(10);
const LAMPORTS_PER_SOL: f64 = 1_000_000_000.0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JitoConfig {
    /// Block engine base URL (`https://mainnet.block-engine.jito.wtf`).
    pub block_engine: String,
    /// The tip-floor report (`https://bundles.jito.wtf/api/v1/bundles/tip_floor`).
    pub tip_floor: String,
    /// Which percentile of recently landed tips to pay: 25, 50, 75, 95 or 99.
    pub tip_percentile: u8,
    pub min_tip_lamports: u64,
    pub max_tip_lamports: u64,
}

/// What the sender has done, for metrics.
#[derive(Debug, Default)]
pub struct JitoStats {
    pub bundles_sent: AtomicU64,
    pub bundle_errors: AtomicU64,
    pub last_tip_lamports: AtomicU64,
}

pub struct Jito {
    pub cfg: JitoConfig,
    http: reqwest::Client,
    /// The last report's tip at the configured percentile, lamports, and when it was read.
    floor: Mutex<Option<(Instant, u64)>>,
    next_account: AtomicUsize,
    pub stats: JitoStats,
}

/// The tip in lamports at `percentile` in a tip-floor report (an array holding one object of
/// `landed_tips_<p>th_percentile` fields in SOL).
pub fn tip_from_report(report: &Value, percentile: u8) -> Option<u64> {
    let entry = report.get(0).unwrap_or(report);
    let sol = entry[format!("landed_tips_{percentile}th_percentile")].as_f64()?;
    (sol.is_finite() && sol >= 0.0).then(|| (sol * LAMPORTS_PER_SOL).ceil() as u64)
}

/// Whether `tx` pays a tip: it names a tip account.
pub fn is_tipped(tx: &VersionedTransaction) -> bool {
    tx.message
        .static_account_keys()
        .iter()
        .any(|k| TIP_ACCOUNTS.contains(k))
}

impl Jito {
    pub fn new(cfg: JitoConfig) -> Result<Self> {
        Ok(Self {
            cfg,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .connect_timeout(Duration::from_secs(5))
                .build()
                .context("building the block engine's HTTP client")?,
            floor: Mutex::new(None),
            next_account: AtomicUsize::new(0),
            stats: JitoStats::default(),
        })
    }

    /// The tip to pay now, lamports. A failed report read falls back to the last one read, or
    /// to the floor: a tip is never skipped, and never above the cap.
    pub async fn tip(&self) -> u64 {
        let cached = *self.floor.lock().expect("tip cache");
        let fresh = cached.filter(|(at, _)| at.elapsed() < TIP_FLOOR_TTL);
        let seen = match fresh {
            Some((_, t)) => Some(t),
            None => match self.read_floor().await {
                Ok(t) => {
                    *self.floor.lock().expect("tip cache") = Some((Instant::now(), t));
                    Some(t)
                }
                Err(e) => {
                    tracing::warn!("tip floor: {e:#}");
                    cached.map(|(_, t)| t)
                }
            },
        };
        let tip = seen
            .unwrap_or(0)
            .clamp(self.cfg.min_tip_lamports, self.cfg.max_tip_lamports);
        self.stats.last_tip_lamports.store(tip, Ordering::Relaxed);
        tip
    }

    async fn read_floor(&self) -> Result<u64> {
        let v: Value = self
            .http
            .get(&self.cfg.tip_floor)
            .send()
            .await
            .map_err(|_| anyhow!("the tip-floor report is unreachable"))?
            .error_for_status()
            .map_err(|e| anyhow!("the tip-floor report answered {:?}", e.status()))?
            .json()
            .await
            .map_err(|_| anyhow!("the tip-floor report is not JSON"))?;
        tip_from_report(&v, self.cfg.tip_percentile).ok_or_else(|| {
            anyhow!(
                "the tip-floor report has no landed_tips_{}th_percentile",
                self.cfg.tip_percentile
            )
        })
    }

    /// A transfer of `lamports` from `payer` to the next tip account (they rotate, so orders
    /// do not all write-lock the same one).
    pub fn tip_instruction(&self, payer: &Pubkey, lamports: u64) -> Instruction {
        let i = self.next_account.fetch_add(1, Ordering::Relaxed) % TIP_ACCOUNTS.len();
        // System program Transfer: u32 index 2, then the u64 amount, little-endian.
        let mut data = Vec::with_capacity(12);
        data.extend_from_slice(&2u32.to_le_bytes());
        data.extend_from_slice(&lamports.to_le_bytes());
        Instruction {
            program_id: anchor_lang::system_program::ID,
            accounts: vec![
                AccountMeta::new(*payer, true),
                AccountMeta::new(TIP_ACCOUNTS[i], false),
            ],
            data,
        }
    }

    /// Sends `tx` as a one-transaction bundle; returns the bundle id.
    pub async fn send(&self, tx: &VersionedTransaction) -> Result<String> {
        let bytes = flashforge_tests::versioned_bytes(tx);
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "sendBundle",
            "params": [[base64::engine::general_purpose::STANDARD.encode(bytes)], {"encoding": "base64"}]});
        let url = format!(
            "{}/api/v1/bundles",
            self.cfg.block_engine.trim_end_matches('/')
        );
        let r = async {
            let resp = self
                .http
                .post(&url)
                .json(&body)
                .send()
                .await
                .map_err(|_| anyhow!("the block engine is unreachable"))?;
            let status = resp.status();
            let v: Value = resp
                .json()
                .await
                .map_err(|_| anyhow!("the block engine answered HTTP {status} without JSON"))?;
            if let Some(e) = v.get("error") {
                return Err(anyhow!(
                    "the block engine refused the bundle: {}",
                    e["message"]
                ));
            }
            v["result"].as_str().map(String::from).ok_or_else(|| {
                anyhow!("the block engine answered HTTP {status} without a bundle id")
            })
        }
        .await;
        match &r {
            Ok(_) => self.stats.bundles_sent.fetch_add(1, Ordering::Relaxed),
            Err(_) => self.stats.bundle_errors.fetch_add(1, Ordering::Relaxed),
        };
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tip_is_read_at_the_chosen_percentile_in_lamports() {
        let report = json!([{
            "time": "2026-12-02T08:00:00Z",
            "landed_tips_25th_percentile": 0.000001,
            "landed_tips_50th_percentile": 0.00001,
            "landed_tips_75th_percentile": 0.0000512,
            "landed_tips_95th_percentile": 0.0011,
            "landed_tips_99th_percentile": 0.012,
            "ema_landed_tips_50th_percentile": 0.000011
        }]);
        assert_eq!(tip_from_report(&report, 25), Some(1_000));
        assert_eq!(tip_from_report(&report, 50), Some(10_000));
        assert_eq!(tip_from_report(&report, 75), Some(51_200));
        assert_eq!(tip_from_report(&report, 99), Some(12_000_000));
        assert_eq!(tip_from_report(&report, 60), None);
        assert_eq!(
            tip_from_report(&json!([{"landed_tips_50th_percentile": -1.0}]), 50),
            None
        );
    }

    #[test]
    fn tip_transfers_rotate_over_the_tip_accounts() {
        let j = Jito::new(JitoConfig {
            block_engine: "http://127.0.0.1:1".into(),
            tip_floor: "http://127.0.0.1:1".into(),
            tip_percentile: 50,
            min_tip_lamports: 1_000,
            max_tip_lamports: 100_000,
        })
        .unwrap();
        let payer = Pubkey::new_unique();
        let a = j.tip_instruction(&payer, 5_000);
        let b = j.tip_instruction(&payer, 5_000);
        assert_eq!(a.accounts[1].pubkey, TIP_ACCOUNTS[0]);
        assert_eq!(b.accounts[1].pubkey, TIP_ACCOUNTS[1]);
        assert_eq!(a.program_id, anchor_lang::system_program::ID);
        assert_eq!(a.data, [2, 0, 0, 0, 0x88, 0x13, 0, 0, 0, 0, 0, 0]);
        assert!(a.accounts[0].is_signer && a.accounts[0].is_writable);
    }

    #[tokio::test]
    async fn an_unreachable_report_pays_the_floor() {
        let j = Jito::new(JitoConfig {
            block_engine: "http://127.0.0.1:9".into(),
            tip_floor: "http://127.0.0.1:9/tip_floor".into(),
            tip_percentile: 50,
            min_tip_lamports: 2_500,
            max_tip_lamports: 100_000,
        })
        .unwrap();
        assert_eq!(j.tip().await, 2_500);
        let e = j.send(&VersionedTransaction::default()).await.unwrap_err();
        assert_eq!(e.to_string(), "the block engine is unreachable");
        assert_eq!(j.stats.bundle_errors.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_refused_bundle_is_an_error_with_the_engine_s_reason() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 65536];
            let _ = sock.read(&mut buf).await;
            let body =
                r#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"bundle must tip"},"id":1}"#;
            let resp = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            sock.write_all(resp.as_bytes()).await.unwrap();
        });
        let j = Jito::new(JitoConfig {
            block_engine: url,
            tip_floor: "http://127.0.0.1:9".into(),
            tip_percentile: 50,
            min_tip_lamports: 1_000,
            max_tip_lamports: 100_000,
        })
        .unwrap();
        let e = j.send(&VersionedTransaction::default()).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "the block engine refused the bundle: \"bundle must tip\""
        );
        assert_eq!(j.stats.bundle_errors.load(Ordering::Relaxed), 1);
        assert_eq!(j.stats.bundles_sent.load(Ordering::Relaxed), 0);
    }
}
