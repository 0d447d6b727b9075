//! The keeper's loop, one `tick` at a time: follow orders in flight, mark the book, manage
//! open positions (ladder, stop loss, rug exits), detect and score new pools and enter the
//! good ones, keep leverage healthy, and journal NAV. The same code runs on the embedded
//! chain and on a cluster; only the [`Chain`] differs.

use crate::chain::{Chain, FeedPosition, Landed, TxFailure};
use crate::detect::{self, DetectedPool};
use crate::execute::{ExecConfig, Executor, Order, Outcome};
use crate::gather::{self, local_pool, PoolState, Probe};
use crate::journal::{FillRow, Journal};
use crate::score::{self, SafetyReport, Weights};
use crate::strategy::{
    self, Book, Entry, Exit, LeverageAction, LeveragePlan, LoopState, Preset, SkipReason, Watch,
};
use anchor_lang::AccountDeserialize;
use anyhow::{Context, Result};
use serde::Serialize;
use solana_message::AddressLookupTableAccount;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use vault::client::leverage::{self as lev, ComputeBudget, FlashSource, LoopKeys};
use vault::client::{self, Market, VaultKeys};
use vault::events::PositionFilled;
use vault::instructions::{OpenPositionArgs, OpenStepArgs, ReduceArgs, UnwindStepArgs};
use vault::state::{Position, ReduceReason, Vault};

/// A two-instruction compute-budget prefix for transactions whose instructions refer to each
/// other by index; the executor replaces the values (see [`crate::execute::with_budget`]).
const BUDGET_PREFIX: ComputeBudget = ComputeBudget {
    unit_limit: Some(1_400_000),
    unit_price_micro_lamports: Some(0),
};

/// Marks per `mark_nav` transaction (two accounts each).
const MARK_CHUNK: usize = 12;

/// How far back a restarted keeper (or a replica taking over) reads the feed and picks up
/// pools that were journaled but never decided on. Older pools are past the launch window the
/// strategy trades, and a position this old is read from the chain as it is now.
pub const RESUME_WINDOW_SECS: i64 = 600;

/// Evaluations a new pool gets before it is written off: reading it failed this many ticks
/// in a row (ticks back off from 1 s to a minute in between, so about half a minute at the
/// default interval). Without a limit, a pool whose accounts the node keeps refusing would
/// fail every tick after it.
pub const EVALUATION_TRIES: u8 = 5;

/// A leverage loop the keeper runs: its accounts, its flash lenders and the lookup table its
/// transactions need.
#[derive(Clone, Debug)]
pub struct LoopSetup {
    pub keys: LoopKeys,
    pub flash_reserves: Vec<(local_lender::client::ReserveKeys, u16)>,
    pub table: AddressLookupTableAccount,
    pub plan: LeveragePlan,
}

/// Everything the keeper is configured with.
pub struct KeeperConfig {
    pub preset: Preset,
    pub weights: Weights,
    pub exec: ExecConfig,
    pub vault: VaultKeys,
    /// Programs whose transactions are watched for pool creations.
    pub watch: Vec<Pubkey>,
    /// The keeper's quote-token account used for the simulated round trip.
    pub probe_quote_account: Option<Pubkey>,
    pub leverage: Option<LoopSetup>,
}

/// A position the keeper holds, with what it last saw of its pool and mint.
#[derive(Clone, Debug)]
struct Holding {
    market: Market,
    quote_reserve: u64,
    supply: u64,
    score: u8,
    /// The position's token account is frozen: selling is impossible until the token's
    /// freeze authority thaws it, so the keeper stops trying.
    frozen: bool,
}

/// An order in flight.
#[derive(Clone, Debug)]
struct InFlight {
    order_id: u64,
    kind: &'static str,
    mint: Option<Pubkey>,
    market: Option<Market>,
    score: u8,
    /// For a buy: the pool, to reconsider if the order expires unsent.
    pool: Option<DetectedPool>,
}

/// One trade for the report.
#[derive(Clone, Debug, Serialize)]
pub struct Trade {
    pub at: i64,
    pub order_id: u64,
    pub mint: String,
    pub side: &'static str,
    pub reason: String,
    pub base_amount: u64,
    pub token_amount: u64,
    pub realized_pnl: i64,
    pub score: u8,
}

/// Counters over the keeper's life.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    pub pools_seen: u64,
    pub pools_scored: u64,
    pub entries_skipped: u64,
    /// Pools not bought, by reason (the tier's limits and the score at work).
    pub skips: BTreeMap<SkipReason, u64>,
    pub orders_sent: u64,
    pub orders_filled: u64,
    pub orders_expired: u64,
    /// Refused by the vault, on-chain or in simulation, by vault error name.
    pub vault_rejections: BTreeMap<String, u64>,
    /// Failed for any other reason, by message.
    pub other_failures: BTreeMap<String, u64>,
    pub buys: u64,
    pub ladder_sells: u64,
    pub stop_losses: u64,
    pub rug_exits: u64,
    pub time_stops: u64,
    pub breaker_trips: u64,
    pub marks: u64,
    pub leverage_loops_opened: u64,
    pub deleverages: u64,
    pub realized_pnl: i64,
    /// Mints bought, for the scenario's accounting of rugs bought.
    #[serde(skip)]
    pub mints_bought: Vec<Pubkey>,
    /// Every token scored and its score.
    #[serde(skip)]
    pub scores: Vec<(Pubkey, u8)>,
}

impl Stats {
    pub fn orders_rejected_by_vault(&self) -> u64 {
        self.vault_rejections.values().sum()
    }
}

/// A pool's evaluation (for tests and benchmarks).
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub pool: DetectedPool,
    pub token: Pubkey,
    pub report: SafetyReport,
    pub decision: Entry,
    pub market: Option<Market>,
}

pub struct Keeper {
    pub cfg: KeeperConfig,
    pub exec: Executor,
    pub journal: Journal,
    holdings: BTreeMap<Pubkey, Holding>,
    in_flight: Vec<InFlight>,
    next_order_id: u64,
    /// Whether the start-up recovery is done (it runs again after failing).
    recovered: bool,
    pub stats: Stats,
    pub trades: Vec<Trade>,
    /// Last vault state read.
    pub vault_state: Option<Vault>,
    last_trip_seen: Option<i64>,
    /// Pools to consider (again) next tick, with the evaluations that already failed: a buy
    /// that expired unsent, a pool whose evaluation failed, pools recovered from the journal.
    retry: Vec<(DetectedPool, u8)>,
    /// The feed positions last journaled.
    feed_saved: Vec<FeedPosition>,
    last_stages: Vec<(&'static str, Duration)>,
}

impl Keeper {
    pub fn new(cfg: KeeperConfig, signer: Keypair, journal: Journal) -> Self {
        let exec = Executor::new(cfg.exec.clone(), signer);
        Self {
            cfg,
            exec,
            journal,
            holdings: BTreeMap::new(),
            in_flight: Vec::new(),
            next_order_id: 0,
            recovered: false,
            feed_saved: Vec::new(),
            stats: Stats::default(),
            trades: Vec::new(),
            vault_state: None,
            last_trip_seen: None,
            retry: Vec::new(),
            last_stages: Vec::new(),
        }
    }

    pub fn keeper_key(&self) -> Pubkey {
        self.exec.signer.pubkey()
    }

    /// Start-up: settles the orders a previous run left in flight and rebuilds the book
    /// from the journal's fills and the chain's positions.
    pub async fn recover<C: Chain>(&mut self, chain: &mut C) -> Result<()> {
        let vault = self.read_vault(chain).await?;
        self.next_order_id = self.journal.max_order_id()?.max(vault.last_order_id) + 1;
        // A recovery that failed part-way runs again from the journal: what it tracked the
        // first time is tracked anew, not twice.
        self.in_flight.clear();
        for (row, outcome) in self.exec.follow_open(chain, &self.journal).await? {
            let f = InFlight {
                order_id: row.order_id,
                kind: kind_name(&row.kind),
                mint: row.mint,
                market: None,
                score: 0,
                pool: None,
            };
            self.settle(chain, &f, outcome).await?;
            if self.journal.order_status(row.order_id)?.as_deref() == Some("sent") {
                self.in_flight.push(f);
            }
        }
        let mut mints: Vec<Pubkey> = self.journal.fills()?.iter().map(|f| f.mint).collect();
        mints.sort();
        mints.dedup();
        for mint in mints {
            self.refresh_holding(chain, &mint, None, 0).await?;
        }
        self.resume_discovery(chain).await
    }

    /// Reads the feed on from where the journal says it stopped, and queues the pools found
    /// there but never decided on, both within [`RESUME_WINDOW_SECS`]: no pool created while
    /// no keeper was reading is missed, and none is decided twice.
    async fn resume_discovery<C: Chain>(&mut self, chain: &mut C) -> Result<()> {
        let since = chain.now().await? - RESUME_WINDOW_SECS;
        let vault = self.cfg.vault.vault;
        let mut resume = Vec::new();
        for p in self.journal.feed_positions(&vault)? {
            if !self.cfg.watch.contains(&p.program) {
                continue;
            }
            if p.block_time >= since {
                resume.push(p);
            } else {
                tracing::warn!(
                    "the journaled feed position of {} is more than {RESUME_WINDOW_SECS} s old; reading from now",
                    p.program
                );
            }
        }
        chain.resume_feed(&resume);
        self.feed_saved = resume;
        let pending: Vec<DetectedPool> = self
            .journal
            .undecided_pools(since)?
            .into_iter()
            .filter(|p| self.cfg.watch.contains(&p.program_id))
            .collect();
        if !pending.is_empty() {
            tracing::info!(
                "{} pool(s) journaled by an earlier run without a decision are considered now",
                pending.len()
            );
        }
        self.retry.extend(pending.into_iter().map(|p| (p, 0)));
        Ok(())
    }

    async fn read_vault<C: Chain>(&mut self, chain: &mut C) -> Result<Vault> {
        let a = crate::chain::account(chain, &self.cfg.vault.vault)
            .await?
            .context("the vault account does not exist")?;
        let v = Vault::try_deserialize(&mut a.data.as_slice())
            .map_err(|e| anyhow::anyhow!("the vault account does not decode: {e}"))?;
        // A trip is counted once, however it happened (a mark, a sale, a deposit).
        if v.breaker.tripped && self.last_trip_seen != Some(v.breaker.tripped_at) {
            self.last_trip_seen = Some(v.breaker.tripped_at);
            self.stats.breaker_trips += 1;
        }
        self.vault_state = Some(v.clone());
        Ok(v)
    }

    fn take_order_id(&mut self) -> u64 {
        let id = self.next_order_id;
        self.next_order_id += 1;
        id
    }

    /// One pass of the loop.
    pub async fn tick<C: Chain>(&mut self, chain: &mut C) -> Result<()> {
        if !self.recovered {
            self.recover(chain).await?;
            self.recovered = true;
        }
        self.last_stages.clear();
        let mut t = Instant::now();
        let mut lap = |stages: &mut Vec<(&'static str, Duration)>, name: &'static str| {
            stages.push((name, t.elapsed()));
            t = Instant::now();
        };
        self.follow(chain).await?;
        lap(&mut self.last_stages, "follow");
        self.mark(chain).await?;
        lap(&mut self.last_stages, "mark");
        self.manage(chain).await?;
        lap(&mut self.last_stages, "manage");
        self.discover(chain).await?;
        lap(&mut self.last_stages, "discover");
        self.leverage(chain).await?;
        lap(&mut self.last_stages, "leverage");
        let v = self.read_vault(chain).await?;
        let now = chain.now().await?;
        self.journal.record_nav(
            now,
            v.total_assets(),
            v.idle_assets,
            v.positions_value_low,
            v.realized_pnl,
        )?;
        lap(&mut self.last_stages, "nav");
        Ok(())
    }

    /// How long each stage of the last tick took (stages after a failure are missing).
    pub fn last_stages(&self) -> &[(&'static str, Duration)] {
        &self.last_stages
    }

    /// Follows the orders in flight without starting anything new: what a stopping keeper
    /// does while it drains. Returns how many are still in flight.
    pub async fn follow_in_flight<C: Chain>(&mut self, chain: &mut C) -> Result<usize> {
        self.follow(chain).await?;
        Ok(self.in_flight.len())
    }

    /// Settles orders in flight.
    async fn follow<C: Chain>(&mut self, chain: &mut C) -> Result<()> {
        let rows = self.journal.open_orders()?;
        let flights = std::mem::take(&mut self.in_flight);
        for f in flights {
            let Some(row) = rows.iter().find(|r| r.order_id == f.order_id) else {
                continue;
            };
            let outcome = self.exec.check(chain, &self.journal, row).await?;
            if matches!(outcome, Outcome::Pending) {
                self.in_flight.push(f);
            } else {
                self.settle(chain, &f, outcome).await?;
            }
        }
        Ok(())
    }

    /// Books the outcome of an order.
    async fn settle<C: Chain>(&mut self, chain: &mut C, f: &InFlight, o: Outcome) -> Result<()> {
        match o {
            Outcome::Pending | Outcome::DryRun => {}
            Outcome::Expired => {
                self.stats.orders_expired += 1;
                // The order can no longer land; a buy is decided again on fresh facts.
                if let Some(p) = &f.pool {
                    self.retry.push((p.clone(), 0));
                }
            }
            Outcome::SimulationFailed(e) | Outcome::Rejected(_, e) => self.count_failure(&e),
            Outcome::Filled(landed) => {
                self.stats.orders_filled += 1;
                match f.kind {
                    "leverage_open" => self.stats.leverage_loops_opened += 1,
                    "leverage_unwind" => self.stats.deleverages += 1,
                    _ => {}
                }
                self.book_fills(chain, f, &landed).await?;
            }
        }
        Ok(())
    }

    fn count_failure(&mut self, e: &TxFailure) {
        match e.vault_error() {
            Some((name, _)) => *self.stats.vault_rejections.entry(name.into()).or_default() += 1,
            None => {
                let key: String = e.reason().chars().take(120).collect();
                *self.stats.other_failures.entry(key).or_default() += 1;
            }
        }
    }

    async fn book_fills<C: Chain>(
        &mut self,
        chain: &mut C,
        f: &InFlight,
        landed: &Landed,
    ) -> Result<()> {
        let now = chain.now().await?;
        let fills: Vec<PositionFilled> = client::decode_events(&landed.logs);
        for e in &fills {
            self.journal.record_fill(&FillRow {
                order_id: f.order_id,
                mint: e.mint,
                side: if e.buy { "buy" } else { "sell" },
                base_amount: e.base_amount,
                token_amount: e.token_amount,
                realized_pnl: e.realized_pnl,
                at: now,
            })?;
            self.stats.realized_pnl += e.realized_pnl;
            if e.buy {
                self.stats.buys += 1;
                if !self.stats.mints_bought.contains(&e.mint) {
                    self.stats.mints_bought.push(e.mint);
                }
            }
            self.trades.push(Trade {
                at: now,
                order_id: f.order_id,
                mint: e.mint.to_string(),
                side: if e.buy { "buy" } else { "sell" },
                reason: match e.reason {
                    None => "entry".into(),
                    Some(r) => reason_name(r),
                },
                base_amount: e.base_amount,
                token_amount: e.token_amount,
                realized_pnl: e.realized_pnl,
                score: f.score,
            });
        }
        if let Some(mint) = f.mint {
            self.refresh_holding(chain, &mint, f.market, f.score)
                .await?;
        }
        Ok(())
    }

    /// Re-reads a position and keeps or drops it from the book.
    async fn refresh_holding<C: Chain>(
        &mut self,
        chain: &mut C,
        mint: &Pubkey,
        market: Option<Market>,
        score: u8,
    ) -> Result<()> {
        let key = client::position_address(&self.cfg.vault.vault, mint);
        let pos = crate::chain::account(chain, &key)
            .await?
            .and_then(|a| Position::try_deserialize(&mut a.data.as_slice()).ok());
        let Some(pos) = pos.filter(|p| p.amount > 0) else {
            self.holdings.remove(mint);
            return Ok(());
        };
        if self.holdings.contains_key(mint) {
            return Ok(());
        }
        let market = match market {
            Some(m) => m,
            None => {
                let Some(p) = self.pool(chain, &pos.pool).await? else {
                    return Ok(());
                };
                match p.market(mint) {
                    Some(m) => m,
                    None => return Ok(()),
                }
            }
        };
        let accts = chain.accounts(&[market.pool.pool, *mint]).await?;
        let quote_reserve = accts[0]
            .as_ref()
            .and_then(|a| local_pool(&market.pool.pool, a))
            .and_then(|p| p.reserves(mint))
            .map(|r| r.1)
            .unwrap_or(0);
        let supply = accts[1]
            .as_ref()
            .and_then(|a| score::facts::mint_facts(&a.owner, &a.data).ok())
            .map(|m| m.supply)
            .unwrap_or(0);
        self.holdings.insert(
            *mint,
            Holding {
                market,
                quote_reserve,
                supply,
                score: if score > 0 { score } else { pos.safety_score },
                frozen: false,
            },
        );
        Ok(())
    }

    async fn pool<C: Chain>(&mut self, chain: &mut C, key: &Pubkey) -> Result<Option<PoolState>> {
        Ok(crate::chain::account(chain, key)
            .await?
            .and_then(|a| local_pool(key, &a)))
    }

    /// Marks every position (and the loop) so the vault's NAV is current; counts breaker
    /// trips the marks cause.
    async fn mark<C: Chain>(&mut self, chain: &mut C) -> Result<()> {
        let pairs: Vec<(Pubkey, Pubkey)> = self
            .holdings
            .iter()
            .map(|(m, h)| (*m, h.market.pool.pool))
            .collect();
        let loop_open = self.loop_open(chain).await?;
        let mut ixs: Vec<solana_sdk::instruction::Instruction> = pairs
            .chunks(MARK_CHUNK)
            .map(|c| client::mark_nav(&self.cfg.vault, c))
            .collect();
        if let (true, Some(l)) = (loop_open, &self.cfg.leverage) {
            if ixs.is_empty() {
                ixs.push(client::mark_nav(&self.cfg.vault, &[]));
            }
            lev::push_mark(ixs.last_mut().expect("one mark"), &l.keys);
        }
        for ix in ixs {
            match self.exec.crank(chain, &[ix], &[]).await? {
                Ok(_) => self.stats.marks += 1,
                Err(e) => self.count_failure(&e),
            }
        }
        Ok(())
    }

    /// Exit rules for every holding.
    async fn manage<C: Chain>(&mut self, chain: &mut C) -> Result<()> {
        let mints: Vec<Pubkey> = self.holdings.keys().copied().collect();
        for mint in mints {
            if self.in_flight.iter().any(|f| f.mint == Some(mint)) {
                continue;
            }
            let h = self.holdings[&mint].clone();
            let pos_key = client::position_address(&self.cfg.vault.vault, &mint);
            let tok_key = client::position_token_address(&self.cfg.vault.vault, &mint);
            let accts = chain
                .accounts(&[pos_key, h.market.pool.pool, mint, tok_key])
                .await?;
            let Some(pos) = accts[0]
                .as_ref()
                .and_then(|a| Position::try_deserialize(&mut a.data.as_slice()).ok())
            else {
                self.holdings.remove(&mint);
                continue;
            };
            if pos.amount == 0 {
                self.holdings.remove(&mint);
                continue;
            }
            let pool = accts[1]
                .as_ref()
                .and_then(|a| local_pool(&h.market.pool.pool, a));
            let (value_now, quote_now) = match &pool {
                Some(p) => (
                    p.state.quote_sell(&mint, pos.amount).unwrap_or(0),
                    p.reserves(&mint).map(|r| r.1).unwrap_or(0),
                ),
                None => (0, 0),
            };
            let supply_now = accts[2]
                .as_ref()
                .and_then(|a| score::facts::mint_facts(&a.owner, &a.data).ok())
                .map(|m| m.supply)
                .unwrap_or(h.supply);
            let frozen = accts[3]
                .as_ref()
                .map(|a| a.data.len() > 108 && a.data[108] == 2)
                .unwrap_or(false);
            let watch = Watch {
                quote_reserve_before: h.quote_reserve,
                quote_reserve_now: quote_now,
                supply_before: h.supply,
                supply_now,
                frozen,
            };
            let was_frozen = h.frozen;
            if let Some(hm) = self.holdings.get_mut(&mint) {
                hm.quote_reserve = quote_now;
                hm.supply = supply_now;
                hm.frozen = frozen;
            }
            if frozen && was_frozen {
                // Already reported; nothing can be sold until it thaws.
                continue;
            }
            let now = chain.now().await?;
            let decision = strategy::exit(
                &pos,
                value_now,
                &watch,
                now,
                self.cfg.preset.max_hold_seconds,
            );
            let slip = |v: u64| (v as u128 * 9_000 / 10_000) as u64;
            let (reason, amount, min_out, label) = match &decision {
                Exit::Hold => continue,
                Exit::Ladder { step, amount } => {
                    let out = pool
                        .as_ref()
                        .and_then(|p| p.state.quote_sell(&mint, *amount))
                        .unwrap_or(0);
                    (
                        ReduceReason::LadderStep(*step),
                        *amount,
                        slip(out),
                        format!("ladder step {step}"),
                    )
                }
                Exit::StopLoss => (
                    ReduceReason::StopLoss,
                    pos.amount,
                    slip(value_now),
                    "stop loss".to_string(),
                ),
                // Running from a rug takes whatever the pool still pays.
                Exit::Run(why) => (ReduceReason::Close, pos.amount, 0, why.clone()),
                Exit::TimeStop => (
                    ReduceReason::Close,
                    pos.amount,
                    slip(value_now),
                    "held past the time limit".to_string(),
                ),
            };
            let decision_id = self.journal.record_decision(
                now,
                Some(&h.market.pool.pool),
                Some(&mint),
                "sell",
                &label,
                Some(amount),
            )?;
            match decision {
                Exit::Ladder { .. } => self.stats.ladder_sells += 1,
                Exit::StopLoss => self.stats.stop_losses += 1,
                Exit::Run(_) => self.stats.rug_exits += 1,
                Exit::TimeStop => self.stats.time_stops += 1,
                Exit::Hold => {}
            }
            let order_id = self.take_order_id();
            let keeper = self.keeper_key();
            let ix = if amount >= pos.amount {
                client::close_position(&self.cfg.vault, &keeper, &h.market, min_out, order_id)
            } else {
                client::reduce_position(
                    &self.cfg.vault,
                    &keeper,
                    &h.market,
                    ReduceArgs {
                        order_id,
                        amount,
                        min_out,
                        reason,
                    },
                )
            };
            self.submit(
                chain,
                InFlight {
                    order_id,
                    kind: "sell",
                    mint: Some(mint),
                    market: Some(h.market),
                    score: h.score,
                    pool: None,
                },
                vec![ix],
                (amount, min_out),
                Some(decision_id),
                &[],
            )
            .await?;
        }
        Ok(())
    }

    async fn submit<C: Chain>(
        &mut self,
        chain: &mut C,
        f: InFlight,
        ixs: Vec<solana_sdk::instruction::Instruction>,
        (amount, min_out): (u64, u64),
        decision_id: Option<i64>,
        tables: &[AddressLookupTableAccount],
    ) -> Result<()> {
        let order = Order {
            order_id: f.order_id,
            kind: f.kind,
            mint: f.mint,
            amount,
            min_out,
            ixs,
            tables,
        };
        let outcome = match self
            .exec
            .submit(chain, &self.journal, order, decision_id)
            .await
        {
            Ok(o) => o,
            Err(e) => {
                // Journaled before the error (the send or the first status check failed):
                // the order may land, so it is followed from the next tick like any other.
                if self.journal.order_status(f.order_id)?.as_deref() == Some("sent") {
                    self.stats.orders_sent += 1;
                    self.in_flight.push(f);
                }
                return Err(e);
            }
        };
        if !matches!(outcome, Outcome::SimulationFailed(_)) {
            self.stats.orders_sent += 1;
        }
        if matches!(outcome, Outcome::Pending) {
            self.in_flight.push(f);
        } else {
            self.settle(chain, &f, outcome).await?;
        }
        Ok(())
    }

    /// Pools created since the last tick: journal, score, decide, enter.
    async fn discover<C: Chain>(&mut self, chain: &mut C) -> Result<()> {
        let feed = chain.poll(&self.cfg.watch).await?;
        let mut found: Vec<(DetectedPool, u64, i64)> = Vec::new();
        for f in &feed {
            // A transaction the detector cannot read is skipped, never fatal.
            if let Ok(pools) = detect::detect(&f.tx) {
                found.extend(pools.into_iter().map(|p| (p, f.slot, f.block_time)));
            }
        }
        // The pools and the feed position up to which they were read go in one transaction:
        // after a crash the next run reads on from exactly there.
        let positions = chain.feed_positions();
        let changed: Vec<FeedPosition> = positions
            .iter()
            .filter(|p| !self.feed_saved.contains(p))
            .cloned()
            .collect();
        let vault = self.cfg.vault.vault;
        let new: Vec<DetectedPool> = self.journal.batch(|j| {
            let mut v = Vec::new();
            for (p, slot, t) in found {
                if j.record_pool(&p, slot, t)? {
                    v.push(p);
                }
            }
            for p in &changed {
                j.set_feed_position(&vault, p)?;
            }
            Ok(v)
        })?;
        self.feed_saved = positions;
        self.stats.pools_seen += new.len() as u64;
        let mut queue = std::mem::take(&mut self.retry);
        queue.extend(new.into_iter().map(|p| (p, 0)));
        let mut queue = queue.into_iter();
        while let Some((pool, failed)) = queue.next() {
            let e = match self.assess(chain, pool.clone()).await {
                Ok((assessed, now)) => {
                    if let Err(e) = self.act(chain, assessed, now).await {
                        self.retry.extend(queue);
                        return Err(e);
                    }
                    continue;
                }
                Err(e) => e,
            };
            // A journaled pool is never dropped on an error: it waits for the next tick,
            // and so does everything after it, until it has failed EVALUATION_TRIES times.
            if failed + 1 < EVALUATION_TRIES {
                self.retry.push((pool, failed + 1));
                self.retry.extend(queue);
                return Err(e);
            }
            let now = match chain.now().await {
                Ok(now) => now,
                Err(_) => {
                    self.retry.push((pool, failed));
                    self.retry.extend(queue);
                    return Err(e);
                }
            };
            tracing::warn!(
                "pool {} could not be evaluated {EVALUATION_TRIES} times; skipping it: {e:#}",
                pool.pool
            );
            self.stats.entries_skipped += 1;
            *self.stats.skips.entry(SkipReason::Unreadable).or_default() += 1;
            self.journal.record_decision(
                now,
                Some(&pool.pool),
                None,
                "skip",
                &format!("not evaluated after {EVALUATION_TRIES} tries: {e:#}"),
                None,
            )?;
        }
        Ok(())
    }

    /// Scores one pool and decides on it (without sending anything).
    pub async fn evaluate<C: Chain>(
        &mut self,
        chain: &mut C,
        pool: DetectedPool,
        book: &Book,
    ) -> Result<Evaluation> {
        let quote = self.cfg.vault.base_mint;
        let probe = self.cfg.probe_quote_account.map(|quote_account| Probe {
            wallet: self.exec.signer.pubkey(),
            quote_account,
        });
        let g = gather::gather(chain, &pool, &quote, probe.as_ref()).await?;
        let report = score::score(&g.inputs, &self.cfg.weights);
        let (decision, market) = match &g.pool {
            None => (
                Entry::Skip(
                    SkipReason::NotTradeable,
                    "not a pool the vault can trade against its base token".into(),
                ),
                None,
            ),
            Some(ps) => {
                let reserves = ps.reserves(&g.token).unwrap_or((0, 0));
                (
                    strategy::entry(&self.cfg.preset, &report, reserves, ps.state.fee_bps, book),
                    ps.market(&g.token),
                )
            }
        };
        Ok(Evaluation {
            pool,
            token: g.token,
            report,
            decision,
            market,
        })
    }

    fn book(&self) -> Book {
        let v = self.vault_state.as_ref();
        Book {
            open_positions: v.map(|v| v.open_positions).unwrap_or(0),
            total_exposure: v.map(|v| v.total_exposure).unwrap_or(0),
            idle: v
                .map(|v| v.idle_assets.saturating_sub(v.pending_withdraw_value))
                .unwrap_or(0),
            in_flight: self.in_flight.len() as u16,
            trading_allowed: v.is_some_and(|v| {
                !v.breaker.tripped
                    && !v.config.trading_paused
                    && !v.risk.reduce_only
                    && !v.emergency_deleverage
            }),
        }
    }

    /// Scores a pool and journals the score: everything before a decision, so a failure
    /// here can be retried without deciding twice. Returns the evaluation and the time.
    async fn assess<C: Chain>(
        &mut self,
        chain: &mut C,
        pool: DetectedPool,
    ) -> Result<(Evaluation, i64)> {
        self.read_vault(chain).await?;
        let book = self.book();
        let e = self.evaluate(chain, pool, &book).await?;
        let now = chain.now().await?;
        self.journal
            .record_score(&e.pool.pool, &e.token, &e.report, now)?;
        self.stats.pools_scored += 1;
        self.stats.scores.push((e.token, e.report.score));
        Ok((e, now))
    }

    /// Journals the decision on an assessed pool and, for a buy, sends the order. The
    /// decision is written first: an error after it is never retried (the order, if one was
    /// journaled, is followed like any other), so a pool is never bought twice.
    async fn act<C: Chain>(&mut self, chain: &mut C, e: Evaluation, now: i64) -> Result<()> {
        let (amount, min_out) = match &e.decision {
            Entry::Skip(reason, why) => {
                self.stats.entries_skipped += 1;
                *self.stats.skips.entry(*reason).or_default() += 1;
                self.journal.record_decision(
                    now,
                    Some(&e.pool.pool),
                    Some(&e.token),
                    "skip",
                    why,
                    None,
                )?;
                return Ok(());
            }
            Entry::Buy { amount, min_out } => (*amount, *min_out),
        };
        let Some(market) = e.market else {
            return Ok(());
        };
        let decision_id = self.journal.record_decision(
            now,
            Some(&e.pool.pool),
            Some(&e.token),
            "buy",
            &format!("score {}", e.report.score),
            Some(amount),
        )?;
        let order_id = self.take_order_id();
        let ix = client::open_position(
            &self.cfg.vault,
            &self.keeper_key(),
            &market,
            OpenPositionArgs {
                order_id,
                amount_in: amount,
                min_out,
                safety_score: e.report.score,
                plan: None,
            },
        );
        self.submit(
            chain,
            InFlight {
                order_id,
                kind: "buy",
                mint: Some(e.token),
                market: Some(market),
                score: e.report.score,
                pool: Some(e.pool.clone()),
            },
            vec![ix],
            (amount, min_out),
            Some(decision_id),
            &[],
        )
        .await
    }

    async fn loop_open<C: Chain>(&mut self, chain: &mut C) -> Result<bool> {
        let Some(l) = &self.cfg.leverage else {
            return Ok(false);
        };
        let key = l.keys.leverage_loop();
        Ok(crate::chain::account(chain, &key)
            .await?
            .and_then(|a| vault::state::LeverageLoop::try_deserialize(&mut a.data.as_slice()).ok())
            .is_some_and(|l| l.is_open()))
    }

    /// Reads the loop's collateral, debt and prices from the lender.
    pub async fn loop_state<C: Chain>(&mut self, chain: &mut C) -> Result<Option<LoopState>> {
        let Some(l) = self.cfg.leverage.clone() else {
            return Ok(None);
        };
        let k = &l.keys;
        let accts = chain
            .accounts(&[
                k.obligation(),
                k.collateral_reserve.reserve,
                k.collateral_reserve.oracle,
                k.borrow_reserve.reserve,
                k.borrow_reserve.oracle,
            ])
            .await?;
        fn de<T: AccountDeserialize>(a: &Option<solana_sdk::account::Account>) -> Option<T> {
            a.as_ref()
                .and_then(|a| T::try_deserialize(&mut a.data.as_slice()).ok())
        }
        use local_lender::state::{Obligation, PriceFeed, Reserve};
        let (Some(o), Some(cr), Some(cp), Some(br), Some(bp)) = (
            de::<Obligation>(&accts[0]),
            de::<Reserve>(&accts[1]),
            de::<PriceFeed>(&accts[2]),
            de::<Reserve>(&accts[3]),
            de::<PriceFeed>(&accts[4]),
        ) else {
            return Ok(None);
        };
        let now = chain.now().await?;
        let mut br = br;
        let _ = br.accrue(now);
        let debt = o.debt(&br).unwrap_or(0);
        // Collateral value in base units: amount · collateral price / base price, adjusted
        // for decimals.
        let scale = |d: u8| 10u128.pow(d as u32);
        let value = o.collateral_amount as u128 * cp.price as u128 * scale(br.decimals)
            / (bp.price.max(1) as u128 * scale(cr.decimals));
        Ok(Some(LoopState {
            collateral_amount: o.collateral_amount,
            collateral_value: value.min(u64::MAX as u128) as u64,
            threshold_bps: cr.config.liquidation_threshold_bps as u64,
            debt,
        }))
    }

    /// Opens the loop when the plan wants one and none is open; deleverages when health
    /// falls below the plan's floor.
    async fn leverage<C: Chain>(&mut self, chain: &mut C) -> Result<()> {
        let Some(l) = self.cfg.leverage.clone() else {
            return Ok(());
        };
        if self
            .in_flight
            .iter()
            .any(|f| f.kind.starts_with("leverage"))
        {
            return Ok(());
        }
        let open = self.loop_open(chain).await?;
        let now = chain.now().await?;
        let keeper = self.keeper_key();
        let sources = |amount: u64| -> Vec<FlashSource> {
            l.flash_reserves
                .iter()
                .take(1)
                .map(|(reserve, fee_bps)| FlashSource {
                    reserve: *reserve,
                    amount,
                    fee_bps: *fee_bps,
                })
                .collect()
        };
        if !open {
            let v = self.read_vault(chain).await?;
            if !self.book().trading_allowed || self.stats.leverage_loops_opened > 0 {
                return Ok(());
            }
            let capital = (v.total_assets() as u128 * l.plan.capital_bps as u128 / 10_000) as u64;
            if capital == 0 || capital > v.idle_assets {
                return Ok(());
            }
            let flash = (capital as u128 * (l.plan.leverage_x10 as u128 - 10) / 10) as u64;
            let src = sources(flash);
            let repay = lev::repay_total(&src);
            let order_id = self.take_order_id();
            let ixs = lev::open(
                &l.keys,
                &keeper,
                order_id,
                &src,
                OpenStepArgs {
                    capital,
                    min_collateral_out: 0,
                    borrow_amount: repay,
                    repay_total: repay,
                },
                BUDGET_PREFIX,
            );
            let decision_id = self.journal.record_decision(
                now,
                Some(&l.keys.market.pool.pool),
                Some(&l.keys.market.mint),
                "leverage_open",
                &format!("{}x on {capital}", l.plan.leverage_x10 as f64 / 10.0),
                Some(capital),
            )?;
            self.submit(
                chain,
                InFlight {
                    order_id,
                    kind: "leverage_open",
                    mint: None,
                    market: None,
                    score: 0,
                    pool: None,
                },
                ixs,
                (capital, 0),
                Some(decision_id),
                std::slice::from_ref(&l.table),
            )
            .await?;
            return Ok(());
        }
        let Some(state) = self.loop_state(chain).await? else {
            return Ok(());
        };
        if let LeverageAction::Deleverage { debt, collateral } = strategy::maintain(&l.plan, &state)
        {
            let src = sources(debt);
            let order_id = self.take_order_id();
            let ixs = lev::unwind(
                &l.keys,
                &keeper,
                order_id,
                &src,
                UnwindStepArgs {
                    repay_debt: debt,
                    withdraw_collateral: collateral,
                    min_base_out: 0,
                    repay_total: lev::repay_total(&src),
                },
                BUDGET_PREFIX,
            );
            let decision_id = self.journal.record_decision(
                now,
                Some(&l.keys.market.pool.pool),
                Some(&l.keys.market.mint),
                "deleverage",
                &format!("health {:.2}", state.health_bps() as f64 / 10_000.0),
                Some(debt),
            )?;
            self.submit(
                chain,
                InFlight {
                    order_id,
                    kind: "leverage_unwind",
                    mint: None,
                    market: None,
                    score: 0,
                    pool: None,
                },
                ixs,
                (debt, collateral),
                Some(decision_id),
                std::slice::from_ref(&l.table),
            )
            .await?;
        }
        Ok(())
    }

    /// Open positions the keeper is managing: `(mint, pool)`.
    pub fn holdings(&self) -> Vec<(Pubkey, Pubkey)> {
        self.holdings
            .iter()
            .map(|(m, h)| (*m, h.market.pool.pool))
            .collect()
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }
}

fn kind_name(k: &str) -> &'static str {
    match k {
        "buy" => "buy",
        "sell" => "sell",
        "leverage_open" => "leverage_open",
        "leverage_unwind" => "leverage_unwind",
        _ => "other",
    }
}

fn reason_name(r: ReduceReason) -> String {
    match r {
        ReduceReason::Discretionary => "discretionary".into(),
        ReduceReason::LadderStep(i) => format!("ladder step {i}"),
        ReduceReason::StopLoss => "stop loss".into(),
        ReduceReason::Redemption => "redemption".into(),
        ReduceReason::Close => "close".into(),
    }
}
