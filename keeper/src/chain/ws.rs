//! A push feed of the watched programs' transactions, kept alive across drops: a websocket
//! (`logsSubscribe`, one subscription per program) or, with [`super::grpc`], a Yellowstone
//! gRPC stream.
//!
//! The websocket only says *which* signatures to read; [`super::rpc::RpcChain::poll`] reads
//! them. The gRPC stream hands over whole transactions. Either is a fast path, never the only
//! one: every (re)connection is reported as an [`Event::Gap`], after which the poller lists
//! the programs' signatures since the last one it read, so anything missed while the stream
//! was down is found by the listing. Reading a signature twice is prevented on the poller's
//! side.

use super::endpoints::{backoff, redact};
use super::FeedTx;
use crate::detect::logs::may_create_pool;
use futures_util::{SinkExt, StreamExt};
use rand::SeedableRng;
use serde_json::{json, Value};
use solana_sdk::pubkey::Pubkey;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Silence after which the connection is probed with a ping; twice that and it is dropped.
const IDLE: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A transaction that mentions `program` landed.
    Signature {
        program: Pubkey,
        signature: String,
        failed: bool,
        /// Whether its logs leave room for a pool creation ([`may_create_pool`]); one that
        /// cannot be a creation is not read.
        maybe_pool: bool,
    },
    /// A whole transaction that mentions `program`, as the gRPC stream delivers it: nothing
    /// left to read.
    Transaction {
        program: Pubkey,
        signature: String,
        tx: Box<FeedTx>,
    },
    /// Subscribed afresh: notifications may have been missed before this.
    Gap,
}

/// Counters of the feed, for metrics.
#[derive(Debug, Default)]
pub struct FeedStats {
    pub connected: AtomicBool,
    pub connects: AtomicU64,
    pub notifications: AtomicU64,
    /// Notified transactions left unread because their logs rule out a pool creation.
    pub unread: AtomicU64,
}

/// The receiving end of a running feed.
pub struct Feed {
    rx: mpsc::Receiver<Event>,
    buffer: Vec<Event>,
    pub programs: Vec<Pubkey>,
    pub stats: Arc<FeedStats>,
}

/// The websocket URL of a JSON-RPC URL, by the cluster's convention: same host and path with
/// the ws scheme, and the next port when a port is given (8899 → 8900).
pub fn websocket_url(http: &str) -> Option<String> {
    let (scheme, rest) = http.split_once("://")?;
    let scheme = match scheme {
        "http" => "ws",
        "https" => "wss",
        _ => return None,
    };
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    let default_port = if scheme == "ws" { 80 } else { 443 };
    let authority = match authority
        .rsplit_once(':')
        .map(|(h, p)| (h, p.parse::<u16>()))
    {
        Some((host, Ok(port))) if port != default_port => {
            format!("{host}:{}", port.checked_add(1)?)
        }
        _ => authority.to_string(),
    };
    Some(format!("{scheme}://{authority}{tail}"))
}

impl Feed {
    /// Starts following `programs` over the websocket at `url`; the task ends when the feed
    /// is dropped.
    pub fn websocket(url: String, programs: Vec<Pubkey>) -> Self {
        Self::spawn(programs, |programs, tx, stats| async move {
            let shown = format!("websocket {}", redact(&url));
            keep_alive(&shown, &tx, &stats, || {
                session(&url, &programs, &tx, &stats)
            })
            .await
        })
    }

    /// Starts the task `run(programs, sender, stats)` and returns its receiving end.
    pub(super) fn spawn<F, Fut>(programs: Vec<Pubkey>, run: F) -> Self
    where
        F: FnOnce(Vec<Pubkey>, mpsc::Sender<Event>, Arc<FeedStats>) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(4_096);
        let stats = Arc::new(FeedStats::default());
        tokio::spawn(run(programs.clone(), tx, stats.clone()));
        Self {
            rx,
            buffer: Vec::new(),
            programs,
            stats,
        }
    }

    pub fn connected(&self) -> bool {
        self.stats.connected.load(Ordering::Relaxed)
    }

    /// Everything received so far.
    pub fn drain(&mut self) -> Vec<Event> {
        let mut out = std::mem::take(&mut self.buffer);
        while let Ok(e) = self.rx.try_recv() {
            out.push(e);
        }
        out
    }

    /// Waits up to `limit` for something to arrive; returns whether anything is waiting.
    pub async fn wait(&mut self, limit: Duration) -> bool {
        if !self.buffer.is_empty() {
            return true;
        }
        match tokio::time::timeout(limit, self.rx.recv()).await {
            Ok(Some(e)) => {
                self.buffer.push(e);
                true
            }
            _ => false,
        }
    }
}

/// Runs `session` again and again with jittered backoff until it returns `Ok` (the receiving
/// side is gone). `shown` names the feed in logs, without secrets.
pub(super) async fn keep_alive<S, Fut>(
    shown: &str,
    tx: &mpsc::Sender<Event>,
    stats: &FeedStats,
    mut session: S,
) where
    S: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let mut rng = rand::rngs::StdRng::from_entropy();
    let mut failures = 0u32;
    loop {
        let started = Instant::now();
        let why = match session().await {
            Ok(()) => return, // the feed was dropped
            Err(why) => why,
        };
        stats.connected.store(false, Ordering::Relaxed);
        if tx.is_closed() {
            return;
        }
        // A connection that lived a while starts the backoff over.
        failures = if started.elapsed() > Duration::from_secs(60) {
            1
        } else {
            failures + 1
        };
        let wait = backoff(failures, &mut rng);
        tracing::warn!("{shown}: {why}; reconnecting in {} ms", wait.as_millis());
        tokio::time::sleep(wait).await;
    }
}

/// One connection: subscribe, then forward notifications until it fails. `Ok` only when the
/// receiving side is gone.
async fn session(
    url: &str,
    programs: &[Pubkey],
    tx: &mpsc::Sender<Event>,
    stats: &FeedStats,
) -> Result<(), String> {
    let (mut ws, _) = tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(url))
        .await
        .map_err(|_| "connection timed out".to_string())?
        // The error's text can quote the URL: keep only its kind.
        .map_err(|e| format!("cannot connect ({})", error_kind(&e)))?;
    for (i, p) in programs.iter().enumerate() {
        let req = json!({"jsonrpc": "2.0", "id": i, "method": "logsSubscribe",
                         "params": [{"mentions": [p.to_string()]}, {"commitment": "confirmed"}]});
        ws.send(Message::text(req.to_string()))
            .await
            .map_err(|e| format!("subscribing: {}", error_kind(&e)))?;
    }
    let mut subs: HashMap<u64, Pubkey> = HashMap::new();
    let mut probed = false;
    loop {
        let msg = match tokio::time::timeout(IDLE, ws.next()).await {
            Err(_) if probed => return Err("no answer to a ping".into()),
            Err(_) => {
                probed = true;
                ws.send(Message::Ping(Vec::new().into()))
                    .await
                    .map_err(|e| format!("ping: {}", error_kind(&e)))?;
                continue;
            }
            Ok(None) => return Err("closed by the server".into()),
            Ok(Some(Err(e))) => return Err(format!("read: {}", error_kind(&e))),
            Ok(Some(Ok(m))) => m,
        };
        probed = false;
        let text = match msg {
            Message::Text(t) => t,
            Message::Close(_) => return Err("closed by the server".into()),
            _ => continue, // pings are answered by the library; pongs and binary ignored
        };
        let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
            continue;
        };
        if let (Some(id), Some(sub)) = (v["id"].as_u64(), v["result"].as_u64()) {
            let Some(p) = programs.get(id as usize) else {
                continue;
            };
            subs.insert(sub, *p);
            if subs.len() == programs.len() {
                stats.connected.store(true, Ordering::Relaxed);
                stats.connects.fetch_add(1, Ordering::Relaxed);
                if tx.send(Event::Gap).await.is_err() {
                    return Ok(());
                }
            }
            continue;
        }
        if v.get("error").is_some() {
            return Err(format!("subscription refused: {}", v["error"]["message"]));
        }
        if v["method"] != "logsNotification" {
            continue;
        }
        let params = &v["params"];
        let Some(program) = params["subscription"].as_u64().and_then(|s| subs.get(&s)) else {
            continue;
        };
        let value = &params["result"]["value"];
        let Some(signature) = value["signature"].as_str() else {
            continue;
        };
        stats.notifications.fetch_add(1, Ordering::Relaxed);
        let logs = crate::detect::formats::string_list(&value["logs"]);
        let e = Event::Signature {
            program: *program,
            signature: signature.to_string(),
            failed: !value["err"].is_null(),
            maybe_pool: may_create_pool(&logs),
        };
        if tx.send(e).await.is_err() {
            return Ok(());
        }
    }
}

fn error_kind(e: &tokio_tungstenite::tungstenite::Error) -> &'static str {
    use tokio_tungstenite::tungstenite::Error as E;
    match e {
        E::ConnectionClosed | E::AlreadyClosed => "closed",
        E::Io(_) => "i/o error",
        E::Tls(_) => "TLS error",
        E::Protocol(_) => "protocol error",
        E::Http(_) => "HTTP error",
        E::Url(_) => "bad URL",
        _ => "websocket error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_urls_follow_the_cluster_convention() {
        assert_eq!(
            websocket_url("http://127.0.0.1:8899").as_deref(),
            Some("ws://127.0.0.1:8900")
        );
        assert_eq!(
            websocket_url("https://mainnet.example.com/?api-key=k").as_deref(),
            Some("wss://mainnet.example.com/?api-key=k")
        );
        assert_eq!(
            websocket_url("https://rpc.example.com:443/path").as_deref(),
            Some("wss://rpc.example.com:443/path")
        );
        assert_eq!(
            websocket_url("http://[::1]:8899/").as_deref(),
            Some("ws://[::1]:8900/")
        );
        assert_eq!(websocket_url("ftp://x"), None);
        assert_eq!(websocket_url("http://h:65535"), None);
    }
}
