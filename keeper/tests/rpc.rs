//! The JSON-RPC chain against a local stand-in for an RPC node: request shapes, retries on
//! rate limiting, error attribution, and `keeper score` on a real mainnet mint account.

mod common;

use base64::Engine;
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let calls = Arc::new(Mutex::new(Vec::new()));
    let log = calls.clone();
    tokio::spawn(async move {
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
    (url, calls)
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
