//! The vault's share ledger as pure state transitions: no accounts, no CPI, no clock. Handlers
//! call these and then move tokens and emit events; property tests call them directly, so the
//! code under test is the code that runs on-chain.

use super::{Depositor, InvestorTier, Vault, WithdrawRequest};
use crate::error::VaultError;
use crate::math::fees::PerformanceCharge;
use crate::math::{add, sub};
use anchor_lang::prelude::*;

/// How much to redeem.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WithdrawAmount {
    /// This many shares.
    Shares(u64),
    /// Shares worth this many base units now (rounded up: the investor gives no less).
    Assets(u64),
    /// Every share the investor holds.
    All,
}

/// A management fee that changed hands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManagementCharge {
    pub rate_bps: u16,
    pub fee_shares: u64,
    pub shares_before: u64,
}

/// A paid redemption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payout {
    pub request: WithdrawRequest,
    pub value_now: u64,
    pub paid: u64,
}

impl Vault {
    fn tier_of(&self, depositor: &Depositor) -> InvestorTier {
        self.tier_for(depositor.net_deposits)
    }

    /// Sets up a freshly created position.
    pub fn open_position(
        &mut self,
        d: &mut Depositor,
        vault: Pubkey,
        owner: Pubkey,
        bump: u8,
        now: i64,
    ) {
        d.version = 1;
        d.bump = bump;
        d.vault = vault;
        d.owner = owner;
        d.management_fee_paid_until = now;
        d.last_crystallization = now;
        self.depositor_count = self.depositor_count.saturating_add(1);
    }

    /// Charges the investor's management fee up to `now` and credits the fee recipient.
    pub fn charge_management_fee(
        &mut self,
        d: &mut Depositor,
        now: i64,
    ) -> Result<ManagementCharge> {
        self.require_not_in_flight()?;
        let rate_bps = self.tier_of(d).management_fee_bps;
        let shares_before = d.shares;
        let fee_shares = d.accrue_management_fee(rate_bps, now)?;
        self.fee_shares = add(self.fee_shares, fee_shares)?;
        Ok(ManagementCharge {
            rate_bps,
            fee_shares,
            shares_before,
        })
    }

    /// Crystallizes the investor's performance fee at the current price.
    pub fn charge_performance_fee(
        &mut self,
        d: &mut Depositor,
        now: i64,
    ) -> Result<(u16, PerformanceCharge)> {
        let rate_bps = self.tier_of(d).performance_fee_bps;
        self.require_fresh_marks(now)?;
        let price = self.share_price();
        let charge = d.crystallize(&price, rate_bps, now)?;
        self.fee_shares = add(self.fee_shares, charge.fee_shares)?;
        Ok((rate_bps, charge))
    }

    /// Books a deposit of `amount` (fees must be settled first). Returns the shares minted.
    /// Checks the minimum deposit, the tier table, the AUM cap and that at least one share is
    /// bought; the caller moves the tokens.
    pub fn book_deposit(&mut self, d: &mut Depositor, amount: u64, now: i64) -> Result<u64> {
        self.require_not_in_flight()?;
        require!(amount > 0, VaultError::ZeroAmount);
        require!(!self.config.deposits_paused, VaultError::DepositsPaused);
        require!(
            amount >= self.config.min_deposit,
            VaultError::DepositBelowMinimum
        );
        self.require_fresh_marks(now)?;
        // Positions valued high: a depositor never buys shares below their worth.
        let shares = self
            .share_price_for_deposit()
            .shares_for_assets_floor(amount)?;
        require!(shares > 0, VaultError::ZeroShares);

        let net_after = add(d.net_deposits, amount)?;
        let lowest = self.config.tiers[0];
        let highest = self.config.tiers[self.config.tiers.len() - 1];
        require!(
            net_after >= lowest.min_deposit,
            VaultError::BelowTierMinimum
        );
        require!(
            net_after <= highest.max_deposit,
            VaultError::AboveTierMaximum
        );

        let assets_after = add(self.total_assets_high(), amount)?;
        if assets_after > self.config.max_aum {
            crate::vlog!(
                "the vault can accept at most {} more base units",
                self.config.max_aum.saturating_sub(self.total_assets_high())
            );
            return err!(VaultError::AumCapExceeded);
        }

        self.idle_assets = add(self.idle_assets, amount)?;
        self.total_shares = add(self.total_shares, shares)?;
        self.total_deposited = self
            .total_deposited
            .checked_add(amount as u128)
            .ok_or(VaultError::MathOverflow)?;
        d.shares = add(d.shares, shares)?;
        d.net_deposits = net_after;
        d.high_water_mark = add(d.high_water_mark, amount)?;
        d.total_deposited = add(d.total_deposited, amount)?;
        // A top-up re-locks the whole position: lock-up exists for the fund's capital
        // stability, and a per-deposit schedule could be gamed by splitting deposits.
        let lock_until = now
            .checked_add(self.config.lockup_seconds as i64)
            .ok_or(VaultError::MathOverflow)?;
        if lock_until >= d.lockup_end {
            d.lockup_start = now;
            d.lockup_end = lock_until;
        }
        d.restart_fee_clock(now);
        Ok(shares)
    }

    /// Escrows shares for redemption (fees must be settled first).
    pub fn book_withdraw_request(
        &mut self,
        d: &mut Depositor,
        amount: WithdrawAmount,
        now: i64,
    ) -> Result<WithdrawRequest> {
        self.require_not_in_flight()?;
        require!(
            !d.withdraw_request.is_pending(),
            VaultError::WithdrawRequestPending
        );
        self.require_fresh_marks(now)?;
        let price = self.share_price();
        let shares = match amount {
            WithdrawAmount::Shares(s) => s,
            WithdrawAmount::Assets(a) => {
                require!(a > 0, VaultError::ZeroAmount);
                price.shares_for_assets_ceil(a)?
            }
            WithdrawAmount::All => d.shares,
        };
        let request = d.escrow_for_withdrawal(shares, &price, now)?;
        self.pending_withdraw_shares = add(self.pending_withdraw_shares, request.shares)?;
        self.pending_withdraw_value = add(self.pending_withdraw_value, request.value)?;
        Ok(request)
    }

    /// Returns escrowed shares to the investor less the management fee while escrowed
    /// (fees on the free shares must be settled first). Returns `(request, fee_shares)`.
    pub fn book_cancel_withdraw(
        &mut self,
        d: &mut Depositor,
        now: i64,
    ) -> Result<(WithdrawRequest, u64)> {
        self.require_not_in_flight()?;
        let rate = self.tier_of(d).management_fee_bps;
        let (request, fee) = d.cancel_withdrawal(rate, now)?;
        self.pending_withdraw_shares = sub(self.pending_withdraw_shares, request.shares)?;
        self.pending_withdraw_value = sub(self.pending_withdraw_value, request.value)?;
        self.fee_shares = add(self.fee_shares, fee)?;
        d.restart_fee_clock(now);
        Ok((request, fee))
    }

    /// Books the payment of a matured request: the lesser of its value then and now.
    pub fn book_withdraw(&mut self, d: &mut Depositor, now: i64) -> Result<Payout> {
        self.require_not_in_flight()?;
        let request = d.withdraw_request;
        require!(request.is_pending(), VaultError::NoWithdrawRequest);
        require!(now >= d.lockup_end, VaultError::LockupActive);
        let notice_end = request
            .requested_at
            .checked_add(self.config.notice_seconds as i64)
            .ok_or(VaultError::MathOverflow)?;
        require!(now >= notice_end, VaultError::NoticePeriodActive);
        self.require_fresh_marks(now)?;

        let value_now = self.share_price().assets_for_shares_floor(request.shares)?;
        let paid = value_now.min(request.value);
        require!(paid <= self.idle_assets, VaultError::InsufficientLiquidity);

        self.total_shares = sub(self.total_shares, request.shares)?;
        self.pending_withdraw_shares = sub(self.pending_withdraw_shares, request.shares)?;
        self.pending_withdraw_value = sub(self.pending_withdraw_value, request.value)?;
        self.idle_assets = sub(self.idle_assets, paid)?;
        self.total_withdrawn = self
            .total_withdrawn
            .checked_add(paid as u128)
            .ok_or(VaultError::MathOverflow)?;
        d.withdraw_request = WithdrawRequest::default();
        d.total_withdrawn = add(d.total_withdrawn, paid)?;
        Ok(Payout {
            request,
            value_now,
            paid,
        })
    }

    /// Books the redemption of every fee share. Returns `(shares_burned, paid)`.
    pub fn book_fee_collection(&mut self, now: i64) -> Result<(u64, u64)> {
        self.require_not_in_flight()?;
        let shares = self.fee_shares;
        require!(shares > 0, VaultError::NoFeesToCollect);
        self.require_fresh_marks(now)?;
        let paid = self.share_price().assets_for_shares_floor(shares)?;
        require!(paid > 0, VaultError::ZeroPayout);
        // Fees are paid from what investors are not owed.
        require!(
            paid <= self.idle_assets.saturating_sub(self.pending_withdraw_value),
            VaultError::InsufficientLiquidity
        );
        self.fee_shares = 0;
        self.total_shares = sub(self.total_shares, shares)?;
        self.idle_assets = sub(self.idle_assets, paid)?;
        self.total_fees_collected = self
            .total_fees_collected
            .checked_add(paid as u128)
            .ok_or(VaultError::MathOverflow)?;
        Ok((shares, paid))
    }
}
