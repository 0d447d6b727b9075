//! A leveraged position: collateral in a lender obligation owned by the vault, debt in the
//! base mint, built and unwound atomically with flash loans.

use super::Vault;
use crate::error::VaultError;
use crate::math::{add, sub};
use anchor_lang::prelude::*;

#[account]
#[derive(InitSpace, Debug)]
pub struct LeverageLoop {
    pub version: u8,
    pub bump: u8,
    pub vault: Pubkey,
    pub collateral_mint: Pubkey,
    pub collateral_token_program: Pubkey,
    /// Vault-owned account that holds collateral between the swap and the deposit.
    pub token_account: Pubkey,
    /// Venue and pool the collateral is bought and sold in.
    pub venue: Pubkey,
    pub pool: Pubkey,
    /// Lender program, market and the vault's obligation there.
    pub lender: Pubkey,
    pub market: Pubkey,
    pub obligation: Pubkey,
    pub obligation_seed: u64,
    pub collateral_reserve: Pubkey,
    pub borrow_reserve: Pubkey,
    /// Base units of the vault's own capital in the loop (reduced in proportion on unwinds).
    pub capital: u64,
    /// Notional counted against the vault's exposure limits (collateral exit value at the
    /// latest leverage transaction).
    pub exposure: u64,
    /// Collateral and debt as of the latest sync with the obligation.
    pub collateral_amount: u64,
    pub debt: u64,
    /// Exit value of the collateral (latest mark, and latest from an earlier slot).
    pub mark_value: u64,
    pub prior_mark_value: u64,
    pub mark_slot: u64,
    pub marked_round: u64,
    /// Health factor (bps) at the latest check, and whether it was below the vault minimum.
    pub health_bps: u64,
    pub flagged: bool,
    pub realized_pnl: i64,
    pub opened_at: i64,
    pub last_update: i64,
}

impl LeverageLoop {
    pub fn is_open(&self) -> bool {
        self.collateral_amount > 0 || self.debt > 0
    }

    /// `(low, high)` contribution to NAV: collateral at each mark less the debt, never below
    /// zero (the vault's loss is limited to what it put in).
    pub fn contribution(&self) -> (u64, u64) {
        if !self.is_open() {
            return (0, 0);
        }
        let low = self
            .mark_value
            .min(self.prior_mark_value)
            .saturating_sub(self.debt);
        let high = self
            .mark_value
            .max(self.prior_mark_value)
            .saturating_sub(self.debt);
        (low, high)
    }

    /// Records the obligation's state and a new collateral exit value taken in `slot`. The
    /// prior mark is rescaled when the collateral amount changed, as for plain positions.
    pub fn resync(&mut self, collateral: u64, debt: u64, exit_value: u64, slot: u64) -> Result<()> {
        if slot > self.mark_slot {
            self.prior_mark_value = self.mark_value;
        }
        if collateral != self.collateral_amount {
            self.prior_mark_value = if self.collateral_amount == 0 {
                exit_value
            } else {
                crate::math::mul_div_floor(
                    self.prior_mark_value,
                    collateral,
                    self.collateral_amount,
                )?
            };
        }
        self.collateral_amount = collateral;
        self.debt = debt;
        self.mark_value = exit_value;
        self.mark_slot = slot;
        Ok(())
    }
}

/// What an in-flight leverage transaction is doing.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum FlightKind {
    Open,
    Unwind,
}

/// State of a leverage transaction between `leverage_begin` and `leverage_end`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct Flight {
    pub active: bool,
    pub kind: FlightKind,
    pub leverage_loop: Pubkey,
    /// Who is running it (keeper, or a guardian for unwinds).
    pub actor: Pubkey,
    /// The vault's base-token balance when the transaction began.
    pub begin_balance: u64,
    /// The balance the step computed it must end at; any other balance means the delegate
    /// approval was used for something other than the flash repay.
    pub expected_end_balance: u64,
    pub step_done: bool,
    /// Own capital committed (open) or base units released to idle (unwind), for booking.
    pub capital_delta: i64,
}

impl Default for Flight {
    fn default() -> Self {
        Self {
            active: false,
            kind: FlightKind::Open,
            leverage_loop: Pubkey::default(),
            actor: Pubkey::default(),
            begin_balance: 0,
            expected_end_balance: 0,
            step_done: false,
            capital_delta: 0,
        }
    }
}

impl Vault {
    /// Refuses every share-changing or trading operation while a leverage transaction is in
    /// flight.
    pub fn require_not_in_flight(&self) -> Result<()> {
        require!(!self.flight.active, VaultError::LeverageInFlight);
        Ok(())
    }

    /// Replaces a loop's NAV contribution.
    pub fn swap_loop_contribution(&mut self, old: (u64, u64), new: (u64, u64)) -> Result<()> {
        self.positions_value_low = add(sub(self.positions_value_low, old.0)?, new.0)?;
        self.positions_value_high = add(sub(self.positions_value_high, old.1)?, new.1)?;
        Ok(())
    }
}
