//! Execution on the embedded chain: orders land once, a killed keeper resumes from its
//! journal without losing or repeating anything, expired orders are known to be dead, and the
//! vault refuses an order id it has executed before.

use anchor_lang::AccountDeserialize;
use flashforge_tests::trading_fixture::TradingVault;
use flashforge_tests::TestChain;
use keeper::chain::local::{Congestion, LocalChain};
use keeper::chain::Chain;
use keeper::execute::{ExecConfig, Executor, Order, Outcome};
use keeper::journal::{Journal, OrderRow, OrderStatus};
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{Keypair, Signer};
use std::path::PathBuf;
use vault::client::{self, Market};
use vault::instructions::OpenPositionArgs;
use vault::state::{Position, Vault};

const UNIT: u64 = 1_000_000;

struct Setup {
    chain: LocalChain,
    tv: TradingVault,
    market: Market,
    market2: Market,
    dir: tempfile::TempDir,
}

impl Setup {
    async fn new() -> Self {
        let mut chain = TestChain::start().await;
        let tv = chain.trading_vault(100 * UNIT, |_| {}).await;
        let market = chain.market(&tv, 1_000 * UNIT, 1_000 * UNIT, 30).await;
        let market2 = chain.market(&tv, 1_000 * UNIT, 1_000 * UNIT, 30).await;
        Self {
            chain: LocalChain::new(chain, 7),
            tv,
            market,
            market2,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn keeper(&self) -> Keypair {
        self.tv.f.keeper.insecure_clone()
    }

    fn executor(&self) -> Executor {
        Executor::new(ExecConfig::default(), self.keeper())
    }

    fn journal_path(&self) -> PathBuf {
        self.dir.path().join("journal.sqlite")
    }

    async fn vault(&mut self) -> Vault {
        let a = keeper::chain::account(&mut self.chain, &self.tv.f.keys.vault)
            .await
            .unwrap()
            .unwrap();
        Vault::try_deserialize(&mut a.data.as_slice()).unwrap()
    }

    async fn position(&mut self, m: &Market) -> Option<Position> {
        let key = client::position_address(&self.tv.f.keys.vault, &m.mint);
        keeper::chain::account(&mut self.chain, &key)
            .await
            .unwrap()
            .map(|a| Position::try_deserialize(&mut a.data.as_slice()).unwrap())
    }

    /// Signs and journals an order without sending it: what a keeper killed between the
    /// journal write and the send leaves behind.
    async fn journal_only(
        &mut self,
        journal: &Journal,
        ix: Instruction,
        order_id: u64,
    ) -> OrderRow {
        let exec = self.executor();
        let (tx, bh) = exec
            .prepare(&mut self.chain, &[ix], &[])
            .await
            .unwrap()
            .expect("simulation passes");
        let row = OrderRow {
            order_id,
            kind: "buy".into(),
            mint: Some(self.market.mint),
            amount: UNIT / 2,
            min_out: 0,
            signature: tx.signatures[0].to_string(),
            tx: flashforge_tests::versioned_bytes(&tx),
            last_valid_height: bh.last_valid_height,
        };
        journal.record_order(&row, None, 0).unwrap();
        row
    }
}

/// A buy of half a unit of `m` under `order_id`.
fn buy(tv: &TradingVault, m: &Market, order_id: u64) -> Instruction {
    client::open_position(
        &tv.f.keys,
        &tv.f.keeper.pubkey(),
        m,
        OpenPositionArgs {
            order_id,
            amount_in: UNIT / 2,
            min_out: 0,
            safety_score: 90,
            plan: None,
        },
    )
}

fn order<'a>(ixs: Vec<Instruction>, order_id: u64) -> Order<'a> {
    Order {
        order_id,
        kind: "buy",
        mint: None,
        amount: UNIT / 2,
        min_out: 0,
        ixs,
        tables: &[],
    }
}

#[tokio::test]
async fn an_order_journaled_but_never_sent_is_sent_once_after_a_restart() {
    let mut s = Setup::new().await;
    let journal = Journal::open(&s.journal_path()).unwrap();
    let ix = buy(&s.tv, &s.market, 1);
    let row = s.journal_only(&journal, ix, 1).await;
    drop(journal); // the keeper dies here

    let journal = Journal::open(&s.journal_path()).unwrap();
    assert_eq!(journal.open_orders().unwrap(), vec![row.clone()]);
    let exec = s.executor();
    let first = exec.follow_open(&mut s.chain, &journal).await.unwrap();
    assert!(matches!(first[0].1, Outcome::Pending), "{:?}", first[0].1);
    let second = exec.follow_open(&mut s.chain, &journal).await.unwrap();
    assert!(
        matches!(second[0].1, Outcome::Filled(_)),
        "{:?}",
        second[0].1
    );
    assert!(exec
        .follow_open(&mut s.chain, &journal)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(journal.order_status(1).unwrap().as_deref(), Some("filled"));

    // Exactly one buy happened, under order id 1.
    assert_eq!(s.chain.stats.sent, 1);
    let m = s.market;
    let p = s.position(&m).await.expect("position");
    assert_eq!(p.total_bought, UNIT / 2);
    assert_eq!(s.vault().await.last_order_id, 1);
}

#[tokio::test]
async fn an_order_sent_before_the_crash_is_found_landed_and_never_resent() {
    let mut s = Setup::new().await;
    let journal = Journal::open(&s.journal_path()).unwrap();
    let ix = buy(&s.tv, &s.market, 1);
    let row = s.journal_only(&journal, ix, 1).await;
    let tx = keeper::execute::parse_signed(&row.tx).unwrap();
    s.chain.send(&tx).await.unwrap();
    drop(journal); // sent and landed; the keeper dies before recording it

    let journal = Journal::open(&s.journal_path()).unwrap();
    let exec = s.executor();
    let out = exec.follow_open(&mut s.chain, &journal).await.unwrap();
    assert!(matches!(out[0].1, Outcome::Filled(_)), "{:?}", out[0].1);
    assert_eq!(s.chain.stats.sent, 1, "follow-up must not send again");
    let m = s.market;
    assert_eq!(s.position(&m).await.unwrap().total_bought, UNIT / 2);
}

#[tokio::test]
async fn the_vault_refuses_an_order_id_it_executed_before() {
    let mut s = Setup::new().await;
    let journal = Journal::open(&s.journal_path()).unwrap();
    let exec = s.executor();
    let m = s.market;
    let out = exec
        .submit(
            &mut s.chain,
            &journal,
            order(vec![buy(&s.tv, &m, 5)], 5),
            None,
        )
        .await
        .unwrap();
    assert!(matches!(out, Outcome::Filled(_)), "{out:?}");

    // The same order again in a new transaction (a new blockhash): the simulation already
    // shows the vault's refusal, so nothing is sent...
    s.chain.advance(60).await.unwrap();
    let journal2 = Journal::memory().unwrap();
    let out = exec
        .submit(
            &mut s.chain,
            &journal2,
            order(vec![buy(&s.tv, &m, 5)], 5),
            None,
        )
        .await
        .unwrap();
    match out {
        Outcome::SimulationFailed(f) => {
            assert_eq!(f.vault_error().map(|e| e.0), Some("OrderIdReused"))
        }
        other => panic!("expected the vault's refusal, got {other:?}"),
    }
    // ...and sent regardless, the vault refuses it on chain: still one buy.
    let bh = s.chain.latest_blockhash().await.unwrap();
    let tx = keeper::execute::sign(&s.keeper(), &[buy(&s.tv, &m, 5)], &[], &bh).unwrap();
    let sig = s.chain.send(&tx).await.unwrap();
    let landed = s.chain.status(&sig).await.unwrap().expect("landed");
    let err = landed.err.expect("refused");
    assert_eq!(err.vault_error().map(|e| e.0), Some("OrderIdReused"));
    assert_eq!(s.position(&m).await.unwrap().total_bought, UNIT / 2);
    // An older id is refused as well.
    let out = exec
        .submit(
            &mut s.chain,
            &journal2,
            order(vec![buy(&s.tv, &m, 4)], 4),
            None,
        )
        .await
        .unwrap();
    assert!(
        matches!(out, Outcome::SimulationFailed(ref f) if f.vault_error().map(|e| e.0) == Some("OrderIdReused"))
    );
}

#[tokio::test]
async fn a_dropped_order_expires_and_provably_never_lands() {
    let mut s = Setup::new().await;
    s.chain.set_congestion(Congestion {
        drop_rate: 1.0,
        ..Default::default()
    });
    let journal = Journal::open(&s.journal_path()).unwrap();
    let exec = s.executor();
    let m = s.market;
    let out = exec
        .submit(
            &mut s.chain,
            &journal,
            order(vec![buy(&s.tv, &m, 1)], 1),
            None,
        )
        .await
        .unwrap();
    assert!(matches!(out, Outcome::Pending), "{out:?}");
    // Within the blockhash's life it is rebroadcast (and dropped again).
    s.chain.advance(30).await.unwrap();
    let row = journal.open_orders().unwrap().remove(0);
    assert!(matches!(
        exec.check(&mut s.chain, &journal, &row).await.unwrap(),
        Outcome::Pending
    ));
    // Past it, the order is dead: the journal says so and the vault never saw it.
    s.chain.advance(60).await.unwrap();
    assert!(matches!(
        exec.check(&mut s.chain, &journal, &row).await.unwrap(),
        Outcome::Expired
    ));
    assert_eq!(journal.count_orders(OrderStatus::Expired).unwrap(), 1);
    assert!(journal.open_orders().unwrap().is_empty());
    assert_eq!(s.vault().await.last_order_id, 0);
    assert!(s.position(&m).await.is_none());
    assert!(s.chain.stats.dropped >= 2);
}

#[tokio::test]
async fn a_late_order_overtaken_by_a_newer_one_is_refused_not_executed() {
    let mut s = Setup::new().await;
    s.chain.set_congestion(Congestion {
        delay_rate: 1.0,
        delay_slots: 2,
        ..Default::default()
    });
    let journal = Journal::open(&s.journal_path()).unwrap();
    let exec = s.executor();
    let (m1, m2) = (s.market, s.market2);
    let late = exec
        .submit(
            &mut s.chain,
            &journal,
            order(vec![buy(&s.tv, &m1, 1)], 1),
            None,
        )
        .await
        .unwrap();
    assert!(matches!(late, Outcome::Pending));
    s.chain.set_congestion(Congestion::default());
    let newer = exec
        .submit(
            &mut s.chain,
            &journal,
            order(vec![buy(&s.tv, &m2, 2)], 2),
            None,
        )
        .await
        .unwrap();
    assert!(matches!(newer, Outcome::Filled(_)), "{newer:?}");
    s.chain.advance(1).await.unwrap(); // the delayed order lands now
    let row = journal
        .open_orders()
        .unwrap()
        .into_iter()
        .find(|r| r.order_id == 1)
        .unwrap();
    match exec.check(&mut s.chain, &journal, &row).await.unwrap() {
        Outcome::Rejected(_, f) => assert_eq!(f.vault_error().map(|e| e.0), Some("OrderIdReused")),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(s.position(&m1).await.is_none_or(|p| p.amount == 0));
    assert_eq!(journal.count_orders(OrderStatus::Rejected).unwrap(), 1);
}

#[tokio::test]
async fn dry_run_simulates_and_journals_but_sends_nothing() {
    let mut s = Setup::new().await;
    let journal = Journal::open(&s.journal_path()).unwrap();
    let exec = Executor::new(
        ExecConfig {
            dry_run: true,
            ..Default::default()
        },
        s.keeper(),
    );
    let m = s.market;
    let out = exec
        .submit(
            &mut s.chain,
            &journal,
            order(vec![buy(&s.tv, &m, 1)], 1),
            None,
        )
        .await
        .unwrap();
    assert!(matches!(out, Outcome::DryRun));
    assert_eq!(s.chain.stats.sent, 0);
    assert!(s.position(&m).await.is_none());
    assert_eq!(journal.max_order_id().unwrap(), 1);
}

#[tokio::test]
async fn the_compute_limit_fits_the_simulation_and_the_fee_follows_the_market() {
    let mut s = Setup::new().await;
    s.chain.set_congestion(Congestion {
        fee_floor: 77_777,
        ..Default::default()
    });
    let exec = s.executor();
    let m = s.market;
    let (tx, _) = exec
        .prepare(&mut s.chain, &[buy(&s.tv, &m, 1)], &[])
        .await
        .unwrap()
        .unwrap();
    let sim = s.chain.simulate(&tx).await.unwrap();
    assert!(sim.err.is_none());
    // The first two instructions are the budget: limit = units × 1.2, price = the floor.
    let msg = &tx.message;
    let ixs = msg.instructions();
    let keys = msg.static_account_keys();
    assert_eq!(
        keys[ixs[0].program_id_index as usize],
        solana_compute_budget_interface::ID
    );
    let limit = u32::from_le_bytes(ixs[0].data[1..5].try_into().unwrap());
    let price = u64::from_le_bytes(ixs[1].data[1..9].try_into().unwrap());
    assert_eq!(price, 77_777);
    assert!(
        limit as u64 >= sim.units && (limit as u64) <= sim.units * 13 / 10 + 10_000,
        "limit {limit} for {} units",
        sim.units
    );
}
