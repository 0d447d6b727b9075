//! Prometheus metrics and the `/metrics` + `/health` server of `keeper run`.
//!
//! The loop owns the metric handles and updates them after every tick; the server only encodes
//! the registry (OpenMetrics text) and reads the health state, so a slow scraper never holds
//! up the keeper.

use crate::chain::endpoints::EndpointStats;
use crate::pipeline::Keeper;
use anyhow::{Context, Result};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type Labels = Vec<(String, String)>;

const ORDER_OUTCOMES: [&str; 5] = ["sent", "filled", "expired", "rejected_by_vault", "failed"];
type FloatGauge = Gauge<f64, AtomicU64>;

fn label(k: &str, v: &str) -> Labels {
    vec![(k.to_string(), v.to_string())]
}

/// Latency buckets from 1 ms to about 33 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// Every metric the keeper exports.
pub struct Metrics {
    registry: Arc<Registry>,
    pools_detected: Counter,
    pools_scored: Counter,
    scores: Histogram,
    orders: Family<Labels, Counter>,
    vault_rejections: Family<Labels, Counter>,
    skips: Family<Labels, Counter>,
    land_rate: FloatGauge,
    in_flight: Gauge,
    stage_seconds: Family<Labels, Histogram, fn() -> Histogram>,
    tick_seconds: Histogram,
    ticks: Counter,
    tick_errors: Counter,
    rpc_requests: Family<Labels, Counter>,
    rpc_errors: Family<Labels, Counter>,
    rpc_rate_limited: Family<Labels, Counter>,
    rpc_latency: Family<Labels, FloatGauge>,
    nav: Gauge,
    nav_high: Gauge,
    idle: Gauge,
    open_positions: Gauge,
    breaker_tripped: Gauge,
    breaker_trips: Counter,
    realized_pnl: Gauge,
    last_tick: Gauge,
    feed_connected: Gauge,
    feed_connects: Counter,
    feed_notifications: Counter,
    feed_unread: Counter,
    jito_bundles: Family<Labels, Counter>,
    jito_tip: Gauge,
    leader: Gauge,
    /// What was last exported, to turn the keeper's running totals into counter increments.
    scores_seen: usize,
    names: Vec<&'static str>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut r = Registry::with_prefix("flashforge");
        let mut names = Vec::new();
        macro_rules! reg {
            ($name:literal, $help:literal, $m:expr) => {{
                let m = $m;
                r.register($name, $help, m.clone());
                names.push(concat!("flashforge_", $name));
                m
            }};
        }
        let stage: Family<Labels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        let m = Self {
            pools_detected: reg!("pools_detected", "New pools detected", Counter::default()),
            pools_scored: reg!("pools_scored", "Pools scored", Counter::default()),
            scores: reg!(
                "pool_score",
                "Safety scores given (0 to 100)",
                Histogram::new((1..=10).map(|i| f64::from(i * 10)))
            ),
            orders: reg!(
                "orders",
                "Orders by outcome: sent, filled, expired, rejected_by_vault, failed",
                Family::default()
            ),
            vault_rejections: reg!(
                "vault_rejections",
                "Orders the vault refused, by rule",
                Family::default()
            ),
            skips: reg!(
                "entries_skipped",
                "Pools not bought, by reason",
                Family::default()
            ),
            land_rate: reg!(
                "land_rate",
                "Orders filled over orders sent since start",
                FloatGauge::default()
            ),
            in_flight: reg!(
                "orders_in_flight",
                "Orders sent and not yet settled",
                Gauge::default()
            ),
            stage_seconds: reg!("stage_seconds", "Duration of each stage of a tick", stage),
            tick_seconds: reg!(
                "tick_seconds",
                "Duration of a whole tick",
                latency_histogram()
            ),
            ticks: reg!("ticks", "Ticks completed", Counter::default()),
            tick_errors: reg!(
                "tick_errors",
                "Ticks that ended in an error",
                Counter::default()
            ),
            rpc_requests: reg!(
                "rpc_requests",
                "JSON-RPC requests per endpoint",
                Family::default()
            ),
            rpc_errors: reg!(
                "rpc_errors",
                "Failed JSON-RPC requests per endpoint",
                Family::default()
            ),
            rpc_rate_limited: reg!(
                "rpc_rate_limited",
                "Rate-limited JSON-RPC requests per endpoint",
                Family::default()
            ),
            rpc_latency: reg!(
                "rpc_latency_ms",
                "Recent JSON-RPC latency per endpoint (exponentially weighted)",
                Family::default()
            ),
            nav: reg!(
                "vault_nav",
                "Vault assets at the low marks, base units",
                Gauge::default()
            ),
            nav_high: reg!(
                "vault_nav_high",
                "Vault assets at the high marks, base units",
                Gauge::default()
            ),
            idle: reg!(
                "vault_idle",
                "Vault idle assets, base units",
                Gauge::default()
            ),
            open_positions: reg!("vault_open_positions", "Open positions", Gauge::default()),
            breaker_tripped: reg!(
                "vault_breaker_tripped",
                "1 while the vault's circuit breaker is tripped",
                Gauge::default()
            ),
            breaker_trips: reg!("breaker_trips", "Breaker trips seen", Counter::default()),
            realized_pnl: reg!(
                "vault_realized_pnl",
                "Vault realized profit and loss, base units",
                Gauge::default()
            ),
            last_tick: reg!(
                "last_tick_timestamp_seconds",
                "Unix time of the last tick that completed",
                Gauge::default()
            ),
            feed_connected: reg!(
                "feed_connected",
                "1 while the websocket or gRPC feed is subscribed",
                Gauge::default()
            ),
            feed_connects: reg!(
                "feed_connects",
                "Websocket subscriptions made (the first, then one per reconnection)",
                Counter::default()
            ),
            feed_notifications: reg!(
                "feed_notifications",
                "Transactions announced by the websocket or gRPC feed",
                Counter::default()
            ),
            feed_unread: reg!(
                "feed_unread",
                "Announced transactions not read because their logs rule out a pool creation",
                Counter::default()
            ),
            jito_bundles: reg!(
                "jito_bundles",
                "Bundles handed to the block engine, by result (sent, error)",
                Family::default()
            ),
            jito_tip: reg!(
                "jito_tip_lamports",
                "The tip the last bundle paid",
                Gauge::default()
            ),
            leader: reg!(
                "leader",
                "1 while this keeper holds the vault's lease and trades; 0 on standby",
                Gauge::default()
            ),
            scores_seen: 0,
            // Last: every metric above registered itself first.
            names,
            registry: Arc::new(r),
        };
        // Series known in advance exist from the start, at zero, so rates work at once.
        for outcome in ORDER_OUTCOMES {
            drop(m.orders.get_or_create(&label("outcome", outcome)));
        }
        m
    }

    /// The names of the metric families, prefix included (`flashforge_ticks`).
    pub fn names(&self) -> &[&'static str] {
        &self.names
    }

    /// The registry, for the server.
    pub fn registry(&self) -> Arc<Registry> {
        self.registry.clone()
    }

    pub fn set_leader(&mut self, leader: bool) {
        self.leader.set(i64::from(leader));
    }

    /// The exposition text, as `/metrics` serves it.
    pub fn text(&self) -> String {
        let mut s = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut s, &self.registry);
        s
    }

    /// Records a tick: its stages, the keeper's totals, the vault it read, and the endpoints.
    pub fn observe(
        &mut self,
        keeper: &Keeper,
        endpoints: &[EndpointStats],
        took: Duration,
        ok: bool,
    ) {
        if ok {
            self.ticks.inc();
            self.last_tick.set(unix_now());
        } else {
            self.tick_errors.inc();
        }
        self.tick_seconds.observe(took.as_secs_f64());
        for (stage, d) in keeper.last_stages() {
            self.stage_seconds
                .get_or_create(&label("stage", stage))
                .observe(d.as_secs_f64());
        }

        // Counters move only here, so each one's value is the total it last exported: moving
        // it up to the keeper's running total needs no copy of the previous totals.
        let s = &keeper.stats;
        advance_to(&self.pools_detected, s.pools_seen);
        advance_to(&self.pools_scored, s.pools_scored);
        advance_to(&self.breaker_trips, s.breaker_trips);
        for (outcome, total) in [
            (ORDER_OUTCOMES[0], s.orders_sent),
            ("filled", s.orders_filled),
            ("expired", s.orders_expired),
            ("rejected_by_vault", s.orders_rejected_by_vault()),
            ("failed", s.other_failures.values().sum()),
        ] {
            advance_to(
                &self.orders.get_or_create(&label("outcome", outcome)),
                total,
            );
        }
        for (rule, n) in &s.vault_rejections {
            advance_to(
                &self.vault_rejections.get_or_create(&label("rule", rule)),
                *n,
            );
        }
        for (reason, n) in &s.skips {
            let name = format!("{reason:?}");
            advance_to(&self.skips.get_or_create(&label("reason", &name)), *n);
        }
        for (_, score) in s.scores.iter().skip(self.scores_seen) {
            self.scores.observe(f64::from(*score));
        }
        self.scores_seen = s.scores.len();
        if s.orders_sent > 0 {
            self.land_rate
                .set(s.orders_filled as f64 / s.orders_sent as f64);
        }
        self.in_flight.set(keeper.in_flight() as i64);
        if let Some(j) = &keeper.exec.jito {
            let sent = j.stats.bundles_sent.load(Ordering::Relaxed);
            let errors = j.stats.bundle_errors.load(Ordering::Relaxed);
            advance_to(
                &self.jito_bundles.get_or_create(&label("result", "sent")),
                sent,
            );
            advance_to(
                &self.jito_bundles.get_or_create(&label("result", "error")),
                errors,
            );
            let tip = j.stats.last_tip_lamports.load(Ordering::Relaxed);
            self.jito_tip.set(i64::try_from(tip).unwrap_or(i64::MAX));
        }

        if let Some(v) = &keeper.vault_state {
            let g = |g: &Gauge, x: u64| {
                g.set(i64::try_from(x).unwrap_or(i64::MAX));
            };
            g(&self.nav, v.total_assets());
            g(&self.nav_high, v.total_assets_high());
            g(&self.idle, v.idle_assets);
            g(&self.open_positions, u64::from(v.open_positions));
            self.breaker_tripped.set(i64::from(v.breaker.tripped));
            self.realized_pnl.set(v.realized_pnl);
        }

        // Endpoints are labelled by scheme and host; two URLs on one host (different keys)
        // share a label, so their totals are added up first.
        let mut per_label: std::collections::BTreeMap<&str, [u64; 3]> = Default::default();
        for e in endpoints {
            let t = per_label.entry(e.endpoint.as_str()).or_default();
            t[0] += e.requests;
            t[1] += e.errors;
            t[2] += e.rate_limited;
            self.rpc_latency
                .get_or_create(&label("endpoint", &e.endpoint))
                .set(e.latency_ms);
        }
        for (endpoint, [requests, errors, rate_limited]) in per_label {
            let l = label("endpoint", endpoint);
            advance_to(&self.rpc_requests.get_or_create(&l), requests);
            advance_to(&self.rpc_errors.get_or_create(&l), errors);
            advance_to(&self.rpc_rate_limited.get_or_create(&l), rate_limited);
        }
    }
}

impl Metrics {
    /// Records the websocket feed's state.
    pub fn observe_feed(&mut self, f: &crate::chain::ws::FeedStats) {
        self.feed_connected
            .set(i64::from(f.connected.load(Ordering::Relaxed)));
        advance_to(&self.feed_connects, f.connects.load(Ordering::Relaxed));
        advance_to(
            &self.feed_notifications,
            f.notifications.load(Ordering::Relaxed),
        );
        advance_to(&self.feed_unread, f.unread.load(Ordering::Relaxed));
    }
}

/// Moves counter `c` up to a running total kept elsewhere (totals only grow).
fn advance_to(c: &Counter, total: u64) {
    c.inc_by(total.saturating_sub(c.get()));
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// What `/health` reports, shared between the loop and the server.
pub struct Health {
    /// Start of the grace period: the process start, or the moment a standby took the lead.
    started: AtomicI64,
    last_ok: AtomicI64,
    ticks: AtomicU64,
    consecutive_errors: AtomicU64,
    stale_after: Duration,
    standby: std::sync::atomic::AtomicBool,
}

#[derive(Debug, Serialize)]
pub struct HealthReport {
    /// `ok`, `starting` (no tick yet, within the grace period), `standby` (a replica waiting
    /// for the leader lease) or `stale`.
    pub status: &'static str,
    pub ticks: u64,
    pub consecutive_errors: u64,
    pub seconds_since_last_tick: Option<i64>,
}

impl Health {
    pub fn new(stale_after: Duration) -> Self {
        Self {
            started: AtomicI64::new(unix_now()),
            last_ok: AtomicI64::new(0),
            ticks: AtomicU64::new(0),
            consecutive_errors: AtomicU64::new(0),
            stale_after,
            standby: Default::default(),
        }
    }

    /// A replica waiting for the lease is healthy without ticking.
    pub fn set_standby(&self, standby: bool) {
        if !standby {
            self.started.store(unix_now(), Ordering::Relaxed);
        }
        self.standby.store(standby, Ordering::Relaxed);
    }

    pub fn tick_ok(&self) {
        self.last_ok.store(unix_now(), Ordering::Relaxed);
        self.ticks.fetch_add(1, Ordering::Relaxed);
        self.consecutive_errors.store(0, Ordering::Relaxed);
    }

    /// Counts a failed tick; returns how many failed in a row.
    pub fn tick_failed(&self) -> u64 {
        self.consecutive_errors.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn report(&self) -> HealthReport {
        let now = unix_now();
        let last = self.last_ok.load(Ordering::Relaxed);
        let limit = self.stale_after.as_secs() as i64;
        let status = match last {
            _ if self.standby.load(Ordering::Relaxed) => "standby",
            0 if now - self.started.load(Ordering::Relaxed) <= limit => "starting",
            0 => "stale",
            t if now - t <= limit => "ok",
            _ => "stale",
        };
        HealthReport {
            status,
            ticks: self.ticks.load(Ordering::Relaxed),
            consecutive_errors: self.consecutive_errors.load(Ordering::Relaxed),
            seconds_since_last_tick: (last > 0).then(|| now - last),
        }
    }
}

/// Binds `addr` and serves `/metrics` and `/health` until the process ends. Binding happens
/// here, before the keeper starts, so a taken port is a start-up error rather than a silent
/// gap in monitoring. Returns the bound address (port 0 picks a free one).
pub async fn serve(
    addr: SocketAddr,
    registry: Arc<Registry>,
    health: Arc<Health>,
) -> Result<SocketAddr> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("metrics.listen: cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                continue;
            };
            let (registry, health) = (registry.clone(), health.clone());
            tokio::spawn(async move {
                // A scraper that stalls is dropped rather than kept forever.
                let _ =
                    tokio::time::timeout(Duration::from_secs(10), answer(sock, &registry, &health))
                        .await;
            });
        }
    });
    Ok(bound)
}

async fn answer(mut sock: TcpStream, registry: &Registry, health: &Health) {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    // Only the request line and headers matter; a GET has no body.
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 16 * 1024 {
            return respond(&mut sock, 431, "text/plain", "request headers too large\n").await;
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.lines().next().unwrap_or("").split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    match (method, path) {
        ("GET", "/metrics") => {
            let mut body = String::new();
            if encode(&mut body, registry).is_err() {
                return respond(&mut sock, 500, "text/plain", "encoding failed\n").await;
            }
            respond(
                &mut sock,
                200,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                &body,
            )
            .await
        }
        ("GET", "/health") => {
            let r = health.report();
            let code = if r.status == "stale" { 503 } else { 200 };
            let body = serde_json::to_string(&r).unwrap_or_default() + "\n";
            respond(&mut sock, code, "application/json", &body).await
        }
        ("GET", _) => respond(&mut sock, 404, "text/plain", "try /metrics or /health\n").await,
        _ => respond(&mut sock, 405, "text/plain", "only GET\n").await,
    }
}

async fn respond(sock: &mut TcpStream, code: u16, content_type: &str, body: &str) {
    let reason = match code {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    };
    let head = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = sock.write_all(head.as_bytes()).await;
    let _ = sock.write_all(body.as_bytes()).await;
    let _ = sock.shutdown().await;
}
