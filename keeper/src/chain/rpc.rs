//! [`Chain`] over a cluster's JSON-RPC endpoint.
//!
//! Requests go through [`Endpoints`]: timeouts everywhere, per-endpoint rate limits, and
//! failover with jittered backoff when an endpoint is rate-limited, failing or unreachable. Transactions are sent with preflight skipped because the executor simulates them
//! itself first, and with `maxRetries: 0` because the executor owns rebroadcasting.

use super::endpoints::{EndpointConfig, EndpointStats, Endpoints, DEFAULT_RPS};
use super::grpc::GeyserConfig;
use super::ws::{Event, Feed, FeedStats};
use super::{Chain, FeedPosition, FeedTx, Landed, RecentBlockhash, Simulation, TxFailure};
use crate::detect::formats::{parse_value, string_list};
use anyhow::{anyhow, Context, Result};
use base64::Engine;
use serde_json::{json, Value};
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::VersionedTransaction;
use std::collections::{HashMap, HashSet, VecDeque};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct RpcChain {
    endpoints: Endpoints,
    /// Newest signature read per watched program (the `until` of the next listing) and its
    /// block time; `None` for a program that had no transaction when watching began.
    cursors: HashMap<Pubkey, Option<(String, i64)>>,
    /// The websocket fast path, when there is one.
    feed: Option<Feed>,
    /// Signatures already read, so the listing and the websocket never hand one out twice.
    seen: Seen,
    /// Notified signatures the node could not return yet: `(program, signature, tries)`.
    retry: Vec<(Pubkey, String, u8)>,
    /// Listed signatures the node could not return yet, with the tries so far.
    unreadable: HashMap<String, u8>,
    last_listing: Option<Instant>,
    /// The last blockhash fetched and when (see [`BLOCKHASH_TTL`]).
    blockhash: Option<(Instant, RecentBlockhash)>,
    /// The last cluster time read and when (kept as long as a blockhash).
    clock: Option<(Instant, i64)>,
}

/// How long a fetched blockhash is reused: one slot of its ~150-slot life, so the orders and
/// probes of one tick share a request, and a transaction signed with it loses nothing that
/// matters of its time to land.
pub const BLOCKHASH_TTL: Duration = Duration::from_millis(400);

/// With a live websocket feed, the signature listing still runs this often, as a net under
/// notifications a node may drop without dropping the connection.
const SAFETY_LISTING: Duration = Duration::from_secs(30);
/// Polls a signature is retried while the node lists or announces it but has no transaction
/// for it yet (behind a load balancer, nodes lag each other by a few slots). At the least
/// spacing of ticks that is five seconds.
const NOTIFIED_TRIES: u8 = 20;

/// A bounded set of signatures: the newest `cap` are remembered.
struct Seen {
    set: HashSet<String>,
    order: VecDeque<String>,
    cap: usize,
}

impl Seen {
    fn new(cap: usize) -> Self {
        Self {
            set: HashSet::new(),
            order: VecDeque::new(),
            cap,
        }
    }

    fn contains(&self, sig: &str) -> bool {
        self.set.contains(sig)
    }

    fn insert(&mut self, sig: &str) {
        if self.set.insert(sig.to_string()) {
            self.order.push_back(sig.to_string());
            if self.order.len() > self.cap {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }
}

impl RpcChain {
    /// One endpoint at the default rate limit.
    pub fn new(url: &str) -> Result<Self> {
        Self::with_endpoints(vec![EndpointConfig {
            url: url.to_string(),
            requests_per_second: DEFAULT_RPS,
        }])
    }

    /// Endpoints from a comma-separated list of URLs, at the default rate limit, with
    /// failover in the order given.
    pub fn from_list(urls: &str) -> Result<Self> {
        Self::with_endpoints(
            urls.split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(|u| EndpointConfig {
                    url: u.to_string(),
                    requests_per_second: DEFAULT_RPS,
                })
                .collect(),
        )
    }

    /// Several endpoints with failover (see [`Endpoints`]).
    pub fn with_endpoints(configs: Vec<EndpointConfig>) -> Result<Self> {
        Ok(Self {
            endpoints: Endpoints::new(configs)?,
            cursors: HashMap::new(),
            feed: None,
            seen: Seen::new(200_000),
            retry: Vec::new(),
            unreadable: HashMap::new(),
            last_listing: None,
            blockhash: None,
            clock: None,
        })
    }

    /// Follows `programs` over the websocket at `url` as well: transactions are read as soon
    /// as they are notified, and the signature listing becomes the backfill after a drop.
    pub fn with_feed(mut self, url: String, programs: Vec<Pubkey>) -> Self {
        self.feed = Some(Feed::websocket(url, programs));
        self
    }

    /// Follows `programs` over a Yellowstone gRPC stream instead: whole transactions arrive
    /// with the notification, and the signature listing is the backfill after a drop.
    pub fn with_geyser(mut self, cfg: GeyserConfig, programs: Vec<Pubkey>) -> Self {
        self.feed = Some(Feed::geyser(cfg, programs));
        self
    }

    pub fn feed_stats(&self) -> Option<Arc<FeedStats>> {
        self.feed.as_ref().map(|f| f.stats.clone())
    }

    /// Waits up to `limit` for a websocket notification; `false` at once without a feed.
    pub async fn wait_for_feed(&mut self, limit: Duration) -> bool {
        match self.feed.as_mut() {
            Some(f) => f.wait(limit).await,
            None => false,
        }
    }

    /// Reads one transaction: its block time and what it holds (nothing when it does not
    /// parse); `Ok(None)` when the node has none (yet).
    async fn read_transaction(&mut self, sig: &str) -> Result<Option<(i64, Vec<FeedTx>)>> {
        let t = self
            .call(
                "getTransaction",
                json!([sig, {"encoding": "json", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}]),
            )
            .await?;
        if t.is_null() {
            return Ok(None);
        }
        let slot = t["slot"].as_u64().unwrap_or(0);
        let block_time = t["blockTime"].as_i64().unwrap_or(0);
        let txs = match parse_value(&t) {
            Ok(txs) => txs
                .into_iter()
                .map(|tx| FeedTx {
                    tx,
                    slot,
                    block_time,
                })
                .collect(),
            // One transaction the parser cannot read must not stall the feed.
            Err(e) => {
                tracing::warn!("skipping transaction {sig}: {e}");
                Vec::new()
            }
        };
        Ok(Some((block_time, txs)))
    }

    /// The listing path: every signature of each program since its cursor, oldest first.
    async fn list_and_read(&mut self, programs: &[Pubkey], out: &mut Vec<FeedTx>) -> Result<()> {
        let mut stalled = false;
        for p in programs {
            let first_poll = !self.cursors.contains_key(p);
            let until = self.cursors.get(p).cloned().flatten().map(|(s, _)| s);
            let list = self
                .signatures_since(p, until.as_deref(), first_poll)
                .await?;
            let newest = list.first().and_then(|s| {
                let sig = s["signature"].as_str()?;
                Some((sig.to_string(), s["blockTime"].as_i64().unwrap_or(0)))
            });
            if first_poll {
                // Start from now: history is not replayed. A program with no history yet gets
                // an empty cursor, so its very first transaction is not mistaken for history.
                self.cursors.insert(*p, newest);
                continue;
            }
            // Oldest first, so pools are seen in the order they were created. The cursor
            // moves over what was read, and stops before a transaction the node lists but
            // cannot return yet (load-balanced nodes lag each other): the next listing, due
            // at once, starts there. One that stays unreadable is skipped after a few tries.
            let mut cursor = None;
            for s in list.iter().rev() {
                let Some(sig) = s["signature"].as_str() else {
                    continue;
                };
                let here = Some((sig.to_string(), s["blockTime"].as_i64().unwrap_or(0)));
                if !s["err"].is_null() || self.seen.contains(sig) {
                    self.unreadable.remove(sig);
                    cursor = here;
                    continue;
                }
                match self.read_transaction(sig).await {
                    Ok(Some((_, txs))) => {
                        out.extend(txs);
                        self.seen.insert(sig);
                        self.unreadable.remove(sig);
                    }
                    Ok(None) => {
                        let tries = self.unreadable.entry(sig.to_string()).or_insert(0);
                        *tries += 1;
                        if *tries < NOTIFIED_TRIES {
                            stalled = true;
                            break;
                        }
                        tracing::warn!(
                            "{p}: the node lists {sig} but has not returned it in {NOTIFIED_TRIES} tries; skipping it"
                        );
                        self.unreadable.remove(sig);
                    }
                    Err(e) => {
                        // Keep what was read, from the cursor on.
                        if cursor.is_some() {
                            self.cursors.insert(*p, cursor);
                        }
                        return Err(e);
                    }
                }
                cursor = here;
            }
            if cursor.is_some() {
                self.cursors.insert(*p, cursor);
            }
        }
        // A stalled listing runs again on the next poll.
        self.last_listing = (!stalled).then(Instant::now);
        Ok(())
    }

    /// Requests, errors, rate limits and latency per endpoint.
    pub fn endpoint_stats(&self) -> Vec<EndpointStats> {
        self.endpoints.stats()
    }

    /// One JSON-RPC call; returns `result`. Failing or rate-limited endpoints cool down with
    /// jittered exponential backoff and the call moves to the next healthy one.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        self.endpoints.call(method, params).await
    }
}

impl RpcChain {
    /// The transactions a gRPC stream delivered whole that were not handed out yet; each is
    /// marked seen and named in `advance` as where its program's cursor may move.
    fn take_delivered(
        &mut self,
        delivered: Vec<(Pubkey, String, Box<FeedTx>)>,
        advance: &mut Vec<(Pubkey, String, i64)>,
    ) -> Vec<FeedTx> {
        let mut out = Vec::new();
        for (program, sig, tx) in delivered {
            advance.push((program, sig.clone(), tx.block_time));
            if self.seen.contains(&sig) {
                continue;
            }
            self.seen.insert(&sig);
            out.push(*tx);
        }
        out
    }
}

/// Signatures per getSignaturesForAddress page (the nodes' maximum).
const SIGNATURE_PAGE: usize = 1_000;
/// Most signatures one poll reads back per program; a longer gap keeps the newest.
const MAX_BACKFILL: usize = 20_000;

impl RpcChain {
    /// Signatures of `program` newer than `until`, newest first, paging back with `before` so
    /// that a burst of more than one page between two polls is read whole.
    async fn signatures_since(
        &mut self,
        program: &Pubkey,
        until: Option<&str>,
        one_page: bool,
    ) -> Result<Vec<Value>> {
        let mut list: Vec<Value> = Vec::new();
        loop {
            let limit = if one_page { 1 } else { SIGNATURE_PAGE };
            let mut opts = json!({"limit": limit, "commitment": "confirmed"});
            if let Some(u) = until {
                opts["until"] = json!(u);
            }
            if let Some(b) = list.last().and_then(|s| s["signature"].as_str()) {
                opts["before"] = json!(b);
            }
            let page = self
                .call(
                    "getSignaturesForAddress",
                    json!([program.to_string(), opts]),
                )
                .await?;
            let page = page.as_array().cloned().unwrap_or_default();
            let n = page.len();
            list.extend(page);
            if one_page || n < limit {
                return Ok(list);
            }
            if list.len() >= MAX_BACKFILL {
                tracing::warn!(
                    "{program}: more than {MAX_BACKFILL} transactions since the last poll; older ones are skipped"
                );
                return Ok(list);
            }
        }
    }
}

/// What a poll read before an error: handed out (each is marked seen and will not come again),
/// the error only logged; an error with nothing read is the poll's error.
fn partial(out: Vec<FeedTx>, e: anyhow::Error) -> Result<Vec<FeedTx>> {
    if out.is_empty() {
        return Err(e);
    }
    tracing::warn!("feed: {e:#}; the rest is read next time");
    Ok(out)
}

fn b64(tx: &VersionedTransaction) -> Result<String> {
    Ok(base64::engine::general_purpose::STANDARD.encode(flashforge_tests::versioned_bytes(tx)))
}

fn parse_account(v: &Value) -> Result<Option<Account>> {
    if v.is_null() {
        return Ok(None);
    }
    let data = v["data"][0]
        .as_str()
        .ok_or_else(|| anyhow!("account data is not base64"))?;
    Ok(Some(Account {
        lamports: v["lamports"].as_u64().unwrap_or(0),
        data: base64::engine::general_purpose::STANDARD.decode(data)?,
        owner: Pubkey::from_str(v["owner"].as_str().unwrap_or_default())?,
        executable: v["executable"].as_bool().unwrap_or(false),
        rent_epoch: 0,
    }))
}

/// A transaction error as JSON-RPC renders it, e.g. `{"InstructionError":[2,{"Custom":6021}]}`.
fn failure(err: &Value, logs: &[String]) -> Option<TxFailure> {
    if err.is_null() {
        return None;
    }
    let custom_code = err["InstructionError"][1]["Custom"]
        .as_u64()
        .map(|c| c as u32);
    Some(TxFailure {
        message: err.to_string(),
        custom_code,
        program: custom_code.and_then(|_| super::failing_program(logs)),
    })
}

impl Chain for RpcChain {
    async fn accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let list: Vec<String> = chunk.iter().map(|k| k.to_string()).collect();
            let r = self
                .call(
                    "getMultipleAccounts",
                    json!([list, {"encoding": "base64", "commitment": "confirmed"}]),
                )
                .await?;
            let values = r["value"]
                .as_array()
                .ok_or_else(|| anyhow!("getMultipleAccounts: no value list"))?;
            for v in values {
                out.push(parse_account(v)?);
            }
        }
        Ok(out)
    }

    async fn largest_token_accounts(&mut self, mint: &Pubkey) -> Result<Vec<(Pubkey, u64)>> {
        let r = self
            .call(
                "getTokenLargestAccounts",
                json!([mint.to_string(), {"commitment": "confirmed"}]),
            )
            .await?;
        let mut v = Vec::new();
        for a in r["value"].as_array().into_iter().flatten() {
            let key = Pubkey::from_str(a["address"].as_str().unwrap_or_default())?;
            let amount: u64 = a["amount"].as_str().unwrap_or("0").parse()?;
            v.push((key, amount));
        }
        Ok(v)
    }

    /// The block time of the confirmed slot. Reused for one slot: a tick asks for the time
    /// at every stage, and each reading costs two requests.
    async fn now(&mut self) -> Result<i64> {
        if let Some((at, t)) = self.clock {
            if at.elapsed() < BLOCKHASH_TTL {
                return Ok(t);
            }
        }
        let slot = self
            .call("getSlot", json!([{"commitment": "confirmed"}]))
            .await?;
        let t = self
            .call("getBlockTime", json!([slot]))
            .await?
            .as_i64()
            .ok_or_else(|| anyhow!("getBlockTime: no time"))?;
        self.clock = Some((Instant::now(), t));
        Ok(t)
    }

    async fn block_height(&mut self) -> Result<u64> {
        self.call("getBlockHeight", json!([{"commitment": "confirmed"}]))
            .await?
            .as_u64()
            .ok_or_else(|| anyhow!("getBlockHeight: not a number"))
    }

    async fn latest_blockhash(&mut self) -> Result<RecentBlockhash> {
        if let Some((at, b)) = self.blockhash {
            if at.elapsed() < BLOCKHASH_TTL {
                return Ok(b);
            }
        }
        let r = self
            .call("getLatestBlockhash", json!([{"commitment": "confirmed"}]))
            .await?;
        let b = RecentBlockhash {
            hash: Hash::from_str(r["value"]["blockhash"].as_str().unwrap_or_default())
                .map_err(|e| anyhow!("getLatestBlockhash: {e}"))?,
            last_valid_height: r["value"]["lastValidBlockHeight"]
                .as_u64()
                .ok_or_else(|| anyhow!("getLatestBlockhash: no lastValidBlockHeight"))?,
        };
        self.blockhash = Some((Instant::now(), b));
        Ok(b)
    }

    async fn priority_fee(&mut self, accounts: &[Pubkey], percentile: u8) -> Result<u64> {
        let list: Vec<String> = accounts.iter().take(128).map(|k| k.to_string()).collect();
        let r = self
            .call("getRecentPrioritizationFees", json!([list]))
            .await?;
        let mut fees: Vec<u64> = r
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["prioritizationFee"].as_u64())
            .collect();
        Ok(crate::execute::percentile(&mut fees, percentile))
    }

    async fn simulate(&mut self, tx: &VersionedTransaction) -> Result<Simulation> {
        let r = self
            .call(
                "simulateTransaction",
                json!([b64(tx)?, {"encoding": "base64", "sigVerify": false, "commitment": "confirmed"}]),
            )
            .await?;
        let v = &r["value"];
        let logs = string_list(&v["logs"]);
        Ok(Simulation {
            err: failure(&v["err"], &logs),
            logs,
            units: v["unitsConsumed"].as_u64().unwrap_or(0),
        })
    }

    async fn send(&mut self, tx: &VersionedTransaction) -> Result<Signature> {
        let r = self
            .call(
                "sendTransaction",
                json!([b64(tx)?, {"encoding": "base64", "skipPreflight": true, "maxRetries": 0}]),
            )
            .await?;
        Signature::from_str(r.as_str().unwrap_or_default())
            .map_err(|e| anyhow!("sendTransaction: {e}"))
    }

    async fn status(&mut self, sig: &Signature) -> Result<Option<Landed>> {
        let r = self
            .call(
                "getSignatureStatuses",
                json!([[sig.to_string()], {"searchTransactionHistory": true}]),
            )
            .await?;
        let s = &r["value"][0];
        if s.is_null() {
            return Ok(None);
        }
        let level = s["confirmationStatus"].as_str().unwrap_or("processed");
        if level == "processed" {
            return Ok(None);
        }
        let t = self
            .call(
                "getTransaction",
                json!([sig.to_string(), {"encoding": "json", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}]),
            )
            .await?;
        let logs = string_list(&t["meta"]["logMessages"]);
        Ok(Some(Landed {
            err: failure(&s["err"], &logs),
            logs,
            slot: s["slot"].as_u64().unwrap_or(0),
        }))
    }

    async fn poll(&mut self, programs: &[Pubkey]) -> Result<Vec<FeedTx>> {
        let mut out = Vec::new();
        let (events, live) = match self.feed.as_mut() {
            Some(f) => {
                let live = f.connected() && programs.iter().all(|p| f.programs.contains(p));
                (f.drain(), live)
            }
            None => (Vec::new(), false),
        };
        let gap = events.contains(&Event::Gap);
        let listing_due = !live
            || gap
            || self
                .last_listing
                .is_none_or(|t| t.elapsed() >= SAFETY_LISTING);
        // Every announced signature waits in `retry` until it is read, so an error below
        // loses none of them. Whole transactions need no reading.
        let mut delivered = Vec::new();
        for e in events {
            match e {
                Event::Signature {
                    program,
                    signature,
                    failed: false,
                    maybe_pool,
                } if programs.contains(&program) => {
                    if maybe_pool {
                        self.retry.push((program, signature, 0));
                    } else {
                        // Its logs show it creates no pool: never read, by this path or by
                        // a listing. The cursor moves over it with the next listing.
                        self.seen.insert(&signature);
                        if let Some(f) = &self.feed {
                            f.stats
                                .unread
                                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                }
                Event::Transaction {
                    program,
                    signature,
                    tx,
                } if programs.contains(&program) && !tx.tx.failed => {
                    delivered.push((program, signature, tx))
                }
                _ => {}
            }
        }
        // Where each program's cursor may move to, from what the stream handed over. After
        // an error no cursor moves: the next listing starts where this one did.
        let mut advance: Vec<(Pubkey, String, i64)> = Vec::new();
        if listing_due {
            if let Err(e) = self.list_and_read(programs, &mut out).await {
                // What was delivered whole is kept: it counts as read only once handed out.
                out.extend(self.take_delivered(delivered, &mut Vec::new()));
                return partial(out, e);
            }
        }
        out.extend(self.take_delivered(delivered, &mut advance));
        // The fast path: what the websocket announced. Signatures the listing just read are
        // skipped as seen.
        let notified = std::mem::take(&mut self.retry);
        let mut given_up: HashSet<Pubkey> = HashSet::new();
        for (i, (program, sig, tries)) in notified.iter().enumerate() {
            if self.seen.contains(sig) {
                continue;
            }
            match self.read_transaction(sig).await {
                Ok(Some((block_time, txs))) => {
                    out.extend(txs);
                    self.seen.insert(sig);
                    advance.push((*program, sig.clone(), block_time));
                }
                Ok(None) if tries + 1 < NOTIFIED_TRIES => {
                    self.retry.push((*program, sig.clone(), tries + 1));
                }
                Ok(None) => {
                    // The next poll lists from the cursor, which has not moved past it: the
                    // listing finds it if it ever lands.
                    given_up.insert(*program);
                    self.last_listing = None;
                }
                Err(e) => {
                    self.retry.extend(notified[i..].iter().cloned());
                    return partial(out, e);
                }
            }
        }
        // Between listings the cursors follow the stream (a listing sets them itself), but
        // never past a signature that is still to be read.
        if !listing_due {
            for (program, sig, block_time) in advance {
                let waiting =
                    given_up.contains(&program) || self.retry.iter().any(|(p, _, _)| *p == program);
                if !waiting {
                    self.cursors.insert(program, Some((sig, block_time)));
                }
            }
        }
        Ok(out)
    }

    fn feed_positions(&self) -> Vec<FeedPosition> {
        let mut v: Vec<FeedPosition> = self
            .cursors
            .iter()
            .filter_map(|(program, c)| {
                let (signature, block_time) = c.clone()?;
                Some(FeedPosition {
                    program: *program,
                    signature,
                    block_time,
                })
            })
            .collect();
        v.sort_by_key(|p| p.program);
        v
    }

    fn resume_feed(&mut self, positions: &[FeedPosition]) {
        for p in positions {
            self.cursors
                .insert(p.program, Some((p.signature.clone(), p.block_time)));
        }
    }

    async fn program_accounts(
        &mut self,
        program: &Pubkey,
        discriminator: &[u8],
        offset: usize,
        key: &Pubkey,
    ) -> Result<Vec<(Pubkey, Account)>> {
        let filters = json!([
            {"memcmp": {"offset": 0, "bytes": bs58::encode(discriminator).into_string()}},
            {"memcmp": {"offset": offset, "bytes": key.to_string()}},
        ]);
        let r = self
            .call(
                "getProgramAccounts",
                json!([program.to_string(), {
                    "encoding": "base64", "commitment": "confirmed", "filters": filters
                }]),
            )
            .await?;
        let list = r
            .as_array()
            .ok_or_else(|| anyhow!("getProgramAccounts: not a list"))?;
        let mut out = Vec::with_capacity(list.len());
        for e in list {
            let k = Pubkey::from_str(e["pubkey"].as_str().unwrap_or_default())
                .context("getProgramAccounts: bad pubkey")?;
            if let Some(a) = parse_account(&e["account"])? {
                // The node filtered already; checking again costs nothing and guards against
                // an endpoint that ignores filters.
                if super::matches(&a.data, discriminator, offset, key) {
                    out.push((k, a));
                }
            }
        }
        out.sort_by_key(|(k, _)| *k);
        Ok(out)
    }

    async fn pause(&mut self) -> Result<()> {
        tokio::time::sleep(Duration::from_millis(400)).await;
        Ok(())
    }
}
