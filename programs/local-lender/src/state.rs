use crate::constants::*;
use crate::error::LenderError;
use crate::math;
use anchor_lang::prelude::*;

/// A lending market: an admin (who also publishes oracle prices) and its reserves.
#[account]
#[derive(InitSpace, Debug)]
pub struct LendingMarket {
    pub bump: u8,
    pub admin: Pubkey,
    pub market_id: u64,
}

/// Risk and pricing parameters of a reserve.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct ReserveConfig {
    /// Borrowing power of collateral in this reserve, basis points of its value.
    pub ltv_bps: u16,
    /// Collateral value share above which an obligation may be liquidated.
    pub liquidation_threshold_bps: u16,
    /// Extra collateral a liquidator receives, basis points of the repaid value.
    pub liquidation_bonus_bps: u16,
    /// Borrow rate at zero utilization and its rise to full utilization (annual, bps).
    pub base_rate_bps: u16,
    pub rate_slope_bps: u16,
    /// Fee on flash loans, basis points.
    pub flash_fee_bps: u16,
    /// Oldest oracle price accepted, seconds.
    pub max_price_age_seconds: u32,
    /// Widest oracle confidence accepted, basis points of the price.
    pub max_confidence_bps: u16,
}

impl ReserveConfig {
    pub fn validate(&self) -> Result<()> {
        require!(
            self.ltv_bps < self.liquidation_threshold_bps
                && self.liquidation_threshold_bps <= 9_500
                && self.liquidation_bonus_bps <= 2_000
                && self.flash_fee_bps <= 1_000
                && self.max_price_age_seconds > 0,
            LenderError::InvalidConfig
        );
        Ok(())
    }
}

/// The lender's book of one mint.
#[account]
#[derive(InitSpace, Debug)]
pub struct Reserve {
    pub bump: u8,
    pub market: Pubkey,
    pub mint: Pubkey,
    pub decimals: u8,
    pub token_program: Pubkey,
    pub liquidity_vault: Pubkey,
    pub collateral_vault: Pubkey,
    pub oracle: Pubkey,
    pub config: ReserveConfig,
    /// Liquidity that can be lent now.
    pub available: u64,
    /// Sum of borrowers' principal, scaled by the borrow index.
    pub borrowed_scaled: u128,
    pub borrow_index: u128,
    pub last_update: i64,
    /// Shares of liquidity providers.
    pub lp_shares: u64,
    /// Collateral deposited by obligations.
    pub collateral_total: u64,
    /// Outstanding flash loan, if any.
    pub flash_outstanding: u64,
}

impl Reserve {
    /// Brings the borrow index up to `now`.
    pub fn accrue(&mut self, now: i64) -> Result<()> {
        let elapsed = now.saturating_sub(self.last_update).max(0) as u64;
        if elapsed > 0 {
            let rate = math::borrow_rate_bps(
                self.config.base_rate_bps,
                self.config.rate_slope_bps,
                self.available,
                self.total_debt()?,
            );
            self.borrow_index = math::accrue_index(self.borrow_index, rate, elapsed)
                .ok_or(LenderError::MathOverflow)?;
            self.last_update = now;
        }
        Ok(())
    }

    pub fn total_debt(&self) -> Result<u64> {
        math::debt(self.borrowed_scaled, self.borrow_index)
            .ok_or_else(|| error!(LenderError::MathOverflow))
    }

    /// Liquidity providers' claim: available plus what borrowers owe.
    pub fn total_liquidity(&self) -> Result<u64> {
        self.available
            .checked_add(self.total_debt()?)
            .ok_or_else(|| error!(LenderError::MathOverflow))
    }
}

/// A price published by the market admin (the local stand-in for Pyth).
#[account]
#[derive(InitSpace, Debug)]
pub struct PriceFeed {
    pub bump: u8,
    pub reserve: Pubkey,
    /// USD per whole token, 8 decimals.
    pub price: u64,
    /// Confidence interval, same units.
    pub confidence: u64,
    pub publish_time: i64,
}

impl PriceFeed {
    /// The price, refusing it when stale or too uncertain for `config`.
    pub fn checked_price(&self, config: &ReserveConfig, now: i64) -> Result<u64> {
        require!(self.price > 0, LenderError::InvalidPrice);
        require!(
            now.saturating_sub(self.publish_time) <= config.max_price_age_seconds as i64,
            LenderError::StalePrice
        );
        require!(
            self.confidence as u128 * BPS <= self.price as u128 * config.max_confidence_bps as u128,
            LenderError::PriceTooUncertain
        );
        Ok(self.price)
    }
}

/// A liquidity provider's shares of a reserve.
#[account]
#[derive(InitSpace, Debug)]
pub struct LiquidityPosition {
    pub bump: u8,
    pub reserve: Pubkey,
    pub owner: Pubkey,
    pub shares: u64,
}

/// A borrower's account: collateral in one reserve, debt in another.
#[account]
#[derive(InitSpace, Debug)]
pub struct Obligation {
    pub bump: u8,
    pub market: Pubkey,
    pub owner: Pubkey,
    pub seed: u64,
    pub collateral_reserve: Pubkey,
    pub borrow_reserve: Pubkey,
    pub collateral_amount: u64,
    pub borrowed_scaled: u128,
}

/// Values of an obligation, USD with 8 decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Health {
    pub collateral_value: u128,
    pub debt_value: u128,
    /// Collateral value times LTV: the most that may be borrowed.
    pub borrow_limit: u128,
    /// Collateral value times the liquidation threshold.
    pub liquidation_limit: u128,
}

impl Health {
    /// Health factor in basis points (collateral at the liquidation threshold over debt);
    /// `u64::MAX` with no debt.
    pub fn factor_bps(&self) -> u64 {
        if self.debt_value == 0 {
            return u64::MAX;
        }
        (self.liquidation_limit * BPS / self.debt_value).min(u64::MAX as u128) as u64
    }
}

impl Obligation {
    pub fn debt(&self, borrow_reserve: &Reserve) -> Result<u64> {
        math::debt(self.borrowed_scaled, borrow_reserve.borrow_index)
            .ok_or_else(|| error!(LenderError::MathOverflow))
    }

    /// Values the obligation with both reserves' oracle prices (checked for age and
    /// confidence).
    pub fn health(
        &self,
        collateral: &Reserve,
        collateral_price: &PriceFeed,
        borrow: &Reserve,
        borrow_price: &PriceFeed,
        now: i64,
    ) -> Result<Health> {
        let cp = collateral_price.checked_price(&collateral.config, now)?;
        let bp = borrow_price.checked_price(&borrow.config, now)?;
        let overflow = || error!(LenderError::MathOverflow);
        let collateral_value =
            math::value(self.collateral_amount, collateral.decimals, cp).ok_or_else(overflow)?;
        let debt_value =
            math::value(self.debt(borrow)?, borrow.decimals, bp).ok_or_else(overflow)?;
        Ok(Health {
            collateral_value,
            debt_value,
            borrow_limit: collateral_value * collateral.config.ltv_bps as u128 / BPS,
            liquidation_limit: collateral_value
                * collateral.config.liquidation_threshold_bps as u128
                / BPS,
        })
    }
}
