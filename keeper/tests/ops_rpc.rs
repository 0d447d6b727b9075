//! The same commands over JSON-RPC: a server on 127.0.0.1 answers the methods the keeper
//! calls from an embedded chain holding a real vault, so every transaction is executed by the
//! programs and every read goes through the RPC client's parsing.

mod common;

use base64::Engine;
use keeper::chain::local::LocalChain;
use keeper::chain::Chain;
use keeper::ops::cli::{exec, exec_local, Op, Target};
use keeper::ops::members::Vote;
use serde_json::{json, Value};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use tokio::sync::{mpsc, oneshot};

type Request = (String, Value, oneshot::Sender<Value>);

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

/// Answers one JSON-RPC call from the embedded chain, in the shapes a node returns.
async fn answer(
    chain: &mut LocalChain,
    logs: &mut HashMap<String, Vec<String>>,
    method: &str,
    p: &Value,
) -> Value {
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
        "getSlot" => json!(chain.block_height().await.unwrap()),
        "getBlockTime" => json!(chain.now().await.unwrap()),
        "getBlockHeight" => json!(chain.block_height().await.unwrap()),
        "getLatestBlockhash" => {
            let b = chain.latest_blockhash().await.unwrap();
            json!({"context": {"slot": 1}, "value": {"blockhash": b.hash.to_string(), "lastValidBlockHeight": b.last_valid_height}})
        }
        "simulateTransaction" => {
            let s = chain.simulate(&tx_from(p)).await.unwrap();
            let err = s.err.map_or(Value::Null, |f| match f.custom_code {
                Some(c) => json!({"InstructionError": [0, {"Custom": c}]}),
                None => json!(f.message),
            });
            json!({"context": {"slot": 1}, "value": {"err": err, "logs": s.logs, "unitsConsumed": s.units}})
        }
        "sendTransaction" => {
            let sig = chain.send(&tx_from(p)).await.unwrap();
            json!(sig.to_string())
        }
        "getSignatureStatuses" => {
            let sig = Signature::from_str(p[0][0].as_str().unwrap()).unwrap();
            match chain.status(&sig).await.unwrap() {
                None => json!({"context": {"slot": 1}, "value": [null]}),
                Some(l) => {
                    let err = l.err.map_or(Value::Null, |f| match f.custom_code {
                        Some(c) => json!({"InstructionError": [0, {"Custom": c}]}),
                        None => json!(f.message),
                    });
                    logs.insert(sig.to_string(), l.logs);
                    json!({"context": {"slot": 1}, "value": [{"slot": l.slot, "err": err, "confirmationStatus": "confirmed", "confirmations": 1}]})
                }
            }
        }
        "getTransaction" => {
            let l = logs
                .get(p[0].as_str().unwrap())
                .cloned()
                .unwrap_or_default();
            json!({"meta": {"logMessages": l}})
        }
        other => panic!("the keeper called {other}, which this node does not serve"),
    }
}

/// Serves JSON-RPC over HTTP from `chain`; returns the URL and a handle that gives the chain
/// back when the server stops.
async fn serve(
    mut chain: LocalChain,
) -> (
    String,
    mpsc::Sender<Request>,
    tokio::task::JoinHandle<LocalChain>,
) {
    let (tx, mut rx) = mpsc::channel::<Request>(16);
    let owner = tokio::spawn(async move {
        let mut logs = HashMap::new();
        while let Some((method, params, reply)) = rx.recv().await {
            let v = answer(&mut chain, &mut logs, &method, &params).await;
            let _ = reply.send(v);
        }
        chain
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let to_chain = tx.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let to_chain = to_chain.clone();
            tokio::spawn(async move {
                let Some(req) = common::read_request(&mut sock).await else {
                    return;
                };
                let (reply, answer) = oneshot::channel();
                let method = req["method"].as_str().unwrap_or("").to_string();
                to_chain
                    .send((method, req["params"].clone(), reply))
                    .await
                    .unwrap();
                let result = answer.await.unwrap();
                let payload =
                    json!({"jsonrpc": "2.0", "id": req["id"], "result": result}).to_string();
                common::write_response(&mut sock, 200, &payload).await;
            });
        }
    });
    (url, tx, owner)
}

fn target(url: &str, dir: &Path, wallet: &str, vault: &str) -> Target {
    Target {
        url: url.into(),
        local_dir: dir.to_path_buf(),
        keypair: Some(
            dir.join("wallets")
                .join(format!("{wallet}.json"))
                .display()
                .to_string(),
        ),
        vault: Some(vault.into()),
        json: true,
        yes: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_command_works_over_json_rpc() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut never = |_: &str| -> anyhow::Result<bool> { panic!("--yes must skip the prompt") };
    let local = Target {
        url: "local".into(),
        local_dir: dir.to_path_buf(),
        keypair: Some("alice".into()),
        vault: None,
        json: true,
        yes: true,
    };
    let init: Value = serde_json::from_str(
        &exec_local(&Op::LocalInit, &local, &mut never)
            .await
            .unwrap(),
    )
    .unwrap();
    let file = init["vault_file"].as_str().unwrap().into();

    let chain = keeper::ops::local::open(dir).await.unwrap();
    let (url, _requests, _owner) = serve(chain).await;
    let mut rpc = keeper::chain::rpc::RpcChain::new(&url).unwrap();
    let run = |op: Op, who: &str, vault: &str| {
        let t = target(&url, dir, who, vault);
        async move {
            let mut never =
                |_: &str| -> anyhow::Result<bool> { panic!("--yes must skip the prompt") };
            let mut rpc = keeper::chain::rpc::RpcChain::new(&t.url).unwrap();
            exec(&mut rpc, &op, &t, &mut never)
                .await
                .map(|s| serde_json::from_str::<Value>(&s).unwrap())
                .map_err(|e| format!("{e:#}"))
        }
    };
    // The migration over RPC, twice: the second sends nothing.
    let m = run(Op::Migrate(file), "alice", "unused").await.unwrap();
    assert_eq!(m["created"], true);
    let vault = m["vault"].as_str().unwrap().to_string();
    let m2 = run(
        Op::Migrate(init["vault_file"].as_str().unwrap().into()),
        "alice",
        &vault,
    )
    .await
    .unwrap();
    assert_eq!(m2["created"], false);
    assert_eq!(m2["allowlist_entries"][0]["state"], "pending");

    let d = run(Op::Deposit("40".into()), "investor", &vault)
        .await
        .unwrap();
    assert_eq!(d["amount"], 40_000_000);
    let e = run(Op::Deposit("1".into()), "investor", &vault)
        .await
        .unwrap_err();
    assert!(e.contains("the vault refused: DepositBelowMinimum"), "{e}");
    let p = run(Op::Position(None), "investor", &vault).await.unwrap();
    assert_eq!(p["net_deposits"], 40_000_000);
    let r = run(
        Op::RequestWithdraw {
            amount: "all".into(),
            shares: false,
        },
        "investor",
        &vault,
    )
    .await
    .unwrap();
    assert!(!r["position"]["withdrawal"].is_null());
    let e = run(Op::Withdraw, "investor", &vault).await.unwrap_err();
    assert!(e.contains("the vault refused: LockupActive"), "{e}");
    run(Op::Vote(1, Vote::Approve), "bob", &vault)
        .await
        .unwrap();
    let list = run(Op::List, "carol", &vault).await.unwrap();
    assert_eq!(list[0]["approvals"], 1);
    let s = run(Op::Status, "carol", &vault).await.unwrap();
    assert_eq!(s["depositors"], 1);
    assert_eq!(s["nav"], 1_000_000 + 40_000_000);
    assert!(keeper::chain::account(&mut rpc, &vault.parse().unwrap())
        .await
        .unwrap()
        .is_some());
}
