//! The same commands over JSON-RPC: a server on 127.0.0.1 answers the methods the keeper
//! calls from an embedded chain holding a real vault, so every transaction is executed by the
//! programs and every read goes through the RPC client's parsing.

mod common;

use keeper::ops::cli::{exec, exec_local, Op, Target};
use keeper::ops::members::Vote;
use serde_json::Value;
use std::path::Path;

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
    let node = common::bridge::serve(chain).await;
    let url = node.url.clone();
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
