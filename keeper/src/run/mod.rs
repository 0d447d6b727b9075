//! `keeper run`: the keeper's pipeline against a cluster, for as long as it is left running.
//!
//! Start-up checks everything before the first request (configuration, keypair permissions,
//! the metrics port, the vault's existence). The loop then ticks at the configured interval,
//! backing off while ticks fail. SIGINT or SIGTERM stops it between ticks — a tick is never
//! cut in half — and the keeper keeps following the orders it has in flight for up to
//! `shutdown.drain`. Whatever is still in flight then is already in the journal with its
//! signed bytes, and the next start follows it to the end: nothing is lost, nothing is sent
//! twice. A second signal skips the drain.

pub mod alerts;
pub mod config;
pub mod metrics;

use crate::chain::endpoints::redact;
use crate::chain::rpc::RpcChain;
use crate::chain::Chain;
use crate::journal::Journal;
use crate::pipeline::{Keeper, KeeperConfig, Stats};
use alerts::{Alerts, Kind};
use anyhow::{Context, Result};
use config::RunConfig;
use metrics::{Health, Metrics};
use serde::Serialize;
use solana_sdk::signature::Signer;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Least time between the starts of two ticks woken by the websocket feed.
const MIN_SPACING: Duration = Duration::from_millis(250);

/// How often a standby replica tries for the leader lease.
const LEASE_POLL: Duration = Duration::from_secs(1);

/// Longest pause between ticks while they keep failing.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How a run ended.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub ticks: u64,
    pub failed_ticks: u64,
    /// Orders still in flight at exit; the journal holds them for the next start.
    pub in_flight_at_exit: usize,
    pub stats: Stats,
}

/// Counts SIGINT and SIGTERM: the first stops the loop, the second cuts the drain short.
pub fn signals() -> Result<watch::Receiver<u32>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    let (tx, rx) = watch::channel(0u32);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            tx.send_modify(|n| *n += 1);
        }
    });
    Ok(rx)
}

/// Sleeps for `d` unless a signal arrives first; returns whether one did.
async fn sleep_or_signal(d: Duration, stop: &mut watch::Receiver<u32>, seen: u32) -> bool {
    if *stop.borrow() > seen {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow() > seen,
        r = stop.changed() => r.is_ok(),
    }
}

/// Runs the keeper until `stop` counts a signal or `max_ticks` ticks are done.
pub async fn run(cfg: RunConfig, mut stop: watch::Receiver<u32>) -> Result<Summary> {
    let signer = crate::ops::wallet::read_keypair(&cfg.keypair)?;
    let mut chain = RpcChain::with_endpoints(cfg.endpoints.clone())?;
    let endpoints: Vec<String> = cfg.endpoints.iter().map(|e| redact(&e.url)).collect();
    let view = crate::ops::load_vault(&mut chain, &cfg.vault)
        .await
        .with_context(|| format!("reading the vault through {}", endpoints.join(", ")))?;
    let probe = cfg
        .probe_quote_account
        .unwrap_or_else(|| crate::ops::base_token_account(&view, &signer.pubkey()));
    let shown_journal = cfg.journal_shown();
    let journal = Journal::open_location(&cfg.journal)?;

    let mut metrics = Metrics::new();
    let health = Arc::new(Health::new(cfg.stale_after));
    if let Some(addr) = cfg.metrics_listen {
        let bound = metrics::serve(addr, metrics.registry(), health.clone()).await?;
        tracing::info!("metrics on http://{bound}/metrics, health on http://{bound}/health");
    }
    let mut alerts = Alerts::start(cfg.alerts.clone());

    // Replicas share a PostgreSQL journal; the one holding the vault's lease trades, the
    // others wait here and take over when its connection ends.
    if journal.is_shared() {
        health.set_standby(true);
        metrics.set_leader(false);
        let mut waiting = false;
        while !journal.try_lease(&cfg.vault)? {
            if !waiting {
                tracing::info!(
                    "another keeper leads vault {} in {shown_journal}; standing by",
                    cfg.vault
                );
                waiting = true;
            }
            if sleep_or_signal(LEASE_POLL, &mut stop, 0).await {
                tracing::info!("signal received while standing by");
                return Ok(Summary {
                    ticks: 0,
                    failed_ticks: 0,
                    in_flight_at_exit: 0,
                    stats: Stats::default(),
                });
            }
        }
        health.set_standby(false);
        tracing::info!("leading vault {} (lease in {shown_journal})", cfg.vault);
        if waiting {
            alerts.raise(Kind::Lifecycle, &format!("took over vault {}", cfg.vault));
        }
    }
    metrics.set_leader(true);
    // Subscribed only now: a standby must not pile up notifications of pools that were the
    // leader's to trade.
    if let Some(g) = &cfg.grpc {
        chain = chain.with_geyser(g.clone(), cfg.watch.clone());
        tracing::info!(
            "following the watched venues over Yellowstone gRPC at {}",
            redact(&g.url)
        );
    } else if let Some(ws) = &cfg.websocket {
        chain = chain.with_feed(ws.clone(), cfg.watch.clone());
        tracing::info!("following the watched venues over {}", redact(ws));
    }

    let keeper_key = signer.pubkey();
    let mut keeper = Keeper::new(
        KeeperConfig {
            preset: cfg.preset.clone(),
            weights: cfg.weights.clone(),
            exec: cfg.exec.clone(),
            vault: view.keys,
            watch: cfg.watch.clone(),
            probe_quote_account: Some(probe),
            leverage: None,
        },
        signer,
        journal,
    );
    let mode = if cfg.exec.dry_run {
        " in dry run (simulate and journal, never send)"
    } else {
        ""
    };
    tracing::info!(
        "keeper {keeper_key} on vault {} through {}; journal {}; tier {}{mode}",
        cfg.vault,
        endpoints.join(", "),
        shown_journal,
        cfg.preset.name,
    );
    alerts.raise(
        Kind::Lifecycle,
        &format!("started on vault {}{mode}", cfg.vault),
    );

    let (mut ticks, mut failed) = (0u64, 0u64);
    let mut last_heartbeat = Instant::now();
    loop {
        if *stop.borrow() > 0 {
            break;
        }
        // A leader whose lease may have lapsed must not trade: exit, and let the supervisor
        // restart it as a replica.
        keeper.journal.check_lease()?;
        let started = Instant::now();
        let trades_before = keeper.trades.len();
        let trips_before = keeper.stats.breaker_trips;
        let result = keeper.tick(&mut chain).await;
        let took = started.elapsed();
        metrics.observe(&keeper, &chain.endpoint_stats(), took, result.is_ok());
        if let Some(f) = chain.feed_stats() {
            metrics.observe_feed(&f);
        }
        let streak = match &result {
            Ok(()) => {
                ticks += 1;
                health.tick_ok();
                0
            }
            Err(e) => {
                failed += 1;
                let streak = health.tick_failed();
                tracing::warn!("tick failed ({streak} in a row): {e:#}");
                if streak == cfg.alerts.error_streak {
                    alerts.raise(
                        Kind::Errors,
                        &format!(
                            "{streak} tick{} failed in a row; the last: {e:#}",
                            if streak == 1 { "" } else { "s" }
                        ),
                    );
                }
                streak
            }
        };
        for t in &keeper.trades[trades_before..] {
            let text = format!(
                "{} {} of {} for {} base units ({}, order {}, score {})",
                if t.side == "buy" { "bought" } else { "sold" },
                t.token_amount,
                t.mint,
                t.base_amount,
                t.reason,
                t.order_id,
                t.score
            );
            tracing::info!("{text}");
            alerts.raise(Kind::Fill, &text);
        }
        if keeper.stats.breaker_trips > trips_before {
            let reason = keeper
                .vault_state
                .as_ref()
                .map(|v| format!("{:?}", v.breaker.reason))
                .unwrap_or_default();
            tracing::warn!("the vault's circuit breaker tripped: {reason}");
            alerts.raise(
                Kind::Breaker,
                &format!("the vault's circuit breaker tripped: {reason}"),
            );
        }
        if last_heartbeat.elapsed() >= Duration::from_secs(60) {
            last_heartbeat = Instant::now();
            let s = &keeper.stats;
            tracing::info!(
                "{ticks} ticks: {} pools seen, {} scored, {} orders sent, {} filled, {} in flight",
                s.pools_seen,
                s.pools_scored,
                s.orders_sent,
                s.orders_filled,
                keeper.in_flight()
            );
        }
        if cfg.max_ticks.is_some_and(|m| ticks + failed >= m) {
            break;
        }
        // While ticks fail, wait longer each time: one interval, then doubling up to a minute.
        let pause = if streak == 0 {
            cfg.tick_interval.saturating_sub(took)
        } else {
            (cfg.tick_interval * 2u32.saturating_pow(streak.min(7) as u32 - 1)).min(MAX_BACKOFF)
        };
        // A websocket notification ends the pause early (ticks still start at least
        // MIN_SPACING apart), so a new pool waits for one tick, not for the interval.
        let spacing = MIN_SPACING.saturating_sub(started.elapsed());
        if streak == 0 && !spacing.is_zero() && sleep_or_signal(spacing, &mut stop, 0).await {
            break;
        }
        let pause = pause.saturating_sub(spacing);
        let stopped = tokio::select! {
            s = sleep_or_signal(pause, &mut stop, 0) => s,
            true = chain.wait_for_feed(pause), if streak == 0 => false,
        };
        if stopped {
            break;
        }
    }

    if *stop.borrow() > 0 {
        tracing::info!("signal received: stopping after {ticks} ticks");
    }
    let in_flight = drain(&mut keeper, &mut chain, &mut stop, cfg.drain).await;
    let summary = Summary {
        ticks,
        failed_ticks: failed,
        in_flight_at_exit: in_flight,
        stats: keeper.stats.clone(),
    };
    alerts.raise(
        Kind::Lifecycle,
        &format!("stopped after {ticks} ticks; {in_flight} order(s) left in flight in the journal"),
    );
    // Give the alert sender a moment to deliver the last message.
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(summary)
}

/// Follows orders in flight until none is left, `limit` passes, or a second signal arrives.
async fn drain<C: Chain>(
    keeper: &mut Keeper,
    chain: &mut C,
    stop: &mut watch::Receiver<u32>,
    limit: Duration,
) -> usize {
    let deadline = Instant::now() + limit;
    let mut left = keeper.in_flight();
    if left > 0 {
        tracing::info!(
            "stopping: following {left} order(s) in flight for up to {}s",
            limit.as_secs()
        );
    }
    while left > 0 && Instant::now() < deadline {
        match keeper.follow_in_flight(chain).await {
            Ok(n) => left = n,
            Err(e) => tracing::warn!("following orders in flight: {e:#}"),
        }
        if left == 0 {
            break;
        }
        let seen = (*stop.borrow()).max(1);
        if sleep_or_signal(Duration::from_millis(500), stop, seen).await {
            tracing::warn!("second signal: leaving {left} order(s) to the next start");
            break;
        }
    }
    if left > 0 {
        tracing::warn!(
            "{left} order(s) still in flight; their signed bytes are in the journal and the next start follows them"
        );
    } else {
        tracing::info!("stopped with no order in flight");
    }
    left
}
