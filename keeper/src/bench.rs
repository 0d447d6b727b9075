//! `keeper bench`: throughput and latency figures of the keeper's hot paths, each printed with
//! a baseline measured in the same run.
//!
//! - `detect`: transactions per second and nanoseconds per transaction, (a) decoding the
//!   in-memory transaction the chain layer hands the detector and (b) JSON bytes to pools;
//!   baselines: the general reader, and parsing the same JSON into a generic value alone.
//! - `evaluate`: pool evaluations per second (gather, score, decide) from cached accounts;
//!   baseline: the score alone on already gathered facts.
//! - `latency`: detection to a signed vault transaction, per pool, p50 / p99 / max;
//!   baseline: signing alone.

use crate::chain::cache::CachedChain;
use crate::chain::local::LocalChain;
use crate::chain::{Chain, FeedTx};
use crate::detect::{self, DetectedPool, Tx};
use crate::journal::Journal;
use crate::score::{self, Weights};
use crate::sim::{self, Scenario, SimConfig};
use crate::strategy::{self, Book, Entry, Preset, SOL};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Runs `f` over and over for at least `min` and returns (iterations, elapsed).
fn time_for(min: Duration, mut f: impl FnMut() -> usize) -> (usize, Duration) {
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < min {
        n += f();
    }
    (n, start.elapsed())
}

fn per_second(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn ns_each(n: usize, d: Duration) -> f64 {
    d.as_nanos() as f64 / n.max(1) as f64
}

/// Every regular file under `dir`, sorted.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The fixture directory of real transactions (see [`crate::fixtures_dir`]).
pub fn default_fixtures() -> Result<PathBuf> {
    match crate::fixtures_dir() {
        Some(d) => Ok(d.join("tx")),
        None => bail!(
            "no fixture directory found (../shared/fixtures/tx beside the repository, or \
             $FLASHFORGE_FIXTURES); pass files explicitly"
        ),
    }
}

/// Detection figures.
#[derive(Debug, serde::Serialize)]
pub struct DetectFigures {
    pub files: usize,
    pub transactions: usize,
    pub pools: usize,
    pub decode_tx_per_s: f64,
    pub decode_ns_per_tx: f64,
    pub json_tx_per_s: f64,
    pub json_ns_per_tx: f64,
    /// JSON bytes to pools through the general reader (every shape, a generic value first).
    pub general_json_tx_per_s: f64,
    pub baseline_json_parse_tx_per_s: f64,
}

pub fn detect_bench(files: &[PathBuf], min: Duration) -> Result<DetectFigures> {
    let mut docs: Vec<(Vec<u8>, bool)> = Vec::new();
    let mut txs: Vec<Tx> = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        let gz = f.extension().is_some_and(|e| e == "gz");
        if !gz {
            if let Ok(t) = detect::formats::parse_document(&bytes) {
                txs.extend(t);
            }
        }
        docs.push((bytes, gz));
    }
    // Documents that hold transactions (metadata-only files are an error, not a workload).
    let json_docs: Vec<&Vec<u8>> = docs
        .iter()
        .filter(|d| !d.1 && detect::formats::parse_document(&d.0).is_ok())
        .map(|d| &d.0)
        .collect();
    let json_txs: usize = json_docs
        .iter()
        .map(|b| {
            detect::formats::parse_document(b)
                .map(|v| v.len())
                .unwrap_or(0)
        })
        .sum();
    let pools: usize = txs
        .iter()
        .map(|t| detect::detect(t).map(|p| p.len()).unwrap_or(0))
        .sum();
    if txs.is_empty() {
        bail!("no transactions decoded from {} files", files.len());
    }

    let (n, d) = time_for(min, || {
        let mut found = 0usize;
        for t in &txs {
            found += detect::detect(std::hint::black_box(t))
                .map(|p| p.len())
                .unwrap_or(0);
        }
        std::hint::black_box(found);
        txs.len()
    });
    let (decode_rate, decode_ns) = (per_second(n, d), ns_each(n, d));

    let (n, d) = time_for(min, || {
        let mut found = 0usize;
        for b in &json_docs {
            found += detect::files::detect_bytes(std::hint::black_box(b), false)
                .map(|p| p.len())
                .unwrap_or(0);
        }
        std::hint::black_box(found);
        json_txs
    });
    let (json_rate, json_ns) = (per_second(n, d), ns_each(n, d));

    let (n, d) = time_for(min, || {
        let mut found = 0usize;
        for b in &json_docs {
            if let Ok(v) = detect::formats::parse_document_general(std::hint::black_box(b)) {
                for t in &v {
                    found += detect::detect(t).map(|p| p.len()).unwrap_or(0);
                }
            }
        }
        std::hint::black_box(found);
        json_txs
    });
    let general_rate = per_second(n, d);

    let (n, d) = time_for(min, || {
        for b in &json_docs {
            let v: serde_json::Result<serde_json::Value> =
                serde_json::from_slice(std::hint::black_box(b));
            std::hint::black_box(v.is_ok());
        }
        json_txs
    });
    Ok(DetectFigures {
        files: files.len(),
        transactions: txs.len(),
        pools,
        decode_tx_per_s: decode_rate,
        decode_ns_per_tx: decode_ns,
        json_tx_per_s: json_rate,
        json_ns_per_tx: json_ns,
        general_json_tx_per_s: general_rate,
        baseline_json_parse_tx_per_s: per_second(n, d),
    })
}

/// A tier that buys every pool, so every evaluation ends in a signed order.
fn permissive() -> Preset {
    let mut p = strategy::preset("5k").expect("tier");
    p.min_safety_score = 0;
    p.min_liquidity = 0;
    p.max_positions = u16::MAX;
    p.concurrent_trades = u16::MAX;
    p.max_total_exposure = u64::MAX;
    p.leverage = None;
    p
}

/// A market of `pools` launches on the embedded chain, the keeper ready, the creations
/// collected from the feed, and every fact recorded in a cache.
pub struct Recorded {
    pub keeper: crate::pipeline::Keeper,
    pub cache: CachedChain<LocalChain>,
    pub feed: Vec<FeedTx>,
    pub pools: Vec<DetectedPool>,
}

pub async fn record_market(pools: u32, seed: u64) -> Result<Recorded> {
    let cfg = SimConfig {
        scenario: Scenario::Normal,
        seed,
        pools,
        ticks: Some(pools.max(4)),
        out: std::env::temp_dir(),
        preset: permissive(),
        weights: Weights::default(),
        progress: false,
    };
    let mut world = sim::build(&cfg, Journal::memory()?).await?;
    // Launch everything (the schedule spans three quarters of the ticks).
    // The chain advances as in a run, so every step signs with a live blockhash.
    for tick in 0..world.ticks {
        world.market.step(&mut world.local.chain, tick).await?;
        world.local.advance(sim::TICK_SECONDS).await?;
    }
    let feed = world.local.poll(&[local_amm::ID]).await?;
    let mut found = Vec::new();
    for f in &feed {
        found.extend(detect::detect(&f.tx).unwrap_or_default());
    }
    // Move the chain into a recording cache and evaluate every pool once to fill it.
    let (local, _market, mut keeper) = world.into_parts();
    let mut cache = CachedChain::record(local);
    let book = open_book();
    for p in &found {
        keeper.evaluate(&mut cache, p.clone(), &book).await?;
    }
    cache.latest_blockhash().await?;
    Ok(Recorded {
        keeper,
        cache,
        feed,
        pools: found,
    })
}

fn open_book() -> Book {
    Book {
        open_positions: 0,
        total_exposure: 0,
        idle: 1_000_000 * SOL,
        in_flight: 0,
        trading_allowed: true,
    }
}

#[derive(Debug, serde::Serialize)]
pub struct EvaluateFigures {
    pub pools: usize,
    pub evaluations_per_s: f64,
    pub us_per_evaluation: f64,
    pub baseline_score_only_per_s: f64,
}

pub async fn evaluate_bench(r: &mut Recorded, min: Duration) -> Result<EvaluateFigures> {
    r.cache.freeze();
    let book = open_book();
    let mut inputs = Vec::new();
    let quote = r.keeper.cfg.vault.base_mint;
    for p in &r.pools {
        let g = crate::gather::gather(&mut r.cache, p, &quote, None).await?;
        inputs.push(g.inputs);
    }
    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < min {
        for p in &r.pools {
            let e = r.keeper.evaluate(&mut r.cache, p.clone(), &book).await?;
            std::hint::black_box(&e);
            n += 1;
        }
    }
    let d = start.elapsed();
    let w = Weights::default();
    let (m, d2) = time_for(min, || {
        for i in &inputs {
            std::hint::black_box(score::score(std::hint::black_box(i), &w));
        }
        inputs.len()
    });
    Ok(EvaluateFigures {
        pools: r.pools.len(),
        evaluations_per_s: per_second(n, d),
        us_per_evaluation: ns_each(n, d) / 1_000.0,
        baseline_score_only_per_s: per_second(m, d2),
    })
}

#[derive(Debug, serde::Serialize)]
pub struct LatencyFigures {
    pub samples: usize,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    pub baseline_sign_only_p50_us: f64,
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_nanos() as f64 / 1_000.0
}

/// Detection → signed vault transaction, per pool-creating transaction, `rounds` times over.
pub async fn latency_bench(r: &mut Recorded, rounds: usize) -> Result<LatencyFigures> {
    r.cache.freeze();
    let book = open_book();
    let bh = r.cache.latest_blockhash().await?;
    let keeper_key = r.keeper.keeper_key();
    let signer = r.keeper.exec.signer.insecure_clone();
    let mut lat = Vec::new();
    let mut sign_only = Vec::new();
    for _ in 0..rounds {
        for f in &r.feed {
            let t0 = Instant::now();
            let pools = detect::detect(&f.tx).unwrap_or_default();
            for p in pools {
                let e = r.keeper.evaluate(&mut r.cache, p, &book).await?;
                let (Entry::Buy { amount, min_out }, Some(market)) = (e.decision, e.market) else {
                    continue;
                };
                let ix = vault::client::open_position(
                    &r.keeper.cfg.vault,
                    &keeper_key,
                    &market,
                    vault::instructions::OpenPositionArgs {
                        order_id: 1,
                        amount_in: amount,
                        min_out,
                        safety_score: e.report.score,
                        plan: None,
                    },
                );
                let ixs = crate::execute::with_budget(&[ix], 200_000, 1_000);
                let tx = crate::execute::sign(&signer, &ixs, &[], &bh)?;
                lat.push(t0.elapsed());
                let t1 = Instant::now();
                let again = crate::execute::sign(&signer, &ixs, &[], &bh)?;
                sign_only.push(t1.elapsed());
                std::hint::black_box((tx, again));
            }
        }
    }
    if lat.is_empty() {
        bail!("no pool produced an order");
    }
    lat.sort();
    sign_only.sort();
    Ok(LatencyFigures {
        samples: lat.len(),
        p50_us: pct(&lat, 0.50),
        p99_us: pct(&lat, 0.99),
        max_us: pct(&lat, 1.0),
        baseline_sign_only_p50_us: pct(&sign_only, 0.50),
    })
}
