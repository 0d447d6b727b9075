//! Execution: build a transaction with a compute budget and a priority fee, simulate it,
//! journal it, send it, and follow it until it lands or provably cannot.
//!
//! Never twice: an order's signed bytes are journaled before they are sent; until its
//! blockhash expires the executor only rebroadcasts those same bytes (one signature, which
//! the cluster executes at most once); after expiry the order can no longer land, and only
//! then may the strategy decide again — under a new order id. The vault refuses any order id
//! at or below the last it executed, so even a second keeper replaying the journal cannot
//! trade twice.

use crate::chain::{Chain, Landed, RecentBlockhash, TxFailure};
use crate::jito::{is_tipped, Jito, JitoConfig};
use crate::journal::{Journal, OrderRow, OrderStatus};
use anyhow::{anyhow, Result};
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_message::{v0, AddressLookupTableAccount, VersionedMessage};
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::VersionedTransaction;
use std::str::FromStr;

/// Execution settings.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ExecConfig {
    /// Percentile of recent priority fees to pay.
    pub priority_percentile: u8,
    /// Lowest and highest compute-unit price paid (micro-lamports).
    pub min_priority_fee: u64,
    pub max_priority_fee: u64,
    /// Compute-unit limit headroom over the simulated consumption, percent.
    pub unit_headroom_pct: u32,
    /// Simulate and journal but never send.
    pub dry_run: bool,
    /// Send orders as tipped bundles through a Jito block engine.
    pub jito: Option<JitoConfig>,
}

impl Default for ExecConfig {
    fn default() -> Self {
        Self {
            priority_percentile: 75,
            min_priority_fee: 1_000,
            max_priority_fee: 2_000_000,
            unit_headroom_pct: 20,
            dry_run: false,
            jito: None,
        }
    }
}

/// The value at `pct` (0..=100) of `v` (nearest rank; 0 when empty).
pub fn percentile(v: &mut [u64], pct: u8) -> u64 {
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    let rank = (pct.min(100) as usize * (v.len() - 1) + 50) / 100;
    v[rank]
}

/// What became of an order.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Landed and succeeded; the log carries the vault's fill event.
    Filled(Landed),
    /// Landed and failed.
    Rejected(Landed, TxFailure),
    /// Its blockhash expired before it landed; it never will.
    Expired,
    /// Still in flight.
    Pending,
    /// The simulation failed: nothing was sent.
    SimulationFailed(TxFailure),
    /// Dry run: simulated only.
    DryRun,
}

/// An order to execute: the vault instructions (without compute-budget instructions).
pub struct Order<'a> {
    pub order_id: u64,
    pub kind: &'a str,
    pub mint: Option<Pubkey>,
    pub amount: u64,
    pub min_out: u64,
    pub ixs: Vec<Instruction>,
    pub tables: &'a [AddressLookupTableAccount],
}

/// Builds and signs a v0 transaction paid by `signer`.
pub fn sign(
    signer: &Keypair,
    ixs: &[Instruction],
    tables: &[AddressLookupTableAccount],
    blockhash: &RecentBlockhash,
) -> Result<VersionedTransaction> {
    let msg = compile(&signer.pubkey(), ixs, tables, blockhash)?;
    VersionedTransaction::try_new(VersionedMessage::V0(msg), &[signer])
        .map_err(|e| anyhow!("signing: {e}"))
}

fn compile(
    payer: &Pubkey,
    ixs: &[Instruction],
    tables: &[AddressLookupTableAccount],
    blockhash: &RecentBlockhash,
) -> Result<v0::Message> {
    v0::Message::try_compile(payer, ixs, tables, blockhash.hash)
        .map_err(|e| anyhow!("compiling the message: {e}"))
}

/// Compiles `ixs` like [`sign`] but leaves the signatures empty: for simulations only, which
/// run with signature verification off (the RPC default, and what the embedded bank does), so
/// a probe costs no signing and needs no key.
pub fn unsigned(
    payer: &Pubkey,
    ixs: &[Instruction],
    tables: &[AddressLookupTableAccount],
    blockhash: &RecentBlockhash,
) -> Result<VersionedTransaction> {
    let msg = compile(payer, ixs, tables, blockhash)?;
    Ok(VersionedTransaction {
        signatures: vec![Signature::default(); msg.header.num_required_signatures as usize],
        message: VersionedMessage::V0(msg),
    })
}

/// `[unit limit, unit price, ixs..]`: any compute-budget instructions leading `ixs` are
/// replaced. Instructions that name other instructions by index (flash loans) are built with
/// a two-instruction budget prefix, which this keeps in place, so their indices stay right.
pub fn with_budget(ixs: &[Instruction], unit_limit: u32, unit_price: u64) -> Vec<Instruction> {
    let skip = ixs
        .iter()
        .take_while(|ix| ix.program_id == solana_compute_budget_interface::ID)
        .count();
    let mut v = Vec::with_capacity(ixs.len() - skip + 2);
    v.push(ComputeBudgetInstruction::set_compute_unit_limit(unit_limit));
    v.push(ComputeBudgetInstruction::set_compute_unit_price(unit_price));
    v.extend_from_slice(&ixs[skip..]);
    v
}

fn writable(ixs: &[Instruction]) -> Vec<Pubkey> {
    let mut v: Vec<Pubkey> = ixs
        .iter()
        .flat_map(|ix| {
            ix.accounts
                .iter()
                .filter(|m| m.is_writable)
                .map(|m| m.pubkey)
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

pub struct Executor {
    pub cfg: ExecConfig,
    pub signer: Keypair,
    /// The block engine orders go through, when configured.
    pub jito: Option<Jito>,
}

impl Executor {
    pub fn new(cfg: ExecConfig, signer: Keypair) -> Self {
        let jito = cfg.jito.clone().and_then(|c| match Jito::new(c) {
            Ok(j) => Some(j),
            Err(e) => {
                tracing::warn!("orders go through RPC only: {e:#}");
                None
            }
        });
        Self { cfg, signer, jito }
    }

    /// Hands a signed transaction to the cluster: a tipped one as a bundle through the block
    /// engine (falling back to the RPC endpoints if the engine cannot be reached: the tip is a
    /// plain transfer, valid either way), anything else to the RPC endpoints.
    async fn broadcast<C: Chain>(&self, chain: &mut C, tx: &VersionedTransaction) -> Result<()> {
        if let Some(j) = self.jito.as_ref().filter(|_| is_tipped(tx)) {
            match j.send(tx).await {
                Ok(_) => return Ok(()),
                Err(e) => tracing::warn!("{e:#}; sending {} by RPC", tx.signatures[0]),
            }
        }
        chain.send(tx).await.map(|_| ())
    }

    /// The compute-unit price to pay now.
    pub async fn unit_price<C: Chain>(&self, chain: &mut C, ixs: &[Instruction]) -> Result<u64> {
        let seen = chain
            .priority_fee(&writable(ixs), self.cfg.priority_percentile)
            .await?;
        Ok(seen.clamp(self.cfg.min_priority_fee, self.cfg.max_priority_fee))
    }

    /// Simulates `ixs` at the maximum compute limit and returns a signed transaction whose
    /// limit is the consumption plus headroom, or the simulation's failure.
    pub async fn prepare<C: Chain>(
        &self,
        chain: &mut C,
        ixs: &[Instruction],
        tables: &[AddressLookupTableAccount],
    ) -> Result<Result<(VersionedTransaction, RecentBlockhash), (TxFailure, Vec<String>)>> {
        self.prepare_with(chain, ixs, tables, false).await
    }

    /// [`Self::prepare`]; with `tip` and a block engine configured, the transaction ends with
    /// the tip transfer, so the simulation and the journaled bytes include it.
    async fn prepare_with<C: Chain>(
        &self,
        chain: &mut C,
        ixs: &[Instruction],
        tables: &[AddressLookupTableAccount],
        tip: bool,
    ) -> Result<Result<(VersionedTransaction, RecentBlockhash), (TxFailure, Vec<String>)>> {
        let mut tipped;
        let ixs = match self.jito.as_ref().filter(|_| tip) {
            Some(j) => {
                tipped = ixs.to_vec();
                tipped.push(j.tip_instruction(&self.signer.pubkey(), j.tip().await));
                &tipped[..]
            }
            None => ixs,
        };
        let price = self.unit_price(chain, ixs).await?;
        let bh = chain.latest_blockhash().await?;
        let probe = sign(
            &self.signer,
            &with_budget(ixs, 1_400_000, price),
            tables,
            &bh,
        )?;
        let sim = chain.simulate(&probe).await?;
        if let Some(err) = sim.err {
            return Ok(Err((err, sim.logs)));
        }
        let limit = (sim.units as u128 * (100 + self.cfg.unit_headroom_pct as u128) / 100)
            .clamp(10_000, 1_400_000) as u32;
        let tx = sign(&self.signer, &with_budget(ixs, limit, price), tables, &bh)?;
        Ok(Ok((tx, bh)))
    }

    /// Simulates, journals and sends an order. The journal row is written before the send.
    pub async fn submit<C: Chain>(
        &self,
        chain: &mut C,
        journal: &Journal,
        order: Order<'_>,
        decision_id: Option<i64>,
    ) -> Result<Outcome> {
        let now = chain.now().await?;
        let (tx, bh) = match self
            .prepare_with(chain, &order.ixs, order.tables, true)
            .await?
        {
            Ok(v) => v,
            Err((failure, _logs)) => {
                journal.record_order(
                    &OrderRow {
                        order_id: order.order_id,
                        kind: order.kind.to_string(),
                        mint: order.mint,
                        amount: order.amount,
                        min_out: order.min_out,
                        signature: String::new(),
                        tx: Vec::new(),
                        last_valid_height: 0,
                    },
                    decision_id,
                    now,
                )?;
                journal.set_order_status(
                    order.order_id,
                    OrderStatus::SimulationFailed,
                    Some(&failure.reason()),
                    now,
                )?;
                return Ok(Outcome::SimulationFailed(failure));
            }
        };
        let row = OrderRow {
            order_id: order.order_id,
            kind: order.kind.to_string(),
            mint: order.mint,
            amount: order.amount,
            min_out: order.min_out,
            signature: tx.signatures[0].to_string(),
            tx: flashforge_tests::versioned_bytes(&tx),
            last_valid_height: bh.last_valid_height,
        };
        journal.record_order(&row, decision_id, now)?;
        if self.cfg.dry_run {
            journal.set_order_status(
                order.order_id,
                OrderStatus::Expired,
                Some("dry run: simulated, not sent"),
                now,
            )?;
            return Ok(Outcome::DryRun);
        }
        self.broadcast(chain, &tx).await?;
        self.check(chain, journal, &row).await
    }

    /// Where a journaled order stands now; rebroadcasts it while it can still land and
    /// records the outcome once known.
    pub async fn check<C: Chain>(
        &self,
        chain: &mut C,
        journal: &Journal,
        row: &OrderRow,
    ) -> Result<Outcome> {
        let sig = Signature::from_str(&row.signature)
            .map_err(|e| anyhow!("order {}: bad signature in journal: {e}", row.order_id))?;
        let now = chain.now().await?;
        let mut landed = chain.status(&sig).await?;
        let expired = landed.is_none() && chain.block_height().await? > row.last_valid_height;
        if expired {
            // One more look: it may have landed in the last valid block.
            landed = chain.status(&sig).await?;
        }
        match landed {
            Some(l) => match l.err.clone() {
                None => {
                    journal.set_order_status(row.order_id, OrderStatus::Filled, None, now)?;
                    return Ok(Outcome::Filled(l));
                }
                Some(f) => {
                    journal.set_order_status(
                        row.order_id,
                        OrderStatus::Rejected,
                        Some(&f.reason()),
                        now,
                    )?;
                    return Ok(Outcome::Rejected(l, f));
                }
            },
            None if expired => {
                journal.set_order_status(
                    row.order_id,
                    OrderStatus::Expired,
                    Some("blockhash expired"),
                    now,
                )?;
                return Ok(Outcome::Expired);
            }
            None => {}
        }
        let tx: VersionedTransaction = parse_signed(&row.tx)?;
        self.broadcast(chain, &tx).await?;
        Ok(Outcome::Pending)
    }

    /// Follows every open order of the journal (on start-up: the orders a killed keeper left
    /// in flight). Returns each with its outcome.
    pub async fn follow_open<C: Chain>(
        &self,
        chain: &mut C,
        journal: &Journal,
    ) -> Result<Vec<(OrderRow, Outcome)>> {
        let mut out = Vec::new();
        for row in journal.open_orders()? {
            let o = self.check(chain, journal, &row).await?;
            out.push((row, o));
        }
        Ok(out)
    }

    /// Sends a transaction that carries no order (a permissionless crank such as a NAV mark):
    /// simulate, send, and wait a few slots for it. Returns the failure if it failed.
    pub async fn crank<C: Chain>(
        &self,
        chain: &mut C,
        ixs: &[Instruction],
        tables: &[AddressLookupTableAccount],
    ) -> Result<Result<Landed, TxFailure>> {
        let (tx, bh) = match self.prepare(chain, ixs, tables).await? {
            Ok(v) => v,
            Err((f, _)) => return Ok(Err(f)),
        };
        if self.cfg.dry_run {
            return Ok(Err(TxFailure::other("dry run")));
        }
        let sig = chain.send(&tx).await?;
        loop {
            if let Some(l) = chain.status(&sig).await? {
                return Ok(match l.err.clone() {
                    None => Ok(l),
                    Some(f) => Err(f),
                });
            }
            if chain.block_height().await? > bh.last_valid_height {
                return Ok(Err(TxFailure::other(
                    "blockhash expired before the transaction landed",
                )));
            }
            chain.pause().await?;
            chain.send(&tx).await?;
        }
    }
}

/// Parses wire bytes back into a transaction.
pub fn parse_signed(bytes: &[u8]) -> Result<VersionedTransaction> {
    bincode::deserialize(bytes).map_err(|e| anyhow!("journaled transaction: {e}"))
}
