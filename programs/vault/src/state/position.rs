//! A position: tokens of one mint the vault bought through one pool, with its cost, exit plan
//! and marks.

use super::Vault;
use crate::constants::*;
use crate::error::VaultError;
use crate::math::{add, mul_div_floor, sub};
use anchor_lang::prelude::*;

/// One take-profit step: sell `sell_bps` of the position once it is worth `multiple_bps` of
/// its cost (2x is 20,000).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct LadderStep {
    pub multiple_bps: u32,
    pub sell_bps: u16,
    pub done: bool,
}

/// The exit plan recorded at entry.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct ExitPlan {
    pub ladder: [LadderStep; 3],
    /// The position may be cut once worth at most this share of its cost (5,000 = half).
    pub stop_loss_bps: u16,
}

impl Default for ExitPlan {
    /// The seed plan: 30% / 30% / 40% at 2x / 5x / 10x, stop at half the cost.
    fn default() -> Self {
        let step = |(m, s): (u32, u16)| LadderStep {
            multiple_bps: m,
            sell_bps: s,
            done: false,
        };
        Self {
            ladder: DEFAULT_LADDER.map(step),
            stop_loss_bps: DEFAULT_STOP_LOSS_BPS,
        }
    }
}

impl ExitPlan {
    /// Multiples rise above 1x, fractions total at most 100%, the stop is below 1x, and no
    /// step starts out done.
    pub fn validate(&self) -> Result<()> {
        let mut last = BPS_DENOMINATOR as u32;
        let mut total = 0u32;
        for s in &self.ladder {
            require!(
                s.multiple_bps > last && !s.done && s.sell_bps > 0,
                VaultError::InvalidExitPlan
            );
            last = s.multiple_bps;
            total += s.sell_bps as u32;
        }
        require!(
            total <= BPS_DENOMINATOR as u32 && (self.stop_loss_bps as u64) < BPS_DENOMINATOR,
            VaultError::InvalidExitPlan
        );
        Ok(())
    }
}

/// Why the keeper (or a redemption crank) sold.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceReason {
    /// The keeper's judgment; always allowed, reducing risk is never refused.
    Discretionary,
    /// Take-profit step 0, 1 or 2 of the exit plan; checked against the plan.
    LadderStep(u8),
    /// The stop loss; checked against the plan.
    StopLoss,
    /// Paying a matured redemption.
    Redemption,
    /// Selling everything before closing the position.
    Close,
}

#[account]
#[derive(InitSpace, Debug)]
pub struct Position {
    pub version: u8,
    pub bump: u8,
    pub token_account_bump: u8,
    pub vault: Pubkey,
    pub mint: Pubkey,
    pub token_program: Pubkey,
    /// Vault-owned token account holding the position (PDA).
    pub token_account: Pubkey,
    /// Venue program and pool the position trades through.
    pub venue: Pubkey,
    pub pool: Pubkey,
    /// Tokens held, as booked (what the vault actually received).
    pub amount: u64,
    /// Amount the ladder's fractions refer to: the holding after the latest buy.
    pub ladder_base: u64,
    /// Base units paid for the tokens still held (reduced in proportion on every sale).
    pub cost_basis: u64,
    /// Realized profit and loss of this position, base units.
    pub realized_pnl: i64,
    /// Safety score the keeper attested at the latest buy.
    pub safety_score: u8,
    pub opened_at: i64,
    pub last_trade_at: i64,
    pub plan: ExitPlan,
    /// Latest exit value (what selling `amount` into the pool returned when marked).
    pub mark_value: u64,
    pub mark_slot: u64,
    /// The latest mark taken in a slot before `mark_slot` (rescaled to `amount`). Together
    /// with `mark_value` it bounds the position's value: one transaction can move a pool and
    /// mark it, but cannot touch a mark from an earlier slot.
    pub prior_mark_value: u64,
    /// `mark_nav` round in which the position was last marked.
    pub marked_round: u64,
    pub total_bought: u64,
    pub total_sold: u64,
}

impl Position {
    /// `(low, high)` contribution to NAV.
    pub fn contribution(&self) -> (u64, u64) {
        if self.amount == 0 {
            return (0, 0);
        }
        (
            self.mark_value.min(self.prior_mark_value),
            self.mark_value.max(self.prior_mark_value),
        )
    }

    /// Records a new exit value `value` for the current `amount`, taken in `slot`.
    pub fn remark(&mut self, value: u64, slot: u64) {
        if slot > self.mark_slot {
            self.prior_mark_value = self.mark_value;
        }
        self.mark_value = value;
        self.mark_slot = slot;
    }

    /// Rescales the prior mark when the holding changes from `old_amount` to `self.amount`,
    /// so both marks value the same number of tokens.
    pub fn rescale_prior(&mut self, old_amount: u64) -> Result<()> {
        self.prior_mark_value = if old_amount == 0 {
            0
        } else {
            mul_div_floor(self.prior_mark_value, self.amount, old_amount)?
        };
        Ok(())
    }

    /// The position's value now as a multiple of its cost, in basis points.
    fn multiple_bps(&self, value_now: u64) -> u128 {
        if self.cost_basis == 0 {
            return u128::MAX;
        }
        value_now as u128 * BPS_DENOMINATOR as u128 / self.cost_basis as u128
    }

    /// Checks a sale of `amount` for `reason` against the exit plan, given what the whole
    /// position would fetch now (`value_now`), and marks a ladder step taken.
    pub fn check_reason(
        &mut self,
        reason: ReduceReason,
        amount: u64,
        value_now: u64,
    ) -> Result<()> {
        match reason {
            ReduceReason::LadderStep(i) => {
                let i = i as usize;
                let step = *self.plan.ladder.get(i).ok_or(VaultError::InvalidExitPlan)?;
                require!(!step.done, VaultError::LadderStepTaken);
                require!(
                    self.multiple_bps(value_now) >= step.multiple_bps as u128,
                    VaultError::LadderNotReached
                );
                let allowed =
                    mul_div_floor(self.ladder_base, step.sell_bps as u64, BPS_DENOMINATOR)?;
                let last_open = self.plan.ladder.iter().filter(|s| !s.done).count() == 1;
                let allowed = if last_open {
                    self.amount
                } else {
                    allowed.min(self.amount)
                };
                require!(amount <= allowed, VaultError::LadderAmountExceeded);
                self.plan.ladder[i].done = true;
            }
            ReduceReason::StopLoss => {
                require!(
                    self.multiple_bps(value_now) <= self.plan.stop_loss_bps as u128,
                    VaultError::StopNotReached
                );
            }
            ReduceReason::Discretionary | ReduceReason::Redemption | ReduceReason::Close => {}
        }
        Ok(())
    }
}

/// What a fill changed, for events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillBook {
    pub tokens_before: u64,
    pub cost_before: u64,
    pub realized: i64,
}

impl Vault {
    fn swap_contribution(&mut self, old: (u64, u64), new: (u64, u64)) -> Result<()> {
        self.positions_value_low = add(sub(self.positions_value_low, old.0)?, new.0)?;
        self.positions_value_high = add(sub(self.positions_value_high, old.1)?, new.1)?;
        Ok(())
    }

    /// Counts a position or loop as marked in the current round. A round completes when every
    /// open position has been marked in it; its start time is then the vault's NAV
    /// freshness. A new round starts when the last one completed, or when the current one is
    /// already too old to ever give a fresh NAV.
    pub fn note_marked_round(&mut self, marked_round: &mut u64, is_open: bool, now: i64) {
        let round_too_old =
            now.saturating_sub(self.round_started_at) > self.risk.max_mark_age_seconds as i64;
        if self.round_remaining == 0 || round_too_old {
            self.mark_round += 1;
            self.round_remaining = self.open_positions;
            self.round_started_at = now;
        }
        if *marked_round != self.mark_round && is_open {
            *marked_round = self.mark_round;
            self.round_remaining = self.round_remaining.saturating_sub(1);
        }
        if self.round_remaining == 0 {
            self.last_full_mark_at = self.round_started_at;
        }
    }

    /// A position or loop that was still owed a mark in this round has closed.
    pub fn note_closed(&mut self, marked_round: u64) {
        if marked_round != self.mark_round && self.round_remaining > 0 {
            self.round_remaining -= 1;
            if self.round_remaining == 0 {
                self.last_full_mark_at = self.round_started_at;
            }
        }
    }

    pub fn note_marked(&mut self, p: &mut Position, now: i64) {
        let open = p.amount > 0;
        self.note_marked_round(&mut p.marked_round, open, now);
    }

    /// Re-marks a position at exit value `value` (for its current amount) in `slot`.
    pub fn mark_position(
        &mut self,
        p: &mut Position,
        value: u64,
        slot: u64,
        now: i64,
    ) -> Result<()> {
        let old = p.contribution();
        p.remark(value, slot);
        self.swap_contribution(old, p.contribution())?;
        self.note_marked(p, now);
        Ok(())
    }

    /// Books a buy: `spent` base units for `received` tokens; `value_after` is what the whole
    /// holding would fetch now. Opens the position if it was empty.
    pub fn book_buy(
        &mut self,
        p: &mut Position,
        spent: u64,
        received: u64,
        value_after: u64,
        slot: u64,
        now: i64,
    ) -> Result<FillBook> {
        let book = FillBook {
            tokens_before: p.amount,
            cost_before: p.cost_basis,
            realized: 0,
        };
        let old = p.contribution();
        if p.amount == 0 {
            self.open_positions = self
                .open_positions
                .checked_add(1)
                .ok_or(VaultError::MathOverflow)?;
            p.opened_at = now;
            // A new position starts marked in the current round.
            p.marked_round = self.mark_round;
            p.prior_mark_value = value_after;
            p.mark_value = value_after;
            p.mark_slot = slot;
        }
        let old_amount = p.amount;
        p.amount = add(p.amount, received)?;
        p.cost_basis = add(p.cost_basis, spent)?;
        p.ladder_base = p.amount;
        p.total_bought = add(p.total_bought, spent)?;
        p.last_trade_at = now;
        if old_amount > 0 {
            p.rescale_prior(old_amount)?;
        }
        p.remark(value_after, slot);
        self.idle_assets = sub(self.idle_assets, spent)?;
        self.total_exposure = add(self.total_exposure, spent)?;
        self.swap_contribution(old, p.contribution())?;
        self.note_marked(p, now);
        Ok(book)
    }

    /// Books a sale of `sold` tokens for `received` base units; `value_after` is what the
    /// remaining holding would fetch now. The cost removed is proportional (all of it when
    /// the position empties); the difference is realized profit or loss.
    pub fn book_sell(
        &mut self,
        p: &mut Position,
        sold: u64,
        received: u64,
        value_after: u64,
        slot: u64,
        now: i64,
    ) -> Result<FillBook> {
        require!(sold <= p.amount, VaultError::InsufficientPositionTokens);
        let book = FillBook {
            tokens_before: p.amount,
            cost_before: p.cost_basis,
            realized: 0,
        };
        let old = p.contribution();
        let cost_removed = if sold == p.amount {
            p.cost_basis
        } else {
            mul_div_floor(p.cost_basis, sold, p.amount)?
        };
        let realized = (received as i128 - cost_removed as i128) as i64;
        let old_amount = p.amount;
        p.amount -= sold;
        p.cost_basis -= cost_removed;
        p.realized_pnl = p.realized_pnl.saturating_add(realized);
        p.total_sold = add(p.total_sold, received)?;
        p.last_trade_at = now;
        p.rescale_prior(old_amount)?;
        p.remark(value_after, slot);
        self.idle_assets = add(self.idle_assets, received)?;
        self.total_exposure = sub(self.total_exposure, cost_removed)?;
        self.realized_pnl = self.realized_pnl.saturating_add(realized);
        self.swap_contribution(old, p.contribution())?;
        if p.amount == 0 {
            self.open_positions = self.open_positions.saturating_sub(1);
            self.note_closed(p.marked_round);
        } else {
            self.note_marked(p, now);
        }
        Ok(FillBook { realized, ..book })
    }
}
