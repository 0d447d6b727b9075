//! The JSON-RPC chain against a local stand-in for an RPC node: request shapes, retries on
//! rate limiting, error attribution, and `keeper score` on a real mainnet mint account.

mod common;

use base64::Engine;
use keeper::chain::endpoints::EndpointConfig;
use keeper::chain::rpc::RpcChain;
use keeper::chain::Chain;
use serde_json::{json, Value};
use solana_sdk::program_pack::Pack;
use solana_sdk::pubkey::Pubkey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type Handler = Arc<dyn Fn(&str, &Value) -> (u16, Value) + Send + Sync>;

/// Serves JSON-RPC over HTTP/1.1, one request per connection; records the methods called.
async fn serve(handler: Handler) -> (String, Arc<Mutex<Vec<String>>>) {
    let (url, calls, _server) = serve_stoppable(handler).await;
    (url, calls)
}

/// Like [`serve`]; aborting the returned task closes the listener (the endpoint dies).
async fn serve_stoppable(
    handler: Handler,
) -> (String, Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let calls = Arc::new(Mutex::new(Vec::new()));
    let log = calls.clone();
    let server = tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let Some(req) = common::read_request(&mut sock).await else {
                    return;
                };
                let method = req["method"].as_str().unwrap_or("").to_string();
                log.lock().unwrap().push(method.clone());
                let (status, result) = handler(&method, &req["params"]);
                let payload = if status == 200 {
                    json!({"jsonrpc": "2.0", "id": req["id"], "result": result}).to_string()
                } else {
                    String::from("busy")
                };
                common::write_response(&mut sock, status, &payload).await;
            });
        }
    });
    (url, calls, server)
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn account_json(owner: &Pubkey, data: &[u8]) -> Value {
    json!({"lamports": 1_000_000, "owner": owner.to_string(), "executable": false, "rentEpoch": 0, "data": [b64(data), "base64"]})
}

fn token_account(mint: &Pubkey, owner: &Pubkey, amount: u64) -> Vec<u8> {
    let a = spl_token_interface::state::Account {
        mint: *mint,
        owner: *owner,
        amount,
        state: spl_token_interface::state::AccountState::Initialized,
        ..Default::default()
    };
    let mut v = vec![0u8; spl_token_interface::state::Account::LEN];
    a.pack_into_slice(&mut v);
    v
}

#[tokio::test]
async fn rate_limited_calls_are_retried_with_backoff() {
    let hits = Arc::new(Mutex::new(0u32));
    let h = hits.clone();
    let (url, calls) = serve(Arc::new(move |method, _| {
        let mut n = h.lock().unwrap();
        *n += 1;
        if *n <= 2 {
            return (429, Value::Null);
        }
        assert_eq!(method, "getBlockHeight");
        (200, json!(12345))
    }))
    .await;
    let mut c = RpcChain::new(&url).unwrap();
    assert_eq!(c.block_height().await.unwrap(), 12345);
    assert_eq!(calls.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_failure_is_attributed_to_the_program_that_raised_it() {
    let vault = vault::ID.to_string();
    let lender = local_lender::ID.to_string();
    let (url, _) = serve(Arc::new(move |method, params| {
        assert_eq!(method, "simulateTransaction");
        assert_eq!(params[1]["encoding"], "base64");
        (
            200,
            json!({"context": {"slot": 1}, "value": {
                "err": {"InstructionError": [2, {"Custom": 6020}]},
                "logs": [
                    format!("Program {vault} invoke [1]"),
                    format!("Program {lender} invoke [2]"),
                    format!("Program {lender} failed: custom program error: 0x1784"),
                    format!("Program {vault} failed: custom program error: 0x1784"),
                ],
                "unitsConsumed": 4242
            }}),
        )
    }))
    .await;
    let mut c = RpcChain::new(&url).unwrap();
    let kp = solana_sdk::signature::Keypair::new();
    let bh = keeper::chain::RecentBlockhash {
        hash: solana_sdk::hash::Hash::default(),
        last_valid_height: 0,
    };
    let tx = keeper::execute::sign(&kp, &[], &[], &bh).unwrap();
    let sim = c.simulate(&tx).await.unwrap();
    let err = sim.err.unwrap();
    assert_eq!(err.custom_code, Some(6020));
    assert_eq!(err.program, Some(local_lender::ID));
    // 6020 is a vault error code too; it must not be read as one.
    assert_eq!(err.vault_error(), None);
    assert_eq!(sim.units, 4242);
}

#[tokio::test]
async fn keeper_score_reads_a_mainnet_mint_and_its_holders() {
    let raw = std::fs::read(
        keeper::fixtures_dir().expect("shared fixtures (../shared/fixtures beside the repository, or $FLASHFORGE_FIXTURES)")
            .join("accounts/mints/spl_mint_authority_set__3SmPYPvZfEmr__vixen.json"),
    )
    .expect("fixture");
    let mint_acct = keeper::accounts::parse_account(&raw).unwrap();
    let mint = mint_acct.pubkey.unwrap();
    let whale = Pubkey::new_unique();
    let small = Pubkey::new_unique();
    let (ta, tb) = (Pubkey::new_unique(), Pubkey::new_unique());
    let mut accounts: HashMap<String, Value> = HashMap::new();
    accounts.insert(
        mint.to_string(),
        account_json(&mint_acct.owner, &mint_acct.data),
    );
    accounts.insert(
        ta.to_string(),
        account_json(&spl_token_interface::ID, &token_account(&mint, &whale, 900)),
    );
    accounts.insert(
        tb.to_string(),
        account_json(&spl_token_interface::ID, &token_account(&mint, &small, 100)),
    );
    let (url, calls) = serve(Arc::new(move |method, params| match method {
        "getMultipleAccounts" => {
            let v: Vec<Value> = params[0]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| accounts.get(k.as_str().unwrap()).cloned().unwrap_or(Value::Null))
                .collect();
            (200, json!({"context": {"slot": 5}, "value": v}))
        }
        "getTokenLargestAccounts" => (
            200,
            json!({"context": {"slot": 5}, "value": [
                {"address": ta.to_string(), "amount": "900", "decimals": 0, "uiAmountString": "900"},
                {"address": tb.to_string(), "amount": "100", "decimals": 0, "uiAmountString": "100"}
            ]}),
        ),
        "getSlot" => (200, json!(5)),
        "getBlockTime" => (200, json!(1_700_000_000)),
        other => panic!("unexpected {other}"),
    }))
    .await;
    let mut c = RpcChain::new(&url).unwrap();
    let acct = keeper::chain::account(&mut c, &mint)
        .await
        .unwrap()
        .unwrap();
    let quote = Pubkey::new_unique();
    let r = keeper::gather::score_address(&mut c, &mint, &acct, &quote, &Default::default())
        .await
        .unwrap();
    let names: Vec<&str> = r
        .deductions
        .iter()
        .filter(|d| d.points > 0)
        .map(|d| d.check)
        .collect();
    // The fixture's mint authority is set; the pool is unknown (a mint was scored); the
    // largest holder has 90% of what the node listed.
    assert!(names.contains(&"mint_authority"), "{}", r.render());
    assert!(names.contains(&"lp_not_burned") && names.contains(&"honeypot"));
    assert!(r.score < 30, "{}", r.render());
    let called = calls.lock().unwrap().clone();
    assert!(called.contains(&"getTokenLargestAccounts".to_string()));
}

fn endpoints(urls: &[&str], rps: f64) -> RpcChain {
    RpcChain::with_endpoints(
        urls.iter()
            .map(|u| EndpointConfig {
                url: u.to_string(),
                requests_per_second: rps,
            })
            .collect(),
    )
    .unwrap()
}

/// An address nothing listens on: bound, then released.
async fn dead_url() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/?api-key=SECRET", l.local_addr().unwrap());
    drop(l);
    url
}

fn height(h: u64) -> Handler {
    Arc::new(move |_, _| (200, json!(h)))
}

#[tokio::test]
async fn a_dead_endpoint_is_skipped_and_rests_while_the_healthy_one_serves() {
    let dead = dead_url().await;
    let (live, calls) = serve(height(7)).await;
    let mut c = endpoints(&[&dead, &live], 1_000.0);
    for _ in 0..5 {
        assert_eq!(c.block_height().await.unwrap(), 7);
    }
    let stats = c.endpoint_stats();
    assert_eq!(
        stats[0].errors, 1,
        "tried once, then cooling down: {stats:?}"
    );
    assert_eq!(stats[0].requests, 1);
    assert_eq!(stats[1].requests, 5);
    assert_eq!(calls.lock().unwrap().len(), 5);
    // Statistics name endpoints without their keys.
    let shown = serde_json::to_string(&stats).unwrap();
    assert!(!shown.contains("SECRET"), "{shown}");
}

#[tokio::test]
async fn a_rate_limited_endpoint_hands_over_to_the_next() {
    let (limited, limited_calls) = serve(Arc::new(|_, _| (429, json!(null)))).await;
    let (live, _) = serve(height(9)).await;
    let mut c = endpoints(&[&limited, &live], 1_000.0);
    for _ in 0..4 {
        assert_eq!(c.block_height().await.unwrap(), 9);
    }
    let stats = c.endpoint_stats();
    assert_eq!(stats[0].rate_limited, 1, "{stats:?}");
    assert_eq!(limited_calls.lock().unwrap().len(), 1);
    assert_eq!(stats[1].requests, 4);
}

#[tokio::test]
async fn an_endpoint_that_dies_mid_run_fails_over_without_losing_a_call() {
    let (a, _, a_server) = serve_stoppable(height(1)).await;
    // The second endpoint answers slowly, so once both have answered the first is preferred.
    let (b, _) = serve(Arc::new(|_, _| {
        std::thread::sleep(std::time::Duration::from_millis(150));
        (200, json!(2))
    }))
    .await;
    let mut c = endpoints(&[&a, &b], 1_000.0);
    assert_eq!(c.block_height().await.unwrap(), 1);
    assert_eq!(c.block_height().await.unwrap(), 2);
    assert_eq!(
        c.block_height().await.unwrap(),
        1,
        "the faster endpoint is preferred"
    );
    a_server.abort();
    let _ = a_server.await;
    for _ in 0..5 {
        assert_eq!(c.block_height().await.unwrap(), 2);
    }
    let stats = c.endpoint_stats();
    assert_eq!(
        stats[0].errors, 1,
        "tried once after dying, then resting: {stats:?}"
    );
    assert_eq!(stats[0].requests, 3);
    assert_eq!(stats[1].requests, 6);
}

#[tokio::test]
async fn every_endpoint_failing_is_an_error_naming_none_of_their_keys() {
    let dead1 = dead_url().await;
    let dead2 = dead_url().await;
    let mut c = endpoints(&[&dead1, &dead2], 1_000.0);
    let e = format!("{:#}", c.block_height().await.unwrap_err());
    assert!(e.contains("connection failed"), "{e}");
    assert!(e.contains("gave up after 4 attempts"), "{e}");
    assert!(!e.contains("SECRET"), "{e}");
}

#[tokio::test]
async fn requests_to_one_endpoint_are_spaced_by_its_rate_limit() {
    let (url, calls) = serve(height(3)).await;
    let mut c = endpoints(&[&url], 20.0);
    let started = std::time::Instant::now();
    for _ in 0..6 {
        c.block_height().await.unwrap();
    }
    // 20 a second: six requests cannot finish sooner than five intervals of 50 ms.
    assert!(started.elapsed() >= std::time::Duration::from_millis(250));
    assert_eq!(calls.lock().unwrap().len(), 6);
}

/// A program's signature history on a stand-in node: `getSignaturesForAddress` honours
/// `limit`, `before` and `until` like a node; every transaction but `good` failed (so the
/// keeper skips it without fetching it).
fn history(sigs: Arc<Mutex<Vec<String>>>, good: String) -> Handler {
    Arc::new(move |method, p| match method {
        "getSignaturesForAddress" => {
            let all = sigs.lock().unwrap().clone(); // newest first
            let limit = p[1]["limit"].as_u64().unwrap() as usize;
            let start = p[1]["before"]
                .as_str()
                .map(|b| all.iter().position(|s| s == b).unwrap() + 1)
                .unwrap_or(0);
            let until = p[1]["until"].as_str();
            let page: Vec<Value> = all[start..]
                .iter()
                .take_while(|s| Some(s.as_str()) != until)
                .take(limit)
                .map(|s| json!({"signature": s, "slot": 1, "blockTime": 0,
                                "err": if *s == good { Value::Null } else { json!({"InstructionError": [0, "Custom"]}) }}))
                .collect();
            (200, Value::Array(page))
        }
        // A transaction that creates no pool: detection finds nothing in it.
        "getTransaction" => (
            200,
            json!({"slot": 1, "blockTime": 0,
                   "transaction": {"signatures": [p[0]], "message": {
                       "accountKeys": [Pubkey::default().to_string()], "instructions": [],
                       "recentBlockhash": "11111111111111111111111111111111"}},
                   "meta": {"err": null, "logMessages": [], "innerInstructions": [],
                            "loadedAddresses": {"writable": [], "readonly": []}}}),
        ),
        other => panic!("unexpected {other}"),
    })
}

#[tokio::test]
async fn the_feed_pages_back_through_a_burst_and_starts_on_a_program_without_history() {
    let program = Pubkey::new_unique();
    let sigs = Arc::new(Mutex::new(Vec::<String>::new()));
    let good = "good-one".to_string();
    let (url, calls) = serve(history(sigs.clone(), good.clone())).await;
    let mut rpc = endpoints(&[&url], 10_000.0);

    // Watching starts on a program that has never been used.
    assert!(rpc.poll(&[program]).await.unwrap().is_empty());
    // Then 2,500 transactions arrive before the next poll; the one that succeeded is the
    // oldest, three pages back.
    {
        let mut s = sigs.lock().unwrap();
        s.push(good.clone());
        for i in 0..2_500 {
            s.insert(0, format!("failed-{i}"));
        }
    }
    calls.lock().unwrap().clear();
    rpc.poll(&[program]).await.unwrap();
    let called = calls.lock().unwrap().clone();
    assert_eq!(
        called,
        [
            "getSignaturesForAddress",
            "getSignaturesForAddress",
            "getSignaturesForAddress",
            "getTransaction"
        ],
        "three pages of 1,000 reach the oldest, and only the successful one is fetched"
    );

    // The cursor moved to the newest: the next poll asks for nothing older.
    calls.lock().unwrap().clear();
    rpc.poll(&[program]).await.unwrap();
    assert_eq!(*calls.lock().unwrap(), ["getSignaturesForAddress"]);
}

/// Polls until the first listing has set the cursor (and, with `websocket`, the feed is up).
async fn following(node: &common::bridge::Node, websocket: bool) -> RpcChain {
    let mut chain = RpcChain::new(&node.url).unwrap();
    if websocket {
        chain = chain.with_feed(node.ws_url.clone(), vec![local_amm::ID]);
        let start = std::time::Instant::now();
        while !chain
            .feed_stats()
            .unwrap()
            .connected
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            assert!(start.elapsed().as_secs() < 30, "the feed never connected");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    chain.poll(&[local_amm::ID]).await.unwrap();
    chain
}

/// Launches a pool on the node's chain and announces what it processed.
async fn launch_and_publish(
    node: &common::bridge::Node,
    tv: &flashforge_tests::trading_fixture::TradingVault,
) -> Pubkey {
    let mut c = node.chain.lock().await;
    c.chain.next_slot().await;
    let mint = common::trading::launch(&mut c, tv).await;
    drop(c);
    node.publish().await;
    mint
}

/// The mints of the pools created in `txs`.
fn pool_mints(txs: &[keeper::chain::FeedTx]) -> Vec<Pubkey> {
    txs.iter()
        .flat_map(|f| keeper::detect::detect(&f.tx).unwrap_or_default())
        .flat_map(|p| [Some(p.base_mint), p.quote_mint])
        .flatten()
        .collect()
}

/// A pool whose transaction the node lists or announces but cannot return for a while is
/// neither lost nor read twice: the cursor waits before it.
async fn a_transaction_served_late_is_found(websocket: bool) {
    use std::sync::atomic::Ordering;
    let (local, tv, _probe) = common::trading::setup().await;
    let node = common::bridge::serve(local).await;
    let mut chain = following(&node, websocket).await;
    let program = [local_amm::ID];
    let launch = || launch_and_publish(&node, &tv);
    let before = chain.feed_positions();

    // A lands; the node answers null for every transaction it is asked for.
    node.hold_reads.store(true, Ordering::SeqCst);
    let a = launch().await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.extend(chain.poll(&program).await.unwrap());
    }
    assert!(pool_mints(&seen).is_empty());
    assert_eq!(chain.feed_positions(), before, "the cursor waits before A");

    // The node catches up; B lands.
    node.hold_reads.store(false, Ordering::SeqCst);
    let b = launch().await;
    let mut found = Vec::new();
    for _ in 0..50 {
        found.extend(chain.poll(&program).await.unwrap());
        if pool_mints(&found).len() >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mints = pool_mints(&found);
    assert!(mints.contains(&a) && mints.contains(&b), "{mints:?}");
    assert_eq!(
        mints.iter().filter(|m| **m == a).count(),
        1,
        "A once: {mints:?}"
    );
    assert_ne!(chain.feed_positions(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_transaction_the_node_cannot_serve_yet_holds_the_cursor() {
    a_transaction_served_late_is_found(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notified_transaction_the_node_cannot_serve_yet_holds_the_cursor() {
    a_transaction_served_late_is_found(true).await;
}

#[tokio::test]
async fn the_cluster_time_is_read_once_per_slot() {
    let n = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let count = n.clone();
    let (url, calls) = serve(Arc::new(move |method, _| match method {
        "getSlot" => (200, json!(7)),
        "getBlockTime" => (
            200,
            json!(1_700_000_000 + count.fetch_add(1, std::sync::atomic::Ordering::SeqCst)),
        ),
        other => panic!("unexpected {other}"),
    }))
    .await;
    let mut rpc = endpoints(&[&url], 10_000.0);
    assert_eq!(rpc.now().await.unwrap(), 1_700_000_000);
    assert_eq!(rpc.now().await.unwrap(), 1_700_000_000);
    assert_eq!(*calls.lock().unwrap(), ["getSlot", "getBlockTime"]);
    tokio::time::sleep(keeper::chain::rpc::BLOCKHASH_TTL + std::time::Duration::from_millis(50))
        .await;
    assert_eq!(rpc.now().await.unwrap(), 1_700_000_001);
}

#[tokio::test]
async fn a_blockhash_is_reused_for_its_short_lifetime_then_fetched_again() {
    let n = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let count = n.clone();
    let (url, _) = serve(Arc::new(move |method, _| {
        assert_eq!(method, "getLatestBlockhash");
        let i = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let hash = solana_sdk::hash::Hash::new_from_array([i as u8 + 1; 32]);
        (
            200,
            json!({"context": {"slot": 1}, "value": {"blockhash": hash.to_string(), "lastValidBlockHeight": 150 + i}}),
        )
    }))
    .await;
    let mut rpc = endpoints(&[&url], 10_000.0);
    let first = rpc.latest_blockhash().await.unwrap();
    assert_eq!(rpc.latest_blockhash().await.unwrap(), first, "reused");
    assert_eq!(n.load(std::sync::atomic::Ordering::SeqCst), 1);
    tokio::time::sleep(keeper::chain::rpc::BLOCKHASH_TTL + std::time::Duration::from_millis(50))
        .await;
    let second = rpc.latest_blockhash().await.unwrap();
    assert_ne!(second, first);
    assert_eq!(second.last_valid_height, 151);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_whose_logs_rule_out_a_creation_is_not_read() {
    use std::sync::atomic::Ordering;
    let (local, tv, _probe) = common::trading::setup().await;
    let node = common::bridge::serve(local).await;
    let mut chain = following(&node, true).await;
    let program = [local_amm::ID];
    let launch = || launch_and_publish(&node, &tv);

    // The notifications say the venue ran a named swap and nothing else.
    let swap = vec![
        format!("Program {} invoke [1]", local_amm::ID),
        "Program log: Instruction: Swap".to_string(),
        format!("Program {} success", local_amm::ID),
    ];
    *node.notify_logs.lock().unwrap() = Some(swap);
    let read_before = node.read.lock().unwrap().len();
    launch().await;
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.extend(chain.poll(&program).await.unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(seen.is_empty());
    assert_eq!(node.read.lock().unwrap().len(), read_before, "nothing read");
    let unread = chain.feed_stats().unwrap().unread.load(Ordering::SeqCst);
    assert!(unread >= 1, "{unread}");

    // Logs that name the creation (or name nothing) are read.
    *node.notify_logs.lock().unwrap() = None;
    let b = launch().await;
    let mut found = Vec::new();
    for _ in 0..50 {
        found.extend(chain.poll(&program).await.unwrap());
        if pool_mints(&found).contains(&b) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(pool_mints(&found).contains(&b));
}
