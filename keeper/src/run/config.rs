//! `keeper run` configuration: a TOML file, overridden by environment variables, overridden by
//! flags. Everything is checked before the keeper touches the network, and every problem is
//! reported at once, each naming the setting and what it should be.

use crate::chain::endpoints::{redact, EndpointConfig, DEFAULT_RPS};
use crate::detect::venues::VENUES;
use crate::execute::ExecConfig;
use crate::ops::parse_duration;
use crate::score::Weights;
use crate::strategy::{self, Preset};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use solana_sdk::pubkey::Pubkey;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Where the metrics server listens unless told otherwise: loopback only, so a fresh machine
/// exposes nothing. Containers set `0.0.0.0:9464`.
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9464";

/// How long a stopping keeper follows its orders in flight unless told otherwise; service
/// managers must allow more than this between SIGTERM and SIGKILL.
pub const DEFAULT_DRAIN_SECS: u64 = 30;

/// The file as written. Unknown keys are errors: a misspelt `max_priority_fee` must not
/// silently leave the default in force.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The vault's address.
    pub vault: Option<String>,
    /// The keeper's keypair file (mode 600).
    pub keypair: Option<PathBuf>,
    /// The journal: a SQLite file path, or a `postgres://` URL (replicas share it and take
    /// turns through a leader lease).
    pub journal: Option<String>,
    /// Budget tier: 50, 500, 5k or 50k.
    pub tier: Option<String>,
    /// Score weights file (TOML).
    pub weights: Option<PathBuf>,
    /// Venues watched for new pools, by name (`raydium_cpmm`) or program id. Default: all.
    pub watch: Option<Vec<String>>,
    /// The keeper's base-token account for the simulated round trip of a buy. Default: the
    /// keeper's associated token account of the vault's base mint.
    pub probe_quote_account: Option<String>,
    /// Pause between ticks ("2s", "500ms" is not accepted: whole seconds or more).
    pub tick_interval: Option<String>,
    #[serde(default)]
    pub rpc: Vec<RpcEntry>,
    pub exec: Option<ExecFile>,
    pub strategy: Option<StrategyFile>,
    pub feed: Option<FeedFile>,
    pub jito: Option<JitoFile>,
    pub metrics: Option<MetricsFile>,
    pub shutdown: Option<ShutdownFile>,
    pub alerts: Option<crate::run::alerts::AlertsFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RpcEntry {
    pub url: String,
    pub requests_per_second: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecFile {
    pub priority_percentile: Option<u8>,
    pub min_priority_fee: Option<u64>,
    pub max_priority_fee: Option<u64>,
    pub unit_headroom_pct: Option<u32>,
    pub dry_run: Option<bool>,
}

/// Changes to the tier's limits. Amounts are in base units of the vault's token.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyFile {
    pub max_buy: Option<u64>,
    pub min_safety_score: Option<u8>,
    pub concurrent_trades: Option<u16>,
    pub max_positions: Option<u16>,
    pub max_total_exposure: Option<u64>,
    pub max_exposure_per_token: Option<u64>,
    pub min_liquidity: Option<u64>,
    pub max_impact_bps: Option<u16>,
    pub slippage_bps: Option<u16>,
    pub max_hold: Option<String>,
}

impl StrategyFile {
    /// Lays the changes over `p` and checks the result.
    fn apply(self, p: &mut Preset, bad: &mut impl FnMut(String)) {
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = self.$f { p.$f = v; } )* };
        }
        set!(
            max_buy,
            min_safety_score,
            concurrent_trades,
            max_positions,
            max_total_exposure,
            max_exposure_per_token,
            min_liquidity,
            max_impact_bps,
            slippage_bps
        );
        if let Some(t) = &self.max_hold {
            match parse_duration(t) {
                Ok(s) => p.max_hold_seconds = i64::try_from(s).unwrap_or(i64::MAX),
                Err(e) => bad(format!("strategy.max_hold: {e}")),
            }
        }
        if p.max_buy == 0 {
            bad("strategy.max_buy: 0 buys nothing".into());
        }
        if p.min_safety_score > 100 {
            bad(format!(
                "strategy.min_safety_score: {} is above 100",
                p.min_safety_score
            ));
        }
        if p.concurrent_trades == 0 || p.max_positions == 0 {
            bad("strategy.concurrent_trades and strategy.max_positions must be at least 1".into());
        }
        for (name, bps) in [
            ("max_impact_bps", p.max_impact_bps),
            ("slippage_bps", p.slippage_bps),
        ] {
            if bps > 10_000 {
                bad(format!("strategy.{name}: {bps} is above 10000 (100%)"));
            }
        }
        if p.max_exposure_per_token > p.max_total_exposure {
            bad(format!(
                "strategy.max_exposure_per_token ({}) is above strategy.max_total_exposure ({})",
                p.max_exposure_per_token, p.max_total_exposure
            ));
        }
        if p.max_buy > p.max_exposure_per_token {
            bad(format!(
                "strategy.max_buy ({}) is above strategy.max_exposure_per_token ({})",
                p.max_buy, p.max_exposure_per_token
            ));
        }
    }
}

/// `[jito]`: present, orders go to a block engine as tipped bundles.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JitoFile {
    pub block_engine: Option<String>,
    pub tip_floor: Option<String>,
    pub tip_percentile: Option<u8>,
    pub min_tip_lamports: Option<u64>,
    pub max_tip_lamports: Option<u64>,
}

impl JitoFile {
    fn check(self, bad: &mut impl FnMut(String)) -> crate::jito::JitoConfig {
        let c = crate::jito::JitoConfig {
            block_engine: self
                .block_engine
                .unwrap_or_else(|| "https://mainnet.block-engine.jito.wtf".into()),
            tip_floor: self
                .tip_floor
                .unwrap_or_else(|| "https://bundles.jito.wtf/api/v1/bundles/tip_floor".into()),
            tip_percentile: self.tip_percentile.unwrap_or(50),
            min_tip_lamports: self.min_tip_lamports.unwrap_or(1_000),
            max_tip_lamports: self.max_tip_lamports.unwrap_or(1_000_000),
        };
        for (key, url) in [
            ("block_engine", &c.block_engine),
            ("tip_floor", &c.tip_floor),
        ] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                bad(format!("jito.{key}: {} is not an http(s) URL", redact(url)));
            }
        }
        if !crate::jito::TIP_PERCENTILES.contains(&c.tip_percentile) {
            bad(format!(
                "jito.tip_percentile: {} is not one the tip floor reports (25, 50, 75, 95, 99)",
                c.tip_percentile
            ));
        }
        if c.min_tip_lamports > c.max_tip_lamports {
            bad(format!(
                "jito.min_tip_lamports ({}) is above jito.max_tip_lamports ({})",
                c.min_tip_lamports, c.max_tip_lamports
            ));
        }
        c
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedFile {
    /// `auto` (the first endpoint's websocket), `off`, or a ws:// or wss:// URL.
    pub websocket: Option<String>,
    /// A Yellowstone gRPC endpoint (http:// or https://); replaces the websocket.
    pub grpc: Option<String>,
    /// The gRPC endpoint's x-token (better: KEEPER_GRPC_X_TOKEN).
    pub grpc_x_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsFile {
    /// `host:port` of `/metrics` and `/health`; `off` disables the server.
    pub listen: Option<String>,
    /// `/health` answers 503 when the last good tick is older than this.
    pub stale_after: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShutdownFile {
    /// How long a stopping keeper keeps following the orders it has in flight.
    pub drain: Option<String>,
}

/// Flags and environment variables of `keeper run`; each overrides the file.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct RunArgs {
    /// Configuration file (TOML); see keeper/keeper.example.toml.
    #[arg(long, env = "KEEPER_CONFIG", default_value = "keeper.toml")]
    pub config: PathBuf,
    /// JSON-RPC endpoints, replacing the file's list (repeat the flag or separate with commas).
    #[arg(long = "rpc", env = "KEEPER_RPC_URLS", value_delimiter = ',')]
    pub rpc: Vec<String>,
    /// The vault's address.
    #[arg(long, env = "FLASHFORGE_VAULT")]
    pub vault: Option<String>,
    /// The keeper's keypair file.
    #[arg(long, env = "KEEPER_KEYPAIR")]
    pub keypair: Option<PathBuf>,
    /// Journal: a SQLite file, or a postgres:// URL shared by replicas.
    #[arg(long, env = "KEEPER_JOURNAL")]
    pub journal: Option<String>,
    /// `host:port` for /metrics and /health, or `off`.
    #[arg(long, env = "KEEPER_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Simulate and journal every order, send nothing.
    #[arg(long, env = "KEEPER_DRY_RUN")]
    pub dry_run: bool,
    /// The Yellowstone gRPC endpoint's x-token (environment only: flags show in `ps`).
    #[arg(skip = std::env::var("KEEPER_GRPC_X_TOKEN").ok().filter(|t| !t.is_empty()))]
    pub grpc_x_token: Option<String>,
    /// Stop after this many ticks (default: run until SIGINT or SIGTERM).
    #[arg(long)]
    pub max_ticks: Option<u64>,
    /// Check the configuration, print it (without secrets) and exit.
    #[arg(long)]
    pub check: bool,
}

/// The checked configuration the keeper runs with.
#[derive(Debug)]
pub struct RunConfig {
    pub vault: Pubkey,
    pub keypair: PathBuf,
    /// A SQLite file path or a `postgres://` URL.
    pub journal: String,
    pub preset: Preset,
    pub weights: Weights,
    pub watch: Vec<Pubkey>,
    pub probe_quote_account: Option<Pubkey>,
    pub tick_interval: Duration,
    pub endpoints: Vec<EndpointConfig>,
    /// The websocket feed's URL; `None` polls only (or follows `grpc`).
    pub websocket: Option<String>,
    /// The Yellowstone gRPC feed, when configured (it replaces the websocket).
    pub grpc: Option<crate::chain::grpc::GeyserConfig>,
    pub exec: ExecConfig,
    pub metrics_listen: Option<SocketAddr>,
    pub stale_after: Duration,
    pub drain: Duration,
    pub alerts: crate::run::alerts::AlertConfig,
    pub max_ticks: Option<u64>,
}

/// What `keeper run --check` prints: the configuration with endpoints and webhooks reduced to
/// scheme and host, so it can be pasted into a ticket.
#[derive(Serialize)]
pub struct Shown {
    pub vault: String,
    pub keypair: String,
    pub journal: String,
    pub tier: String,
    pub watch: Vec<String>,
    pub tick_interval_ms: u128,
    pub endpoints: Vec<(String, f64)>,
    pub websocket: Option<String>,
    pub grpc: Option<String>,
    pub exec: ExecConfig,
    pub metrics_listen: Option<String>,
    pub alerts: Vec<String>,
}

impl RunConfig {
    /// The journal as it may be shown: a path, or a URL's scheme and host (no password).
    pub fn journal_shown(&self) -> String {
        if self.journal.contains("://") {
            redact(&self.journal)
        } else {
            self.journal.clone()
        }
    }

    pub fn shown(&self) -> Shown {
        Shown {
            vault: self.vault.to_string(),
            keypair: self.keypair.display().to_string(),
            journal: self.journal_shown(),
            tier: self.preset.name.clone(),
            watch: self
                .watch
                .iter()
                .map(|p| {
                    crate::detect::venues::venue(p).map_or_else(|| p.to_string(), |v| v.name.into())
                })
                .collect(),
            tick_interval_ms: self.tick_interval.as_millis(),
            endpoints: self
                .endpoints
                .iter()
                .map(|e| (redact(&e.url), e.requests_per_second))
                .collect(),
            websocket: self.websocket.as_deref().map(redact),
            grpc: self.grpc.as_ref().map(|g| redact(&g.url)),
            exec: self.exec.clone(),
            metrics_listen: self.metrics_listen.map(|a| a.to_string()),
            alerts: self.alerts.shown(),
        }
    }
}

/// Reads the file named by `args` (a missing file is an error only when no flag or variable
/// supplies what it would have) and merges the overrides.
pub fn load(args: &RunArgs) -> Result<RunConfig> {
    let file = match std::fs::read_to_string(&args.config) {
        Ok(text) => toml::from_str::<FileConfig>(&text).with_context(|| {
            format!(
                "{}: not a valid keeper configuration",
                args.config.display()
            )
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileConfig::default(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", args.config.display())),
    };
    resolve(file, args, &args.config)
}

/// Checks `file` with `args` laid over it. Relative paths in the file are relative to the
/// file's directory; relative paths in flags are relative to the working directory.
pub fn resolve(file: FileConfig, args: &RunArgs, path: &Path) -> Result<RunConfig> {
    let base = path.parent().unwrap_or(Path::new(""));
    let in_file = |p: &Path| -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let mut problems: Vec<String> = Vec::new();
    let mut bad = |p: String| problems.push(p);

    let vault = match args.vault.as_deref().or(file.vault.as_deref()) {
        None => {
            bad("vault: missing; set `vault = \"<address>\"`, FLASHFORGE_VAULT or --vault".into());
            None
        }
        Some(v) => Pubkey::from_str(v.trim())
            .map_err(|_| bad(format!("vault: {v:?} is not a base58 address")))
            .ok(),
    };

    let keypair = match (&args.keypair, &file.keypair) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(p)) => Some(in_file(p)),
        (None, None) => {
            bad("keypair: missing; set `keypair = \"<file>\"`, KEEPER_KEYPAIR or --keypair".into());
            None
        }
    };

    let is_pg = crate::journal::is_postgres_url;
    let journal = match (&args.journal, &file.journal) {
        (Some(j), _) => j.clone(),
        (None, Some(j)) if is_pg(j) => j.clone(),
        (None, Some(j)) => in_file(Path::new(j)).display().to_string(),
        (None, None) => in_file(Path::new("keeper-journal.sqlite"))
            .display()
            .to_string(),
    };
    if journal.contains("://") && !is_pg(&journal) {
        bad(format!(
            "journal: {} is neither a SQLite file path nor a postgres:// URL",
            redact(&journal)
        ));
    }

    let tier = file.tier.clone().unwrap_or_else(|| "5k".into());
    let mut preset = strategy::preset(&tier).or_else(|| {
        let names: Vec<String> = strategy::presets().into_iter().map(|p| p.name).collect();
        bad(format!(
            "tier: {tier:?} is unknown; choose one of {}",
            names.join(", ")
        ));
        None
    });
    if let Some(p) = preset.as_mut() {
        // Leverage loops need a lender, its reserves and a lookup table set up for them;
        // `keeper run` trades spot only.
        p.leverage = None;
        if let Some(s) = file.strategy {
            s.apply(p, &mut bad);
        }
    }

    let weights = match &file.weights {
        None => Some(Weights::default()),
        Some(p) => {
            let p = in_file(p);
            std::fs::read_to_string(&p)
                .map_err(|e| format!("weights: reading {}: {e}", p.display()))
                .and_then(|t| {
                    toml::from_str::<Weights>(&t)
                        .map_err(|e| format!("weights: {}: {}", p.display(), e.message()))
                })
                .map_err(&mut bad)
                .ok()
        }
    };

    let watch = match &file.watch {
        None => VENUES.iter().map(|v| v.program).collect(),
        Some(list) if list.is_empty() => {
            bad("watch: empty; name at least one venue or leave the key out to watch all".into());
            Vec::new()
        }
        Some(list) => {
            let mut out = Vec::new();
            for w in list {
                match VENUES.iter().find(|v| v.name == w.as_str()) {
                    Some(v) => out.push(v.program),
                    None => match Pubkey::from_str(w) {
                        Ok(p) => out.push(p),
                        Err(_) => {
                            let names: Vec<&str> = VENUES.iter().map(|v| v.name).collect();
                            bad(format!(
                                "watch: {w:?} is neither a venue ({}) nor a program id",
                                names.join(", ")
                            ))
                        }
                    },
                }
            }
            out.sort();
            out.dedup();
            out
        }
    };

    let probe_quote_account = match &file.probe_quote_account {
        None => None,
        Some(k) => Pubkey::from_str(k)
            .map_err(|_| {
                bad(format!(
                    "probe_quote_account: {k:?} is not a base58 address"
                ))
            })
            .ok(),
    };

    let mut duration = |key: &str, text: Option<&str>, default: u64, min: u64| -> Duration {
        let secs = match text {
            None => default,
            Some(t) => match parse_duration(t) {
                Ok(s) => s,
                Err(e) => {
                    bad(format!("{key}: {e}"));
                    default
                }
            },
        };
        if secs < min {
            bad(format!("{key}: {secs}s is too short; at least {min}s"));
        }
        Duration::from_secs(secs)
    };
    let tick_interval = duration("tick_interval", file.tick_interval.as_deref(), 2, 1);
    let m = file.metrics.unwrap_or_default();
    let stale_after = duration("metrics.stale_after", m.stale_after.as_deref(), 60, 5);
    let drain = duration(
        "shutdown.drain",
        file.shutdown.and_then(|s| s.drain).as_deref(),
        DEFAULT_DRAIN_SECS,
        0,
    );
    if stale_after <= tick_interval {
        bad(format!(
            "metrics.stale_after ({}s) must be longer than tick_interval ({}s)",
            stale_after.as_secs(),
            tick_interval.as_secs()
        ));
    }

    let endpoints: Vec<EndpointConfig> = if args.rpc.is_empty() {
        file.rpc
            .iter()
            .map(|e| EndpointConfig {
                url: e.url.trim().to_string(),
                requests_per_second: e.requests_per_second.unwrap_or(DEFAULT_RPS),
            })
            .collect()
    } else {
        args.rpc
            .iter()
            .filter(|u| !u.trim().is_empty())
            .map(|u| EndpointConfig {
                url: u.trim().to_string(),
                requests_per_second: DEFAULT_RPS,
            })
            .collect()
    };
    if endpoints.is_empty() {
        bad("rpc: no endpoint; add [[rpc]] url = \"https://…\", KEEPER_RPC_URLS or --rpc".into());
    }
    for (i, e) in endpoints.iter().enumerate() {
        if !(e.url.starts_with("http://") || e.url.starts_with("https://")) {
            // The URL may carry an API key: show only its start.
            bad(format!(
                "rpc[{i}]: {} is not an http:// or https:// URL",
                redact(&e.url)
            ));
        }
        if !(e.requests_per_second.is_finite() && e.requests_per_second > 0.0) {
            bad(format!(
                "rpc[{i}]: requests_per_second is {}; it must be above 0",
                e.requests_per_second
            ));
        }
    }

    let feed = file.feed.unwrap_or_default();
    let grpc = match feed.grpc.as_deref() {
        None => None,
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            Some(crate::chain::grpc::GeyserConfig {
                url: url.to_string(),
                x_token: args.grpc_x_token.clone().or(feed.grpc_x_token.clone()),
            })
        }
        Some(other) => {
            bad(format!(
                "feed.grpc: {} is not an http:// or https:// URL",
                redact(other)
            ));
            None
        }
    };
    if grpc.is_none() && feed.grpc_x_token.is_some() {
        bad("feed.grpc_x_token: set, but feed.grpc is not".into());
    }
    let websocket = match feed.websocket.unwrap_or_else(|| "auto".into()).as_str() {
        "off" => None,
        // The gRPC stream replaces the websocket; `auto` then means none.
        "auto" if feed.grpc.is_some() => None,
        url if feed.grpc.is_some() => {
            bad(format!(
                "feed.websocket ({}) and feed.grpc are both set; keep one",
                redact(url)
            ));
            None
        }
        "auto" => match endpoints.first() {
            // A URL that is not http(s) is reported under rpc already.
            Some(e) if !e.url.starts_with("http") => None,
            Some(e) => crate::chain::ws::websocket_url(&e.url).or_else(|| {
                bad(format!(
                    "feed.websocket: no websocket URL follows from {}; give one or write \"off\"",
                    redact(&e.url)
                ));
                None
            }),
            None => None,
        },
        url if url.starts_with("ws://") || url.starts_with("wss://") => Some(url.to_string()),
        other => {
            bad(format!(
                "feed.websocket: {} is not auto, off, or a ws:// or wss:// URL",
                redact(other)
            ));
            None
        }
    };

    let d = ExecConfig::default();
    let x = file.exec.unwrap_or_default();
    let exec = ExecConfig {
        priority_percentile: x.priority_percentile.unwrap_or(d.priority_percentile),
        min_priority_fee: x.min_priority_fee.unwrap_or(d.min_priority_fee),
        max_priority_fee: x.max_priority_fee.unwrap_or(d.max_priority_fee),
        unit_headroom_pct: x.unit_headroom_pct.unwrap_or(d.unit_headroom_pct),
        dry_run: args.dry_run || x.dry_run.unwrap_or(false),
        jito: file.jito.map(|j| j.check(&mut bad)),
    };
    if exec.priority_percentile > 100 {
        bad(format!(
            "exec.priority_percentile: {} is not a percentile (0 to 100)",
            exec.priority_percentile
        ));
    }
    if exec.min_priority_fee > exec.max_priority_fee {
        bad(format!(
            "exec.min_priority_fee ({}) is above exec.max_priority_fee ({})",
            exec.min_priority_fee, exec.max_priority_fee
        ));
    }
    if exec.unit_headroom_pct > 400 {
        bad(format!(
            "exec.unit_headroom_pct: {}% is more than 400%",
            exec.unit_headroom_pct
        ));
    }

    let listen_text = args
        .metrics_listen
        .clone()
        .or(m.listen)
        .unwrap_or_else(|| DEFAULT_METRICS_LISTEN.into());
    let metrics_listen = if listen_text.eq_ignore_ascii_case("off") {
        None
    } else {
        SocketAddr::from_str(&listen_text)
            .map_err(|_| {
                bad(format!(
                    "metrics.listen: {listen_text:?} is not host:port (e.g. 127.0.0.1:9464) or off"
                ))
            })
            .ok()
    };

    let alerts = crate::run::alerts::AlertConfig::from_file(file.alerts, &mut bad);

    if !problems.is_empty() {
        bail!(
            "{} has {} problem{}:\n  - {}",
            path.display(),
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            problems.join("\n  - ")
        );
    }
    Ok(RunConfig {
        vault: vault.expect("checked"),
        keypair: keypair.expect("checked"),
        journal,
        preset: preset.expect("checked"),
        weights: weights.expect("checked"),
        watch,
        probe_quote_account,
        tick_interval,
        endpoints,
        websocket,
        grpc,
        exec,
        metrics_listen,
        stale_after,
        drain,
        alerts,
        max_ticks: args.max_ticks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FileConfig> {
        Ok(toml::from_str(text)?)
    }

    fn args() -> RunArgs {
        RunArgs {
            config: PathBuf::from("/etc/flashforge/keeper.toml"),
            ..Default::default()
        }
    }

    const VAULT: &str = "11111111111111111111111111111111";

    #[test]
    fn the_example_file_is_a_working_configuration() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("keeper.example.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let a = RunArgs {
            config: path.clone(),
            ..Default::default()
        };
        let c = resolve(parse(&text).unwrap(), &a, &path).unwrap();
        assert_eq!(c.vault, Pubkey::from_str(VAULT).unwrap());
        assert_eq!(
            c.keypair,
            path.parent().unwrap().join("keeper-keypair.json")
        );
        assert_eq!(c.tick_interval, Duration::from_secs(2));
        assert_eq!(c.endpoints.len(), 1);
        assert_eq!(c.endpoints[0].requests_per_second, 8.0);
        assert_eq!(c.exec, ExecConfig::default());
        assert_eq!(c.watch.len(), VENUES.len());
        assert_eq!(
            c.metrics_listen,
            Some(SocketAddr::from(([127, 0, 0, 1], 9464)))
        );
        assert_eq!(c.drain, Duration::from_secs(30));
        assert!(c.alerts.sinks.is_empty());
    }

    #[test]
    fn every_problem_is_reported_at_once_and_no_url_secret_is_shown() {
        let f = parse(
            r#"
            vault = "not-a-key"
            tier = "1m"
            watch = ["raydium_cpmm", "uniswap"]
            tick_interval = "fast"
            journal = "mysql://keeper:hunter2@db:5432/flashforge"
            [[rpc]]
            url = "wss://rpc.example.com/?api-key=SECRETKEY"
            requests_per_second = 0
            [exec]
            priority_percentile = 120
            min_priority_fee = 10
            max_priority_fee = 5
            [metrics]
            listen = "everywhere"
            "#,
        )
        .unwrap();
        let e = resolve(f, &args(), Path::new("keeper.toml"))
            .unwrap_err()
            .to_string();
        let expected = [
            "keeper.toml has 11 problems:",
            "vault: \"not-a-key\" is not a base58 address",
            "keypair: missing; set `keypair = \"<file>\"`, KEEPER_KEYPAIR or --keypair",
            "journal: mysql://db:5432 is neither a SQLite file path nor a postgres:// URL",
            "tier: \"1m\" is unknown; choose one of",
            "watch: \"uniswap\" is neither a venue (raydium_amm_v4,",
            "tick_interval: \"fast\" is not a duration",
            "rpc[0]: wss://rpc.example.com is not an http:// or https:// URL",
            "rpc[0]: requests_per_second is 0; it must be above 0",
            "exec.priority_percentile: 120 is not a percentile (0 to 100)",
            "exec.min_priority_fee (10) is above exec.max_priority_fee (5)",
            "metrics.listen: \"everywhere\" is not host:port",
        ];
        for want in expected {
            assert!(e.contains(want), "missing {want:?} in:\n{e}");
        }
        assert!(!e.contains("SECRETKEY") && !e.contains("hunter2"), "{e}");
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let e = parse("vault = \"x\"\n[exec]\nmax_priorty_fee = 5\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `max_priorty_fee`"), "{e}");
    }

    #[test]
    fn flags_and_environment_override_the_file() {
        let f = parse(&format!(
            r#"
            vault = "{VAULT}"
            keypair = "keys/keeper.json"
            [[rpc]]
            url = "https://a.example.com"
            [exec]
            dry_run = false
            [metrics]
            listen = "0.0.0.0:9100"
            "#
        ))
        .unwrap();
        let a = RunArgs {
            rpc: vec![
                "https://b.example.com".into(),
                "https://c.example.com".into(),
            ],
            keypair: Some(PathBuf::from("other.json")),
            dry_run: true,
            metrics_listen: Some("off".into()),
            max_ticks: Some(3),
            ..args()
        };
        let c = resolve(f, &a, &a.config).unwrap();
        let urls: Vec<&str> = c.endpoints.iter().map(|e| e.url.as_str()).collect();
        assert_eq!(urls, ["https://b.example.com", "https://c.example.com"]);
        // A flag's relative path is the working directory's; the file's is the file's.
        assert_eq!(c.keypair, PathBuf::from("other.json"));
        assert_eq!(c.journal, "/etc/flashforge/keeper-journal.sqlite");
        assert!(c.exec.dry_run);
        assert_eq!(c.metrics_listen, None);
        assert_eq!(c.max_ticks, Some(3));
    }

    #[test]
    fn a_health_window_shorter_than_a_tick_is_refused() {
        let f = parse(&format!(
            "vault = \"{VAULT}\"\nkeypair = \"k.json\"\ntick_interval = \"30s\"\n[[rpc]]\nurl = \"http://127.0.0.1:8899\"\n[metrics]\nstale_after = \"10s\"\n"
        ))
        .unwrap();
        let e = resolve(f, &args(), Path::new("k.toml"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "k.toml has 1 problem:\n  - metrics.stale_after (10s) must be longer than tick_interval (30s)"
        );
    }

    #[test]
    fn strategy_changes_apply_to_the_tier_and_are_checked() {
        let ok = parse(&format!(
            "vault = \"{VAULT}\"\nkeypair = \"k.json\"\ntier = \"50\"\n[[rpc]]\nurl = \"http://127.0.0.1:8899\"\n[strategy]\nmax_buy = 1000\nmin_safety_score = 0\nmax_hold = \"15m\"\n"
        ))
        .unwrap();
        let c = resolve(ok, &args(), Path::new("k.toml")).unwrap();
        assert_eq!(
            (
                c.preset.max_buy,
                c.preset.min_safety_score,
                c.preset.max_hold_seconds
            ),
            (1_000, 0, 900)
        );
        assert_eq!(c.preset.concurrent_trades, 1, "the rest of the tier stays");

        let f = parse(&format!(
            "vault = \"{VAULT}\"\nkeypair = \"k.json\"\n[[rpc]]\nurl = \"http://127.0.0.1:8899\"\n[strategy]\nmax_buy = 0\nslippage_bps = 20000\nmax_total_exposure = 5\nmax_exposure_per_token = 6\n"
        ))
        .unwrap();
        let e = resolve(f, &args(), Path::new("k.toml"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "k.toml has 3 problems:\n  \
             - strategy.max_buy: 0 buys nothing\n  \
             - strategy.slippage_bps: 20000 is above 10000 (100%)\n  \
             - strategy.max_exposure_per_token (6) is above strategy.max_total_exposure (5)"
        );
    }

    #[test]
    fn the_websocket_follows_the_first_endpoint_unless_told() {
        let with = |feed: &str| {
            let f = parse(&format!(
                "vault = \"{VAULT}\"\nkeypair = \"k.json\"\n[[rpc]]\nurl = \"http://127.0.0.1:8899/?api-key=SECRETKEY\"\n{feed}"
            ))
            .unwrap();
            resolve(f, &args(), Path::new("k.toml"))
        };
        let c = with("").unwrap();
        assert_eq!(
            c.websocket.as_deref(),
            Some("ws://127.0.0.1:8900/?api-key=SECRETKEY")
        );
        assert_eq!(c.shown().websocket.as_deref(), Some("ws://127.0.0.1:8900"));
        assert_eq!(with("[feed]\nwebsocket = \"off\"").unwrap().websocket, None);
        let e = with("[feed]\nwebsocket = \"https://ws.example.com/?k=SECRETKEY\"")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "k.toml has 1 problem:\n  - feed.websocket: https://ws.example.com is not auto, off, or a ws:// or wss:// URL"
        );
    }

    #[test]
    fn a_grpc_feed_replaces_the_websocket_and_is_checked() {
        let with = |feed: &str, token: Option<&str>| {
            let f = parse(&format!(
                "vault = \"{VAULT}\"\nkeypair = \"k.json\"\n[[rpc]]\nurl = \"http://127.0.0.1:8899\"\n[feed]\n{feed}"
            ))
            .unwrap();
            let a = RunArgs {
                grpc_x_token: token.map(String::from),
                ..args()
            };
            resolve(f, &a, Path::new("k.toml"))
        };
        let c = with(
            "grpc = \"https://grpc.example.com:10000/?k=SECRETKEY\"\ngrpc_x_token = \"FILETOKEN\"",
            None,
        )
        .unwrap();
        let g = c.grpc.as_ref().unwrap();
        assert_eq!(g.url, "https://grpc.example.com:10000/?k=SECRETKEY");
        assert_eq!(g.x_token.as_deref(), Some("FILETOKEN"));
        assert_eq!(c.websocket, None, "auto means none beside gRPC");
        let shown = serde_json::to_string(&c.shown()).unwrap();
        assert!(
            shown.contains("\"grpc\":\"https://grpc.example.com:10000\""),
            "{shown}"
        );
        assert!(
            !shown.contains("SECRETKEY") && !shown.contains("FILETOKEN"),
            "{shown}"
        );
        // The environment's token wins over the file's.
        let c = with(
            "grpc = \"http://127.0.0.1:10000\"\ngrpc_x_token = \"FILETOKEN\"",
            Some("ENVTOKEN"),
        )
        .unwrap();
        assert_eq!(c.grpc.unwrap().x_token.as_deref(), Some("ENVTOKEN"));

        let e = with(
            "grpc = \"grpc.example.com:10000\"\nwebsocket = \"ws://127.0.0.1:8900\"",
            None,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "k.toml has 2 problems:\n  \
             - feed.grpc: <endpoint> is not an http:// or https:// URL\n  \
             - feed.websocket (ws://127.0.0.1:8900) and feed.grpc are both set; keep one"
        );
        let e = with("grpc_x_token = \"FILETOKEN\"", None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "k.toml has 1 problem:\n  - feed.grpc_x_token: set, but feed.grpc is not"
        );
    }

    #[test]
    fn a_jito_table_turns_bundles_on_and_is_checked() {
        let with = |jito: &str| {
            let f = parse(&format!(
                "vault = \"{VAULT}\"\nkeypair = \"k.json\"\n[[rpc]]\nurl = \"http://127.0.0.1:8899\"\n{jito}"
            ))
            .unwrap();
            resolve(f, &args(), Path::new("k.toml"))
        };
        assert_eq!(with("").unwrap().exec.jito, None);
        let j = with("[jito]\n").unwrap().exec.jito.unwrap();
        assert_eq!(j.block_engine, "https://mainnet.block-engine.jito.wtf");
        assert_eq!(
            (j.tip_percentile, j.min_tip_lamports, j.max_tip_lamports),
            (50, 1_000, 1_000_000)
        );
        let e = with("[jito]\nblock_engine = \"grpc://be.example.com/SECRET\"\ntip_percentile = 60\nmin_tip_lamports = 10\nmax_tip_lamports = 5\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "k.toml has 3 problems:\n  \
             - jito.block_engine: grpc://be.example.com is not an http(s) URL\n  \
             - jito.tip_percentile: 60 is not one the tip floor reports (25, 50, 75, 95, 99)\n  \
             - jito.min_tip_lamports (10) is above jito.max_tip_lamports (5)"
        );
    }
}
