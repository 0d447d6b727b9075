use crate::error::VaultError;
use crate::math::fees::{management_fee, performance_fee, PerformanceCharge};
use crate::math::shares::SharePrice;
use crate::math::{add, mul_div_floor, sub};
use anchor_lang::prelude::*;

/// A pending redemption. Its shares are escrowed: they earn nothing more and pay no fees;
/// the payout is the lesser of `value` and what the shares are worth when paid.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct WithdrawRequest {
    /// Escrowed shares; zero when there is no request.
    pub shares: u64,
    /// Value of the escrowed shares when requested, base units, rounded down.
    pub value: u64,
    /// Part of the investor's high-water mark that moved with the shares (restored on cancel).
    pub high_water_mark: u64,
    /// Part of the investor's net deposits that moved with the shares (restored on cancel).
    pub net_deposits: u64,
    /// Unix time of the request.
    pub requested_at: i64,
}

impl WithdrawRequest {
    pub fn is_pending(&self) -> bool {
        self.shares > 0
    }
}

/// One investor's position in one vault. Shares live here and nowhere else, so they cannot
/// be transferred: lock-up and the high-water mark follow the investor.
#[account]
#[derive(InitSpace, Debug)]
pub struct Depositor {
    /// Layout version of this account.
    pub version: u8,
    /// Bump of this PDA.
    pub bump: u8,
    /// Vault this position belongs to.
    pub vault: Pubkey,
    /// Investor who owns the position.
    pub owner: Pubkey,
    /// Shares held, excluding those escrowed by a withdrawal request.
    pub shares: u64,
    /// Net deposits in base units (reduced in proportion on withdrawal); selects the tier.
    pub net_deposits: u64,
    /// Value, in base units, above which the performance fee is due. Net of all fees.
    pub high_water_mark: u64,
    /// Unix time of the deposit that started the current lock-up.
    pub lockup_start: i64,
    /// Unix time before which no withdrawal is paid.
    pub lockup_end: i64,
    /// Unix time up to which the management fee has been charged.
    pub management_fee_paid_until: i64,
    /// Unix time of the latest performance-fee crystallization.
    pub last_crystallization: i64,
    /// Lifetime base units deposited.
    pub total_deposited: u64,
    /// Lifetime base units withdrawn.
    pub total_withdrawn: u64,
    /// Lifetime shares paid as management fees.
    pub management_fee_shares_paid: u64,
    /// Lifetime shares paid as performance fees.
    pub performance_fee_shares_paid: u64,
    /// The pending withdrawal request, if any.
    pub withdraw_request: WithdrawRequest,
}

impl Depositor {
    /// Charges the management fee from `management_fee_paid_until` to `now` at `rate_bps`.
    /// Returns the fee shares taken from the investor (the caller credits them to the fee
    /// recipient). Seconds the rounded-down fee did not pay for carry to the next accrual.
    pub fn accrue_management_fee(&mut self, rate_bps: u16, now: i64) -> Result<u64> {
        let elapsed = now.saturating_sub(self.management_fee_paid_until).max(0) as u64;
        let accrual = management_fee(self.shares, rate_bps, elapsed)?;
        self.shares = sub(self.shares, accrual.fee_shares)?;
        self.management_fee_shares_paid = add(self.management_fee_shares_paid, accrual.fee_shares)?;
        self.management_fee_paid_until = self
            .management_fee_paid_until
            .checked_add(accrual.seconds_charged as i64)
            .ok_or(VaultError::MathOverflow)?;
        Ok(accrual.fee_shares)
    }

    /// Restarts the management-fee clock at `now`. Called after the share count changes so a
    /// carried remainder (worth less than one share of the old balance) is never charged on
    /// shares that did not exist during it.
    pub fn restart_fee_clock(&mut self, now: i64) {
        self.management_fee_paid_until = now;
    }

    /// Crystallizes the performance fee at `price`. Returns the charge; its `fee_shares` have
    /// been taken from the investor for the caller to credit to the fee recipient.
    pub fn crystallize(
        &mut self,
        price: &SharePrice,
        rate_bps: u16,
        now: i64,
    ) -> Result<PerformanceCharge> {
        let charge = performance_fee(price, self.shares, self.high_water_mark, rate_bps)?;
        self.shares = sub(self.shares, charge.fee_shares)?;
        self.performance_fee_shares_paid =
            add(self.performance_fee_shares_paid, charge.fee_shares)?;
        self.high_water_mark = charge.high_water_mark_after;
        self.last_crystallization = now;
        Ok(charge)
    }

    /// Moves `shares` into a withdrawal request priced at `price`, together with the matching
    /// parts of the high-water mark and net deposits.
    pub fn escrow_for_withdrawal(
        &mut self,
        shares: u64,
        price: &SharePrice,
        now: i64,
    ) -> Result<WithdrawRequest> {
        require!(
            !self.withdraw_request.is_pending(),
            VaultError::WithdrawRequestPending
        );
        require!(shares > 0, VaultError::ZeroAmount);
        require!(shares <= self.shares, VaultError::InsufficientShares);
        let value = price.assets_for_shares_floor(shares)?;
        require!(value > 0, VaultError::ZeroPayout);
        let hwm_part = mul_div_floor(self.high_water_mark, shares, self.shares)?;
        let basis_part = mul_div_floor(self.net_deposits, shares, self.shares)?;
        let (hwm_part, basis_part) = if shares == self.shares {
            (self.high_water_mark, self.net_deposits)
        } else {
            (hwm_part, basis_part)
        };
        self.shares -= shares;
        self.high_water_mark -= hwm_part;
        self.net_deposits -= basis_part;
        self.withdraw_request = WithdrawRequest {
            shares,
            value,
            high_water_mark: hwm_part,
            net_deposits: basis_part,
            requested_at: now,
        };
        Ok(self.withdraw_request)
    }

    /// Cancels the pending request: the escrowed shares come back less the management fee for
    /// the time they sat in escrow (so requesting and cancelling cannot dodge the fee).
    /// Returns `(request, fee_shares)`.
    pub fn cancel_withdrawal(&mut self, rate_bps: u16, now: i64) -> Result<(WithdrawRequest, u64)> {
        let request = self.withdraw_request;
        require!(request.is_pending(), VaultError::NoWithdrawRequest);
        let escrowed_for = now.saturating_sub(request.requested_at).max(0) as u64;
        let fee = management_fee(request.shares, rate_bps, escrowed_for)?.fee_shares;
        self.shares = add(self.shares, sub(request.shares, fee)?)?;
        self.management_fee_shares_paid = add(self.management_fee_shares_paid, fee)?;
        self.high_water_mark = add(self.high_water_mark, request.high_water_mark)?;
        self.net_deposits = add(self.net_deposits, request.net_deposits)?;
        self.withdraw_request = WithdrawRequest::default();
        Ok((request, fee))
    }

    /// Whether the position holds nothing.
    pub fn is_empty(&self) -> bool {
        self.shares == 0 && !self.withdraw_request.is_pending()
    }
}
