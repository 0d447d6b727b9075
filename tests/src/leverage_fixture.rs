//! A trading vault with a lending market beside its pool, ready for flash-loan leverage.

use crate::lender_fixture::{test_reserve_config, LenderFixture, ONE_DOLLAR};
use crate::trading_fixture::TradingVault;
use crate::{TestChain, TokenProgram, TxOutcome};
use anchor_lang::prelude::Pubkey;
use local_lender::client::ReserveKeys;
use solana_message::AddressLookupTableAccount;
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{Keypair, Signer};
use vault::client::leverage::{self, ComputeBudget, FlashSource, LoopKeys};
use vault::client::Market;
use vault::instructions::{InitializeVaultParams, OpenStepArgs, UnwindStepArgs};

pub const UNIT: u64 = 1_000_000;

pub struct LeverageSetup {
    pub tv: TradingVault,
    pub market: Market,
    pub lender: LenderFixture,
    pub base_reserve: ReserveKeys,
    pub collateral_reserve: ReserveKeys,
    pub keys: LoopKeys,
    pub table: AddressLookupTableAccount,
}

/// Every non-signer account a set of instructions uses.
pub fn table_addresses(ixs: &[Instruction]) -> Vec<Pubkey> {
    let mut v: Vec<Pubkey> = Vec::new();
    for ix in ixs {
        for k in std::iter::once(ix.program_id).chain(
            ix.accounts
                .iter()
                .filter(|m| !m.is_signer)
                .map(|m| m.pubkey),
        ) {
            if !v.contains(&k) {
                v.push(k);
            }
        }
    }
    v
}

impl LeverageSetup {
    pub fn keeper(&self) -> Keypair {
        self.tv.f.keeper.insecure_clone()
    }

    /// One flash loan of `amount` from the market's base reserve.
    pub fn flash(&self, amount: u64) -> Vec<FlashSource> {
        vec![FlashSource {
            reserve: self.base_reserve,
            amount,
            fee_bps: test_reserve_config().flash_fee_bps,
        }]
    }

    /// Opening instructions for `capital` at leverage `lev_x10 / 10` with one flash lender.
    pub fn open_ixs(&self, actor: &Pubkey, capital: u64, lev_x10: u64) -> Vec<Instruction> {
        let flash = capital * (lev_x10 - 10) / 10;
        self.open_ixs_with(actor, capital, &self.flash(flash))
    }

    pub fn open_ixs_with(
        &self,
        actor: &Pubkey,
        capital: u64,
        sources: &[FlashSource],
    ) -> Vec<Instruction> {
        let repay = leverage::repay_total(sources);
        leverage::open(
            &self.keys,
            actor,
            crate::next_order_id(),
            sources,
            OpenStepArgs {
                capital,
                min_collateral_out: 0,
                borrow_amount: repay,
                repay_total: repay,
            },
            ComputeBudget {
                unit_limit: Some(1_400_000),
                unit_price_micro_lamports: Some(1_000),
            },
        )
    }

    /// Unwinding instructions that repay `debt` with a flash loan and sell `collateral`.
    pub fn unwind_ixs(&self, actor: &Pubkey, debt: u64, collateral: u64) -> Vec<Instruction> {
        let sources = self.flash(debt);
        leverage::unwind(
            &self.keys,
            actor,
            crate::next_order_id(),
            &sources,
            UnwindStepArgs {
                repay_debt: debt,
                withdraw_collateral: collateral,
                min_base_out: 0,
                repay_total: leverage::repay_total(&sources),
            },
            ComputeBudget {
                unit_limit: Some(1_400_000),
                unit_price_micro_lamports: None,
            },
        )
    }
}

impl TestChain {
    /// A vault with `deposit` base units, a deep 1:1 pool of a new token, and a lending
    /// market with 1,000 units of base liquidity and the token as collateral, both at $1.
    pub async fn leverage_setup(
        &mut self,
        deposit: u64,
        tweak: impl FnOnce(&mut InitializeVaultParams),
    ) -> LeverageSetup {
        let tv = self.trading_vault(deposit, tweak).await;
        let market = self.market(&tv, 2_000 * UNIT, 2_000 * UNIT, 30).await;
        let lender = self.lending_market(0).await;
        let base_reserve = self
            .reserve(
                &lender,
                &tv.f.keys.base_mint,
                TokenProgram::Spl,
                test_reserve_config(),
                ONE_DOLLAR,
                1_000 * UNIT,
            )
            .await;
        let collateral_reserve = self
            .reserve(
                &lender,
                &market.mint,
                TokenProgram::Spl,
                test_reserve_config(),
                ONE_DOLLAR,
                0,
            )
            .await;
        let keys = LoopKeys {
            vault: tv.f.keys,
            market,
            lender_market: lender.market,
            collateral_reserve,
            borrow_reserve: base_reserve,
        };
        let mut s = LeverageSetup {
            tv,
            market,
            lender,
            base_reserve,
            collateral_reserve,
            keys,
            table: AddressLookupTableAccount {
                key: Pubkey::default(),
                addresses: vec![],
            },
        };
        let keeper = s.keeper().pubkey();
        let mut addresses = table_addresses(&s.open_ixs(&keeper, UNIT, 20));
        addresses.extend(table_addresses(&s.unwind_ixs(&keeper, UNIT, UNIT)));
        addresses.sort();
        addresses.dedup();
        s.table = self.lookup_table(addresses).await;
        s
    }

    /// Sends leverage instructions as a v0 transaction through the setup's lookup table,
    /// signed by `actor`.
    pub async fn send_leverage(
        &mut self,
        s: &LeverageSetup,
        ixs: &[Instruction],
        actor: &Keypair,
    ) -> (TxOutcome, usize) {
        let table = s.table.clone();
        self.send_v0(ixs, &[actor], &[table]).await
    }

    /// Publishes both reserves' prices again (after clock warps).
    pub async fn refresh_prices(&mut self, s: &LeverageSetup, collateral_price: u64) {
        self.set_price(&s.lender, &s.base_reserve, ONE_DOLLAR)
            .await
            .unwrap();
        self.set_price(&s.lender, &s.collateral_reserve, collateral_price)
            .await
            .unwrap();
    }

    /// A `mark_nav` covering the loop.
    pub async fn mark_loop(&mut self, s: &LeverageSetup) -> TxOutcome {
        let mut ix = vault::client::mark_nav(&s.tv.f.keys, &[]);
        leverage::push_mark(&mut ix, &s.keys);
        self.send(&[ix], &[]).await
    }
}
