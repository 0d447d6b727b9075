//! The operator, investor and member commands end to end on the embedded chain, through the
//! same `exec` the binary runs, with the state saved and reloaded between commands as it is
//! between two runs of the binary.

use keeper::ops::cli::{exec_local, Op, Target};
use keeper::ops::members::{ActionArg, Vote};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn target(dir: &Path, keypair: &str) -> Target {
    Target {
        url: "local".into(),
        local_dir: dir.to_path_buf(),
        keypair: Some(keypair.into()),
        vault: None,
        json: true,
        yes: true,
    }
}

/// Runs `op` as `who`; the JSON it prints, or the error's full text.
async fn run(dir: &Path, who: &str, op: Op) -> Result<Value, String> {
    let mut never = |_: &str| -> anyhow::Result<bool> { panic!("--yes must skip the prompt") };
    exec_local(&op, &target(dir, who), &mut never)
        .await
        .map(|s| serde_json::from_str(&s).expect("JSON output"))
        .map_err(|e| format!("{e:#}"))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a u64: {v}"))
}

#[tokio::test]
async fn operator_investor_and_member_commands_on_the_embedded_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let init = run(dir, "alice", Op::LocalInit).await.unwrap();
    let file = PathBuf::from(init["vault_file"].as_str().unwrap());
    assert!(dir.join("wallets/investor.json").exists());
    // A second init refuses instead of replacing the chain.
    let e = run(dir, "alice", Op::LocalInit).await.unwrap_err();
    assert!(e.contains("already holds a local chain"), "{e}");

    // --- migration: creates the vault and proposes the allowlisted venue
    let m = run(dir, "alice", Op::Migrate(file.clone())).await.unwrap();
    assert_eq!(m["created"], true);
    let entries = m["allowlist_entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["state"], "proposed");
    assert_eq!(entries[0]["proposal"], 1);
    for k in ["vault", "governance", "allowlist", "vault_token_account"] {
        assert!(m[k].as_str().unwrap().len() >= 32, "{k} printed");
    }
    // Idempotent: the second run sends nothing.
    let m2 = run(dir, "alice", Op::Migrate(file.clone())).await.unwrap();
    assert_eq!(m2["created"], false);
    assert_eq!(m2["vault"], m["vault"]);
    assert_eq!(m2["allowlist_entries"][0]["state"], "pending");
    assert_eq!(m2["allowlist_entries"][0]["proposal"], 1);
    let list = run(dir, "alice", Op::List).await.unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "no second proposal filed"
    );
    // A file that disagrees with the live vault is refused with the difference named.
    let changed = dir.join("changed.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &changed,
        text.replace("lockup = \"30d\"", "lockup = \"60d\""),
    )
    .unwrap();
    let e = run(dir, "alice", Op::Migrate(changed)).await.unwrap_err();
    assert!(
        e.contains("lockup: the vault has 30d, the file says 60d"),
        "{e}"
    );

    // --- investor
    let e = run(dir, "investor", Op::Position(None)).await.unwrap_err();
    assert!(e.contains("has no position"), "{e}");
    let d = run(dir, "investor", Op::Deposit("250.5".into()))
        .await
        .unwrap();
    assert_eq!(
        u(&d["amount"]),
        250_500_000,
        "exactly the amount left the wallet"
    );
    let p = &d["position"];
    assert_eq!(u(&p["wallet_balance"]), 1_000_000_000_000 - 250_500_000);
    // One seed unit of dead shares sits beside the investor; the value can lose at most a unit
    // to rounding, never gain.
    let value = u(&p["value"]);
    assert!((250_500_000 - 1..=250_500_000).contains(&value), "{value}");
    assert_eq!(u(&p["net_deposits"]), 250_500_000);
    assert!(p["withdrawal"].is_null());
    let lockup_end = p["lockup_end"].as_i64().unwrap();

    let e = run(dir, "investor", Op::Deposit("0.0000001".into()))
        .await
        .unwrap_err();
    assert!(e.contains("7 decimal places; this token has 6"), "{e}");
    let e = run(dir, "investor", Op::Deposit("5".into()))
        .await
        .unwrap_err();
    assert!(e.contains("the vault refused: DepositBelowMinimum"), "{e}");
    let e = run(dir, "investor", Op::Deposit("2000000".into()))
        .await
        .unwrap_err();
    assert!(e.contains("less than the 2000000 to deposit"), "{e}");

    let r = run(
        dir,
        "investor",
        Op::RequestWithdraw {
            amount: "100".into(),
            shares: false,
        },
    )
    .await
    .unwrap();
    let w = &r["position"]["withdrawal"];
    assert!(u(&w["value_at_request"]) >= 100_000_000);
    // The lock-up (30 days) ends after the notice (7 days): it decides the payment date.
    assert_eq!(w["payable_at"].as_i64().unwrap(), lockup_end);
    let e = run(dir, "investor", Op::Withdraw).await.unwrap_err();
    assert!(e.contains("the vault refused: LockupActive"), "{e}");
    let c = run(dir, "investor", Op::CancelWithdraw).await.unwrap();
    assert!(c["position"]["withdrawal"].is_null());
    assert_eq!(u(&c["position"]["value"]), value);
    let e = run(dir, "investor", Op::CancelWithdraw).await.unwrap_err();
    assert!(e.contains("the vault refused: NoWithdrawRequest"), "{e}");

    // --- members: the venue proposal waits the adverse delay
    let e = run(dir, "investor", Op::Vote(1, Vote::Approve))
        .await
        .unwrap_err();
    assert!(e.contains("the vault refused: NotAMember"), "{e}");
    run(dir, "bob", Op::Vote(1, Vote::Approve)).await.unwrap();
    let e = run(dir, "bob", Op::Vote(1, Vote::Approve))
        .await
        .unwrap_err();
    assert!(e.contains("the vault refused: AlreadyVoted"), "{e}");
    let a = run(dir, "alice", Op::Vote(1, Vote::Approve)).await.unwrap();
    assert_eq!(a["proposal"]["status"], "Approved");
    assert_eq!(a["proposal"]["class"], "adverse");
    let e = run(dir, "alice", Op::Vote(1, Vote::Execute))
        .await
        .unwrap_err();
    assert!(e.contains("the vault refused: TimelockActive"), "{e}");
    let list = run(dir, "alice", Op::List).await.unwrap();
    let created = list[0]["created_at"].as_i64().unwrap();
    let executable = list[0]["executable_at"].as_i64().unwrap();
    // max(timelock 1h, 7 days, 2 x notice of 7 days) = 14 days after approval.
    assert!(
        executable - created >= 14 * 86_400,
        "{}",
        executable - created
    );
    run(dir, "alice", Op::Warp("15d".into())).await.unwrap();
    let x = run(dir, "carol", Op::Vote(1, Vote::Execute)).await.unwrap();
    assert_eq!(x["proposal"]["status"], "Executed");
    let m3 = run(dir, "alice", Op::Migrate(file.clone())).await.unwrap();
    assert_eq!(m3["allowlist_entries"][0]["state"], "allowed");

    // A protective change executes as soon as it is approved.
    let p = run(dir, "bob", Op::Propose(ActionArg::PauseDeposits))
        .await
        .unwrap();
    assert_eq!(p["proposal"]["index"], 2);
    assert_eq!(p["proposal"]["class"], "protective");
    run(dir, "bob", Op::Vote(2, Vote::Approve)).await.unwrap();
    run(dir, "carol", Op::Vote(2, Vote::Approve)).await.unwrap();
    run(dir, "alice", Op::Vote(2, Vote::Execute)).await.unwrap();
    let e = run(dir, "investor", Op::Deposit("20".into()))
        .await
        .unwrap_err();
    assert!(e.contains("the vault refused: DepositsPaused"), "{e}");
    let e = run(
        dir,
        "bob",
        Op::Propose(ActionArg::SetKeeper {
            key: "not-a-key".into(),
        }),
    )
    .await
    .unwrap_err();
    assert!(
        e.contains("keeper \"not-a-key\" is not a base58 address"),
        "{e}"
    );

    // A guardian acts alone, but only to protect.
    let g = run(dir, "carol", Op::Guard(ActionArg::PauseTrading))
        .await
        .unwrap();
    assert_eq!(g["action"], "pause trading");
    let e = run(dir, "carol", Op::Guard(ActionArg::ResumeTrading))
        .await
        .unwrap_err();
    assert!(e.contains("the vault refused: NotProtective"), "{e}");
    let e = run(dir, "bob", Op::Guard(ActionArg::PauseDeposits))
        .await
        .unwrap_err();
    assert!(e.contains("the vault refused: NotAGuardian"), "{e}");

    // --- anyone
    let s = run(dir, "investor", Op::Status).await.unwrap();
    assert_eq!(s["depositors"], 1);
    assert_eq!(s["deposits_paused"], true);
    assert_eq!(s["trading_paused"], true);
    assert_eq!(s["breaker_tripped"], false);
    assert_eq!(u(&s["nav"]), 1_000_000 + 250_500_000, "seed + deposit");
    assert_eq!(s["proposals"], 2);
    assert_eq!(s["positions"].as_array().unwrap().len(), 0);
    let open = s["limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["limit"] == "open positions")
        .unwrap();
    assert_eq!(open["used"], "0");
    assert_eq!(open["max"], "50");

    // After the lock-up the whole position can leave.
    run(dir, "alice", Op::Warp("30d".into())).await.unwrap();
    run(
        dir,
        "investor",
        Op::RequestWithdraw {
            amount: "all".into(),
            shares: false,
        },
    )
    .await
    .unwrap();
    let e = run(dir, "investor", Op::Withdraw).await.unwrap_err();
    assert!(e.contains("the vault refused: NoticePeriodActive"), "{e}");
    run(dir, "alice", Op::Warp("7d".into())).await.unwrap();
    let w = run(dir, "investor", Op::Withdraw).await.unwrap();
    let paid = u(&w["amount"]);
    // Fees for 52 days came out of the position; nothing else did.
    assert!(paid < 250_500_000 && paid > 247_000_000, "{paid}");
}

#[tokio::test]
async fn declining_the_prompt_sends_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let init = run(dir, "alice", Op::LocalInit).await.unwrap();
    let file = PathBuf::from(init["vault_file"].as_str().unwrap());
    run(dir, "alice", Op::Migrate(file)).await.unwrap();
    let mut t = target(dir, "investor");
    t.yes = false;
    let mut asked = Vec::new();
    let mut no = |q: &str| -> anyhow::Result<bool> {
        asked.push(q.to_string());
        Ok(false)
    };
    let e = exec_local(&Op::Deposit("50".into()), &t, &mut no)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("cancelled; nothing was sent"), "{e}");
    assert!(asked[0].contains("Deposit 50 into vault"), "{asked:?}");
    assert!(asked[0].contains("locked up until"), "{asked:?}");
    let e = run(dir, "investor", Op::Position(None)).await.unwrap_err();
    assert!(e.contains("has no position"), "{e}");
}

/// The binary itself: separate processes share the chain through the saved state, stdout is
/// the result alone, a prompt without a terminal refuses, and a world-readable key is refused
/// without its contents appearing anywhere.
#[test]
fn the_binary_runs_the_commands_across_processes() {
    use std::process::Command;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap().to_string();
    let keeper = env!("CARGO_BIN_EXE_keeper");
    let run = |args: &[&str]| {
        let o = Command::new(keeper)
            .args(args)
            .args(["--local-dir", &dir])
            .env_remove("KEEPER_URL")
            .env_remove("FLASHFORGE_VAULT")
            .output()
            .unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let (ok, out, err) = run(&["local", "init"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("next: keeper migrate"), "{out}");
    let file = format!("{dir}/vault.toml");
    let (ok, out, err) = run(&["migrate", &file, "--keypair", "alice", "--yes", "--json"]);
    assert!(ok, "{out}{err}");
    let m: Value = serde_json::from_str(&out).expect("stdout is the JSON alone");
    assert_eq!(m["created"], true);
    let (ok, out, err) = run(&["deposit", "12.5", "--keypair", "investor", "--yes"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("deposit landed"), "{out}");
    let (ok, out, _) = run(&["position", "--keypair", "investor", "--json"]);
    assert!(ok);
    let p: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(p["net_deposits"], 12_500_000);
    let (ok, out, _) = run(&["vault", "status"]);
    assert!(ok);
    assert!(out.contains("open positions"), "{out}");
    assert!(out.contains("2-of-3 members"), "{out}");

    // No terminal and no --yes: refused before anything is sent.
    let (ok, _, err) = run(&["deposit", "20", "--keypair", "investor"]);
    assert!(!ok);
    assert!(err.contains("pass --yes"), "{err}");
    let (_, out, _) = run(&["position", "--keypair", "investor", "--json"]);
    let p: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(p["net_deposits"], 12_500_000);

    // A key others can read is refused; its bytes are never printed.
    let wallet = format!("{dir}/wallets/bob.json");
    let secret = std::fs::read_to_string(&wallet).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wallet, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (ok, out, err) = run(&["gov", "approve", "1", "--keypair", "bob"]);
        assert!(!ok);
        assert!(err.contains("chmod 600"), "{err}");
        let inner = secret.trim_start_matches('[');
        let head: String = inner.chars().take(20).collect();
        assert!(!out.contains(&head) && !err.contains(&head));
    }
    let (ok, _, err) = run(&["vault", "status", "--url", "ftp://example/?key=SECRET"]);
    assert!(!ok);
    assert_eq!(
        err.trim(),
        "error: --url must be `local` or http(s) JSON-RPC URLs separated by commas: \
         RPC endpoint ftp://example is not an http(s) URL"
    );
}

/// A saved embedded chain comes back with the same accounts, a later slot (marks and flights
/// record slots) and exactly the saved time.
#[tokio::test]
async fn a_saved_local_chain_restores_accounts_slot_and_time() {
    use keeper::chain::local::LocalChain;
    use keeper::chain::Chain;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("chain.bin");
    let mut a = LocalChain::new(flashforge_tests::TestChain::start().await, 0);
    let mint = a
        .chain
        .create_mint(flashforge_tests::TokenProgram::Spl, 6, &[])
        .await;
    let (investor, ata) = a.chain.investor(&mint, 42).await;
    a.advance(3 * 86_400).await.unwrap();
    let (slot, now) = (a.block_height().await.unwrap(), a.now().await.unwrap());
    a.save(&path).await.unwrap();
    drop(a);

    let mut b = LocalChain::new(flashforge_tests::TestChain::start().await, 0);
    b.restore(&path).await.unwrap();
    assert!(b.block_height().await.unwrap() > slot);
    assert_eq!(b.now().await.unwrap(), now, "the saved time exactly");
    assert_eq!(b.chain.balance(&ata).await, 42);
    let holders = b.largest_token_accounts(&mint).await.unwrap();
    assert_eq!(holders, [(ata, 42)], "token accounts are indexed again");
    // The restored chain processes transactions on the restored accounts.
    let out = b
        .chain
        .transfer_tokens(&mint, &ata, &ata, &investor, 2)
        .await;
    assert!(out.result.is_ok(), "{:?}", out.result);

    std::fs::write(&path, b"not a chain").unwrap();
    let e = format!("{:#}", b.restore(&path).await.unwrap_err());
    assert!(e.contains("is not a saved local chain"), "{e}");
}
