//! A JSON-RPC node on 127.0.0.1 backed by an embedded chain: every method the keeper calls,
//! answered in the shapes a node returns, with every transaction executed by the programs.
//!
//! Tests share the chain with the node (to launch pools while a keeper runs) and can turn the
//! node's faults on: swallow sent transactions (a send that never lands), or go down.

#![allow(dead_code)] // not every test binary uses every helper

use super::{read_request, write_response};
use base64::Engine;
use keeper::chain::local::LocalChain;
use keeper::chain::{Chain, FeedTx};
use serde_json::{json, Value};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, Mutex};

/// What the node remembers besides the chain.
#[derive(Default)]
struct Memory {
    /// Logs of landed transactions, for getTransaction after getSignatureStatuses.
    logs: HashMap<String, Vec<String>>,
    /// Every transaction the chain processed, by signature, and newest-first per program.
    feed: HashMap<String, FeedTx>,
    by_program: HashMap<Pubkey, Vec<String>>,
    /// Every signature in processing order, and how many were announced on the websocket.
    order: Vec<String>,
    announced: usize,
}

/// A websocket subscriber: where to send its notifications and what it follows.
struct Subscriber {
    out: mpsc::UnboundedSender<String>,
    /// `(subscription id, program)`.
    subs: Arc<std::sync::Mutex<Vec<(u64, Pubkey)>>>,
}

pub struct Node {
    pub url: String,
    pub chain: Arc<Mutex<LocalChain>>,
    memory: Arc<Mutex<Memory>>,
    /// Accept sendTransaction and answer its signature, but never execute it.
    pub swallow_sends: Arc<AtomicBool>,
    /// Execute sent transactions but report no status for any (a keeper that dies now never
    /// learned how its order ended).
    pub hide_statuses: Arc<AtomicBool>,
    /// Close every connection without an answer.
    pub down: Arc<AtomicBool>,
    /// Transactions executed through sendTransaction.
    pub executed: Arc<AtomicU64>,
    /// The websocket endpoint (logsSubscribe with `mentions`).
    pub ws_url: String,
    /// Close every websocket and refuse new ones.
    pub ws_down: Arc<AtomicBool>,
    /// Keep websockets open but announce nothing (a connection that died silently).
    pub ws_mute: Arc<AtomicBool>,
    subscribers: Arc<Mutex<Vec<Subscriber>>>,
    /// JSON-RPC calls served, by method.
    pub calls: Arc<std::sync::Mutex<HashMap<String, u64>>>,
    /// Signatures asked for with getTransaction, in order.
    pub read: Arc<std::sync::Mutex<Vec<String>>>,
    /// Answer getTransaction with null (a node that announced what it cannot serve yet).
    pub hold_reads: Arc<AtomicBool>,
    /// Logs to put in websocket notifications instead of the transactions' own.
    pub notify_logs: Arc<std::sync::Mutex<Option<Vec<String>>>>,
    /// Yellowstone gRPC stand-ins streaming what the node publishes.
    pub geysers: Arc<std::sync::Mutex<Vec<Arc<super::geyser::Geysers>>>>,
}

fn b64(d: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(d)
}

fn account_json(a: &solana_sdk::account::Account) -> Value {
    json!({"lamports": a.lamports, "owner": a.owner.to_string(), "executable": a.executable,
           "rentEpoch": 0, "data": [b64(&a.data), "base64"]})
}

fn tx_from(params: &Value) -> solana_sdk::transaction::VersionedTransaction {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(params[0].as_str().unwrap())
        .unwrap();
    keeper::execute::parse_signed(&bytes).unwrap()
}

fn error_json(f: keeper::chain::TxFailure) -> Value {
    match f.custom_code {
        Some(c) => json!({"InstructionError": [0, {"Custom": c}]}),
        None => json!(f.message),
    }
}

/// A processed transaction as getTransaction renders it with `encoding: json`.
fn feed_json(f: &FeedTx) -> Value {
    let ixs: Vec<Value> =
        f.tx.top
            .iter()
            .map(|ix| {
                json!({"programIdIndex": ix.program, "accounts": ix.accounts,
                   "data": bs58::encode(&ix.data).into_string(), "stackHeight": null})
            })
            .collect();
    json!({
        "slot": f.slot,
        "blockTime": f.block_time,
        "transaction": {
            "signatures": [f.tx.signature],
            "message": {
                "accountKeys": f.tx.keys.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
                "instructions": ixs,
                "recentBlockhash": "11111111111111111111111111111111",
            }
        },
        "meta": {
            "err": if f.tx.failed { json!({"InstructionError": [0, "GenericError"]}) } else { Value::Null },
            "logMessages": f.tx.logs,
            "innerInstructions": [],
            "loadedAddresses": {"writable": [], "readonly": []},
        }
    })
}

impl Node {
    async fn answer(&self, method: &str, p: &Value) -> Value {
        *self
            .calls
            .lock()
            .unwrap()
            .entry(method.to_string())
            .or_default() += 1;
        let mut chain = self.chain.lock().await;
        let mut m = self.memory.lock().await;
        match method {
            "getMultipleAccounts" => {
                let keys: Vec<Pubkey> = p[0]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| Pubkey::from_str(k.as_str().unwrap()).unwrap())
                    .collect();
                let accs = chain.accounts(&keys).await.unwrap();
                json!({"context": {"slot": 1}, "value": accs.iter().map(|a| a.as_ref().map_or(Value::Null, account_json)).collect::<Vec<_>>()})
            }
            "getProgramAccounts" => {
                let program = Pubkey::from_str(p[0].as_str().unwrap()).unwrap();
                let f = &p[1]["filters"];
                let disc = bs58::decode(f[0]["memcmp"]["bytes"].as_str().unwrap())
                    .into_vec()
                    .unwrap();
                let offset = f[1]["memcmp"]["offset"].as_u64().unwrap() as usize;
                let key = Pubkey::from_str(f[1]["memcmp"]["bytes"].as_str().unwrap()).unwrap();
                let list = chain
                    .program_accounts(&program, &disc, offset, &key)
                    .await
                    .unwrap();
                Value::Array(
                    list.iter()
                        .map(|(k, a)| json!({"pubkey": k.to_string(), "account": account_json(a)}))
                        .collect(),
                )
            }
            "getTokenLargestAccounts" => {
                let mint = Pubkey::from_str(p[0].as_str().unwrap()).unwrap();
                let list = chain.largest_token_accounts(&mint).await.unwrap();
                json!({"context": {"slot": 1}, "value": list.iter().map(|(k, a)| json!({
                    "address": k.to_string(), "amount": a.to_string(), "decimals": 0,
                    "uiAmount": null, "uiAmountString": a.to_string()})).collect::<Vec<_>>()})
            }
            "getRecentPrioritizationFees" => {
                let keys: Vec<Pubkey> = p[0]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|k| Pubkey::from_str(k.as_str()?).ok())
                            .collect()
                    })
                    .unwrap_or_default();
                let fee = chain.priority_fee(&keys, 50).await.unwrap();
                json!([{"slot": 1, "prioritizationFee": fee}])
            }
            "getSlot" => json!(chain.block_height().await.unwrap()),
            "getBlockTime" => json!(chain.now().await.unwrap()),
            "getBlockHeight" => json!(chain.block_height().await.unwrap()),
            "getLatestBlockhash" => {
                let b = chain.latest_blockhash().await.unwrap();
                json!({"context": {"slot": 1}, "value": {"blockhash": b.hash.to_string(), "lastValidBlockHeight": b.last_valid_height}})
            }
            "simulateTransaction" => {
                let s = chain.simulate(&tx_from(p)).await.unwrap();
                json!({"context": {"slot": 1}, "value": {"err": s.err.map_or(Value::Null, error_json), "logs": s.logs, "unitsConsumed": s.units}})
            }
            "sendTransaction" => {
                let tx = tx_from(p);
                if self.swallow_sends.load(Ordering::SeqCst) {
                    return json!(tx.signatures[0].to_string());
                }
                // A node that skips preflight accepts what it cannot execute (an expired
                // blockhash, a repeat) and drops it: the signature comes back either way.
                if chain.send(&tx).await.is_ok() {
                    self.executed.fetch_add(1, Ordering::SeqCst);
                }
                json!(tx.signatures[0].to_string())
            }
            "getSignatureStatuses" if self.hide_statuses.load(Ordering::SeqCst) => {
                json!({"context": {"slot": 1}, "value": [null]})
            }
            "getSignatureStatuses" => {
                let sig = Signature::from_str(p[0][0].as_str().unwrap()).unwrap();
                match chain.status(&sig).await.unwrap() {
                    None => json!({"context": {"slot": 1}, "value": [null]}),
                    Some(l) => {
                        m.logs.insert(sig.to_string(), l.logs);
                        json!({"context": {"slot": 1}, "value": [{"slot": l.slot, "err": l.err.map_or(Value::Null, error_json), "confirmationStatus": "confirmed", "confirmations": 1}]})
                    }
                }
            }
            "getSignaturesForAddress" => {
                Self::index(&mut chain, &mut m).await;
                let program = Pubkey::from_str(p[0].as_str().unwrap()).unwrap();
                let limit = p[1]["limit"].as_u64().unwrap_or(1_000) as usize;
                let until = p[1]["until"].as_str();
                let before = p[1]["before"].as_str();
                let list = m.by_program.get(&program).cloned().unwrap_or_default();
                let start = before
                    .and_then(|b| list.iter().position(|s| s == b).map(|i| i + 1))
                    .unwrap_or(0);
                Value::Array(
                    list[start..]
                        .iter()
                        .take_while(|s| Some(s.as_str()) != until)
                        .take(limit)
                        .map(|s| {
                            let f = &m.feed[s];
                            json!({"signature": s, "slot": f.slot, "err": if f.tx.failed { json!("failed") } else { Value::Null },
                                   "memo": null, "blockTime": f.block_time, "confirmationStatus": "confirmed"})
                        })
                        .collect(),
                )
            }
            "getTransaction" => {
                let sig = p[0].as_str().unwrap();
                self.read.lock().unwrap().push(sig.to_string());
                if self.hold_reads.load(Ordering::SeqCst) {
                    return Value::Null;
                }
                if let Some(f) = m.feed.get(sig) {
                    return feed_json(f);
                }
                json!({"meta": {"logMessages": m.logs.get(sig).cloned().unwrap_or_default()}})
            }
            other => panic!("the keeper called {other}, which this node does not serve"),
        }
    }

    /// Indexes what the chain processed since the last call, newest first per program.
    async fn index(chain: &mut LocalChain, m: &mut Memory) {
        for f in chain.take_feed().await {
            let Some(sig) = f.tx.signature.clone() else {
                continue;
            };
            for k in &f.tx.keys {
                m.by_program.entry(*k).or_default().insert(0, sig.clone());
            }
            m.order.push(sig.clone());
            m.feed.insert(sig, f);
        }
    }

    /// Announces on the websocket every transaction processed since the last announcement
    /// (none while the websocket is down: those are the gap a reconnecting client backfills).
    pub async fn publish(&self) {
        let mut chain = self.chain.lock().await;
        let mut m = self.memory.lock().await;
        Self::index(&mut chain, &mut m).await;
        let fresh: Vec<String> = m.order[m.announced..].to_vec();
        m.announced = m.order.len();
        for g in self.geysers.lock().unwrap().iter() {
            for sig in &fresh {
                g.send(&m.feed[sig]);
            }
        }
        if self.ws_down.load(Ordering::SeqCst) || self.ws_mute.load(Ordering::SeqCst) {
            return;
        }
        let mut subscribers = self.subscribers.lock().await;
        subscribers.retain(|s| !s.out.is_closed());
        let logs_instead = self.notify_logs.lock().unwrap().clone();
        for sig in fresh {
            let f = &m.feed[&sig];
            let logs = logs_instead.as_ref().unwrap_or(&f.tx.logs);
            for s in subscribers.iter() {
                for (id, program) in s.subs.lock().unwrap().iter() {
                    if f.tx.keys.contains(program) {
                        let n = json!({"jsonrpc": "2.0", "method": "logsNotification", "params": {
                            "subscription": id,
                            "result": {"context": {"slot": f.slot}, "value": {
                                "signature": sig, "err": if f.tx.failed { json!("failed") } else { Value::Null },
                                "logs": logs}}}});
                        let _ = s.out.send(n.to_string());
                    }
                }
            }
        }
    }
}

/// Serves one websocket client until it leaves or the websocket goes down.
async fn ws_client(node: Arc<Node>, sock: tokio::net::TcpStream) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let Ok(mut ws) = tokio_tungstenite::accept_async(sock).await else {
        return;
    };
    let (out, mut rx) = mpsc::unbounded_channel::<String>();
    let subs: Arc<std::sync::Mutex<Vec<(u64, Pubkey)>>> = Arc::default();
    node.subscribers.lock().await.push(Subscriber {
        out: out.clone(),
        subs: subs.clone(),
    });
    static NEXT_SUB: AtomicU64 = AtomicU64::new(100);
    loop {
        tokio::select! {
            m = ws.next() => {
                let Some(Ok(Message::Text(t))) = m else { break };
                let req: Value = serde_json::from_str(t.as_str()).unwrap();
                assert_eq!(req["method"], "logsSubscribe");
                let program = Pubkey::from_str(req["params"][0]["mentions"][0].as_str().unwrap()).unwrap();
                let id = NEXT_SUB.fetch_add(1, Ordering::SeqCst);
                subs.lock().unwrap().push((id, program));
                let ack = json!({"jsonrpc": "2.0", "result": id, "id": req["id"]});
                if ws.send(Message::text(ack.to_string())).await.is_err() { break }
            }
            Some(n) = rx.recv() => {
                if ws.send(Message::text(n)).await.is_err() { break }
            }
            _ = tokio::time::sleep(std::time::Duration::from_millis(20)) => {
                if node.ws_down.load(Ordering::SeqCst) { break }
            }
        }
    }
    // Dropped without a close frame, as a dying node or a cut connection would.
}

/// Starts a node serving `chain`.
pub async fn serve(mut chain: LocalChain) -> Arc<Node> {
    // The node runs for real seconds: sign with the bank's newest blockhashes.
    chain.use_fresh_blockhashes();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let node = Arc::new(Node {
        ws_url: format!("ws://{}", ws_listener.local_addr().unwrap()),
        ws_down: Arc::default(),
        ws_mute: Arc::default(),
        subscribers: Arc::default(),
        calls: Arc::default(),
        read: Arc::default(),
        hold_reads: Arc::default(),
        notify_logs: Arc::default(),
        geysers: Arc::default(),
        url: format!("http://{}", listener.local_addr().unwrap()),
        chain: Arc::new(Mutex::new(chain)),
        memory: Arc::default(),
        swallow_sends: Arc::default(),
        hide_statuses: Arc::default(),
        down: Arc::default(),
        executed: Arc::default(),
    });
    let n = node.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = ws_listener.accept().await {
            if !n.ws_down.load(Ordering::SeqCst) {
                tokio::spawn(ws_client(n.clone(), sock));
            }
        }
    });
    let n = node.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            if n.down.load(Ordering::SeqCst) {
                continue; // dropped: the connection closes unanswered
            }
            let n = n.clone();
            tokio::spawn(async move {
                let Some(req) = read_request(&mut sock).await else {
                    return;
                };
                let method = req["method"].as_str().unwrap_or("").to_string();
                let result = n.answer(&method, &req["params"]).await;
                let payload =
                    json!({"jsonrpc": "2.0", "id": req["id"], "result": result}).to_string();
                write_response(&mut sock, 200, &payload).await;
            });
        }
    });
    node
}
