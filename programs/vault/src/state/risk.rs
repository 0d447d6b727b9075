//! Risk limits the keeper trades inside, and the circuit-breaker state. Governance sets the
//! limits; a guardian may only tighten them.

use crate::constants::*;
use crate::error::VaultError;
use anchor_lang::prelude::*;

/// Caps that depend on the vault's size (net asset value).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct AumBand {
    /// The band applies while NAV (base units) is below this; the last band uses `u64::MAX`.
    pub nav_below: u64,
    /// Largest single position, basis points of NAV.
    pub max_position_bps: u16,
    /// Largest leverage of a leveraged position (notional / own capital), basis points:
    /// 15x is 150,000.
    pub max_leverage_bps: u32,
}

/// Trading limits, each enforced on-chain at every open or increase.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct RiskLimits {
    /// Largest base amount spent by one buy.
    pub max_buy_per_trade: u64,
    /// Most positions open at once.
    pub max_open_positions: u16,
    /// Largest total exposure (cost basis of open positions plus leveraged notional).
    pub max_total_exposure: u64,
    /// Largest exposure to one token.
    pub max_exposure_per_token: u64,
    /// Lowest keeper-attested safety score (0..=100) a new position may have.
    pub min_safety_score: u8,
    /// Trading stops for the day when NAV falls this far below the day's opening NAV.
    pub daily_loss_limit_bps: u16,
    /// Trading stops when NAV falls this far below its high-water mark.
    pub max_drawdown_bps: u16,
    /// Lowest health factor a leveraged position may end a transaction at, basis points
    /// (1.3 is 13,000); never below `MIN_HEALTH_FACTOR_FLOOR_BPS`.
    pub min_health_factor_bps: u16,
    /// Deposits, redemptions and new positions need every position marked within this many
    /// seconds (a full `mark_nav` round).
    pub max_mark_age_seconds: u32,
    /// Only reductions and closes are allowed while set.
    pub reduce_only: bool,
    /// Size-dependent caps, ascending by `nav_below`.
    pub bands: [AumBand; AUM_BANDS],
}

impl RiskLimits {
    /// The seed defaults for a vault whose base mint has `decimals`: the "$5K" budget tier
    /// (1 unit per buy, 50 positions, 20 units of exposure, 10 units per token, score 60),
    /// a 10% daily loss limit, 15% drawdown, health factor 1.3, and the seed's AUM bands
    /// (below 50K / 2M / 10M / 100M units: positions 100/30/20/15/10% of NAV, leverage
    /// 15/12/10/8/6x). Amounts are whole base-token units scaled by `10^decimals`.
    pub fn seed_default(decimals: u8) -> Result<Self> {
        let unit = 10u64
            .checked_pow(decimals as u32)
            .ok_or(VaultError::MathOverflow)?;
        let u = |whole: u64| whole.checked_mul(unit).ok_or(VaultError::MathOverflow);
        let band = |below: Option<u64>, pos: u16, lev_x: u32| -> Result<AumBand> {
            Ok(AumBand {
                nav_below: match below {
                    Some(b) => u(b)?,
                    None => u64::MAX,
                },
                max_position_bps: pos,
                max_leverage_bps: lev_x * BPS_DENOMINATOR as u32,
            })
        };
        Ok(Self {
            max_buy_per_trade: u(1)?,
            max_open_positions: 50,
            max_total_exposure: u(20)?,
            max_exposure_per_token: u(10)?,
            min_safety_score: 60,
            daily_loss_limit_bps: 1_000,
            max_drawdown_bps: 1_500,
            min_health_factor_bps: 13_000,
            max_mark_age_seconds: DEFAULT_MAX_MARK_AGE_SECONDS,
            reduce_only: false,
            bands: [
                band(Some(50_000), 10_000, 15)?,
                band(Some(2_000_000), 3_000, 12)?,
                band(Some(10_000_000), 2_000, 10)?,
                band(Some(100_000_000), 1_500, 8)?,
                band(None, 1_000, 6)?,
            ],
        })
    }

    /// Rules every set of limits must satisfy.
    pub fn validate(&self) -> Result<()> {
        require!(self.min_safety_score <= 100, VaultError::InvalidRiskLimits);
        require!(
            (1..=BPS_DENOMINATOR as u16).contains(&self.daily_loss_limit_bps)
                && (1..=BPS_DENOMINATOR as u16).contains(&self.max_drawdown_bps),
            VaultError::InvalidRiskLimits
        );
        require!(
            self.min_health_factor_bps >= MIN_HEALTH_FACTOR_FLOOR_BPS,
            VaultError::HealthFactorFloor
        );
        require!(
            (1..=MAX_MARK_AGE_CEILING_SECONDS).contains(&self.max_mark_age_seconds),
            VaultError::InvalidRiskLimits
        );
        let mut below = 0u64;
        for (i, b) in self.bands.iter().enumerate() {
            require!(b.nav_below > below, VaultError::InvalidRiskLimits);
            below = b.nav_below;
            require!(
                b.max_position_bps > 0 && b.max_position_bps as u64 <= BPS_DENOMINATOR,
                VaultError::InvalidRiskLimits
            );
            require!(
                b.max_leverage_bps >= BPS_DENOMINATOR as u32
                    && b.max_leverage_bps <= MAX_LEVERAGE_BPS,
                VaultError::InvalidRiskLimits
            );
            if i == AUM_BANDS - 1 {
                require!(b.nav_below == u64::MAX, VaultError::InvalidRiskLimits);
            }
        }
        Ok(())
    }

    /// Whether `self` allows nothing that `old` did not: every cap is lower or equal, every
    /// floor higher or equal, reduce-only not switched off, and the bands keep their
    /// boundaries with caps no higher.
    pub fn is_no_looser_than(&self, old: &RiskLimits) -> bool {
        self.max_buy_per_trade <= old.max_buy_per_trade
            && self.max_open_positions <= old.max_open_positions
            && self.max_total_exposure <= old.max_total_exposure
            && self.max_exposure_per_token <= old.max_exposure_per_token
            && self.min_safety_score >= old.min_safety_score
            && self.daily_loss_limit_bps <= old.daily_loss_limit_bps
            && self.max_drawdown_bps <= old.max_drawdown_bps
            && self.min_health_factor_bps >= old.min_health_factor_bps
            && self.max_mark_age_seconds <= old.max_mark_age_seconds
            && (self.reduce_only || !old.reduce_only)
            && self.bands.iter().zip(old.bands.iter()).all(|(n, o)| {
                n.nav_below == o.nav_below
                    && n.max_position_bps <= o.max_position_bps
                    && n.max_leverage_bps <= o.max_leverage_bps
            })
    }

    /// The band for a vault of `nav` base units.
    pub fn band_for(&self, nav: u64) -> AumBand {
        *self
            .bands
            .iter()
            .find(|b| nav < b.nav_below)
            .unwrap_or(&self.bands[AUM_BANDS - 1])
    }
}

/// Why the circuit breaker tripped.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum BreakerReason {
    None,
    DailyLoss,
    Drawdown,
}

/// Circuit-breaker bookkeeping. A tripped breaker makes the vault reduce-only until
/// governance resets it; investors can still exit.
///
/// The breaker watches the share price (NAV per share, scaled by `PRICE_SCALE`), not NAV:
/// deposits and redemptions move NAV without being gains or losses.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct BreakerState {
    pub tripped: bool,
    pub reason: BreakerReason,
    pub tripped_at: i64,
    /// Start of the current trading day (unix time, UTC midnight).
    pub day_start: i64,
    /// Share price when the current day started.
    pub day_start_price: u128,
    /// Highest share price marked since the last reset.
    pub price_high_water: u128,
}

impl BreakerState {
    /// A fresh breaker baselined at share price `price` and time `now`.
    pub fn fresh(price: u128, now: i64) -> Self {
        Self {
            tripped: false,
            reason: BreakerReason::None,
            tripped_at: 0,
            day_start: now - now.rem_euclid(SECONDS_PER_DAY as i64),
            day_start_price: price,
            price_high_water: price,
        }
    }

    /// Updates the day and the high-water mark and trips on a breach. `price_low` and
    /// `price_high` are the share price with positions valued low and high: the high-water
    /// mark only rises on `price_low` and a loss is only seen on `price_high`, so moving a pool
    /// within one transaction can neither raise the mark nor fake a loss.
    /// Returns the reason when this call tripped the breaker.
    pub fn evaluate(
        &mut self,
        limits: &RiskLimits,
        price_low: u128,
        price_high: u128,
        now: i64,
    ) -> Option<BreakerReason> {
        let today = now - now.rem_euclid(SECONDS_PER_DAY as i64);
        if today > self.day_start {
            self.day_start = today;
            self.day_start_price = price_low;
        }
        self.price_high_water = self.price_high_water.max(price_low);
        if self.tripped {
            return None;
        }
        let below = |baseline: u128, limit_bps: u16| {
            price_high.saturating_mul(BPS_DENOMINATOR as u128)
                < baseline.saturating_mul((BPS_DENOMINATOR - limit_bps as u64) as u128)
        };
        let reason = if below(self.day_start_price, limits.daily_loss_limit_bps) {
            BreakerReason::DailyLoss
        } else if below(self.price_high_water, limits.max_drawdown_bps) {
            BreakerReason::Drawdown
        } else {
            return None;
        };
        self.tripped = true;
        self.reason = reason;
        self.tripped_at = now;
        Some(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_trips_on_daily_loss_and_drawdown_at_the_boundary() {
        let limits = RiskLimits::seed_default(6).unwrap(); // 10% daily, 15% drawdown
        let day = SECONDS_PER_DAY as i64;
        let mut b = BreakerState::fresh(1_000_000, 10 * day);
        // Exactly 10% down is allowed; one unit more trips.
        assert_eq!(b.evaluate(&limits, 900_000, 900_000, 10 * day + 5), None);
        assert_eq!(
            b.evaluate(&limits, 899_999, 899_999, 10 * day + 6),
            Some(BreakerReason::DailyLoss)
        );
        assert!(b.tripped);
        assert_eq!(
            b.evaluate(&limits, 1, 1, 10 * day + 7),
            None,
            "already tripped"
        );

        // Drawdown across days: the day resets the daily baseline, not the high-water mark.
        let mut b = BreakerState::fresh(1_000_000, 0);
        assert_eq!(b.evaluate(&limits, 920_000, 920_000, day), None);
        assert_eq!(b.day_start_price, 920_000);
        assert_eq!(
            b.evaluate(&limits, 850_000, 850_000, 2 * day),
            None,
            "exactly 15% below the mark"
        );
        assert_eq!(
            b.evaluate(&limits, 849_999, 849_999, 3 * day),
            Some(BreakerReason::Drawdown)
        );
    }

    #[test]
    fn breaker_ignores_prices_moved_inside_one_transaction() {
        let limits = RiskLimits::seed_default(6).unwrap();
        let mut b = BreakerState::fresh(1_000_000, 0);
        // A pumped pool raises only the high valuation: the mark does not move.
        b.evaluate(&limits, 1_000_000, 5_000_000, 10);
        assert_eq!(b.price_high_water, 1_000_000);
        // A dumped pool lowers only the low valuation: no loss is seen.
        assert_eq!(b.evaluate(&limits, 100_000, 1_000_000, 20), None);
    }

    #[test]
    fn seed_defaults_are_valid_and_scaled() {
        let r = RiskLimits::seed_default(9).unwrap();
        r.validate().unwrap();
        assert_eq!(r.max_buy_per_trade, 1_000_000_000);
        assert_eq!(r.bands[0].nav_below, 50_000_000_000_000);
        assert_eq!(r.bands[0].max_leverage_bps, 150_000);
        assert_eq!(r.bands[4].max_leverage_bps, 60_000);
        assert_eq!(r.band_for(0).max_position_bps, 10_000);
        assert_eq!(r.band_for(50_000_000_000_000).max_position_bps, 3_000);
        assert_eq!(r.band_for(u64::MAX).max_position_bps, 1_000);
        RiskLimits::seed_default(0).unwrap().validate().unwrap();
        assert!(RiskLimits::seed_default(12).is_err());
    }

    #[test]
    fn tightening_is_recognised_field_by_field() {
        let old = RiskLimits::seed_default(6).unwrap();
        assert!(old.is_no_looser_than(&old));
        let mut t = old;
        t.max_buy_per_trade -= 1;
        t.min_safety_score += 1;
        t.reduce_only = true;
        t.bands[2].max_leverage_bps -= 1;
        assert!(t.is_no_looser_than(&old));
        assert!(!old.is_no_looser_than(&t));
        let mut l = old;
        l.bands[1].nav_below += 1;
        assert!(
            !l.is_no_looser_than(&old),
            "moving a band boundary is not a tightening"
        );
        let mut l = old;
        l.min_health_factor_bps -= 1;
        assert!(!l.is_no_looser_than(&old));
    }

    #[test]
    fn invalid_limits_are_refused() {
        let ok = RiskLimits::seed_default(6).unwrap();
        let mut r = ok;
        r.min_health_factor_bps = MIN_HEALTH_FACTOR_FLOOR_BPS - 1;
        assert!(r.validate().is_err());
        let mut r = ok;
        r.min_safety_score = 101;
        assert!(r.validate().is_err());
        let mut r = ok;
        r.bands[4].nav_below = 5;
        assert!(r.validate().is_err());
        let mut r = ok;
        r.bands[0].max_leverage_bps = MAX_LEVERAGE_BPS + 1;
        assert!(r.validate().is_err());
        let mut r = ok;
        r.daily_loss_limit_bps = 0;
        assert!(r.validate().is_err());
    }
}
