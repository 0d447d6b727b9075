//! Management and performance fee math.
//!
//! Management fees are taken as shares from each investor, linearly in time at the investor's
//! tier rate. Fees round down; the seconds that a rounded-down fee did not pay for are carried
//! to the next accrual, so over any run of accruals the total fee equals the exact linear fee
//! less under one share, and never more.
//!
//! Performance fees are a share of the profit above the investor's high-water mark, measured
//! net of every fee already paid. They round down; when the fee rounds to zero shares the
//! high-water mark is left where it was, so small profits accumulate instead of escaping.

use super::shares::SharePrice;
use crate::constants::{BPS_DENOMINATOR, SECONDS_PER_YEAR};
use crate::error::VaultError;
use anchor_lang::prelude::*;

/// Result of a management fee accrual.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManagementAccrual {
    /// Shares that move from the investor to the fee recipient.
    pub fee_shares: u64,
    /// Seconds of the elapsed interval that the fee paid for; the rest carry forward.
    pub seconds_charged: u64,
}

/// Management fee on `shares` held for `elapsed` seconds at `rate_bps` a year.
///
/// `fee = floor(shares * rate * elapsed / (10_000 * year))`; the seconds charged are
/// `floor(fee * 10_000 * year / (shares * rate))`, never more than `elapsed`. With nothing to
/// charge (no shares or a zero rate) the whole interval is consumed.
pub fn management_fee(shares: u64, rate_bps: u16, elapsed: u64) -> Result<ManagementAccrual> {
    if shares == 0 || rate_bps == 0 || elapsed == 0 {
        return Ok(ManagementAccrual {
            fee_shares: 0,
            seconds_charged: elapsed,
        });
    }
    let per_second = (shares as u128)
        .checked_mul(rate_bps as u128)
        .ok_or(VaultError::MathOverflow)?;
    let denominator = (BPS_DENOMINATOR as u128) * (SECONDS_PER_YEAR as u128);
    let fee = per_second
        .checked_mul(elapsed as u128)
        .ok_or(VaultError::MathOverflow)?
        / denominator;
    // A fee can only reach the whole position after ten years at the maximum rate; cap it.
    let fee = fee.min(shares as u128);
    let seconds_charged = if fee == shares as u128 {
        elapsed as u128
    } else {
        (fee * denominator / per_second).min(elapsed as u128)
    };
    Ok(ManagementAccrual {
        fee_shares: fee as u64,
        seconds_charged: seconds_charged as u64,
    })
}

/// Result of a performance fee crystallization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerformanceCharge {
    /// Value of the investor's shares before the fee, rounded down.
    pub value_before: u64,
    /// Profit above the high-water mark.
    pub profit: u64,
    /// Shares that move from the investor to the fee recipient.
    pub fee_shares: u64,
    /// The investor's high-water mark after the charge.
    pub high_water_mark_after: u64,
}

/// Performance fee on an investor holding `shares` with high-water mark `hwm`, priced at
/// `price`, at `rate_bps` of the profit.
///
/// The fee in assets is `floor(profit * rate / 10_000)`, converted to shares rounding down. When
/// the fee is at least one share, the high-water mark becomes the value the investor still
/// holds after paying it (net, never gross, and never below the previous mark).
pub fn performance_fee(
    price: &SharePrice,
    shares: u64,
    hwm: u64,
    rate_bps: u16,
) -> Result<PerformanceCharge> {
    let value_before = price.assets_for_shares_floor(shares)?;
    let profit = value_before.saturating_sub(hwm);
    let no_charge = PerformanceCharge {
        value_before,
        profit,
        fee_shares: 0,
        high_water_mark_after: hwm,
    };
    if profit == 0 || rate_bps == 0 {
        return Ok(no_charge);
    }
    let fee_assets = super::mul_div_floor(profit, rate_bps as u64, BPS_DENOMINATOR)?;
    let fee_shares = price.shares_for_assets_floor(fee_assets)?.min(shares);
    if fee_shares == 0 {
        return Ok(no_charge);
    }
    let remaining = shares - fee_shares;
    let value_after = price.assets_for_shares_floor(remaining)?;
    Ok(PerformanceCharge {
        value_before,
        profit,
        fee_shares,
        high_water_mark_after: value_after.max(hwm),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn two_percent_for_a_full_year() {
        let a = management_fee(1_000_000, 200, SECONDS_PER_YEAR).unwrap();
        assert_eq!(a.fee_shares, 20_000);
        assert_eq!(a.seconds_charged, SECONDS_PER_YEAR);
    }

    #[test]
    fn sub_share_fees_carry_time_forward() {
        // 1,000 shares at 2%: one share of fee every 1/20 of a year.
        let a = management_fee(1_000, 200, 60).unwrap();
        assert_eq!(
            a,
            ManagementAccrual {
                fee_shares: 0,
                seconds_charged: 0
            }
        );
        let twentieth = SECONDS_PER_YEAR / 20;
        let a = management_fee(1_000, 200, twentieth + 100).unwrap();
        assert_eq!(a.fee_shares, 1);
        assert_eq!(a.seconds_charged, twentieth);
    }

    #[test]
    fn nothing_to_charge_consumes_the_interval() {
        assert_eq!(management_fee(0, 200, 99).unwrap().seconds_charged, 99);
        assert_eq!(management_fee(10, 0, 99).unwrap().seconds_charged, 99);
    }

    #[test]
    fn fee_is_capped_at_the_position() {
        let a = management_fee(10, 1_000, 100 * SECONDS_PER_YEAR).unwrap();
        assert_eq!(a.fee_shares, 10);
    }

    #[test]
    fn performance_fee_on_net_profit_only() {
        // 1,000,000 base units at 1,000 shares each; the value doubled.
        let price = SharePrice::new(2_000_000, 1_000_000_000 - 1_000);
        let shares = 1_000_000_000 - 1_000;
        let c = performance_fee(&price, shares, 1_000_000, 2_000).unwrap();
        assert!(c.profit > 999_990 && c.profit <= 1_000_000);
        // 20% of the profit, in shares at the new price (about 500 shares per unit).
        let fee_value = price.assets_for_shares_floor(c.fee_shares).unwrap();
        assert!(fee_value <= c.profit / 5 && fee_value + 2 >= c.profit / 5);
        // The new mark is what the investor holds after paying.
        let left = price
            .assets_for_shares_floor(shares - c.fee_shares)
            .unwrap();
        assert_eq!(c.high_water_mark_after, left);
        // No second charge at the same price.
        let again = performance_fee(
            &price,
            shares - c.fee_shares,
            c.high_water_mark_after,
            2_000,
        )
        .unwrap();
        assert_eq!(again.fee_shares, 0);
    }

    #[test]
    fn no_fee_below_the_mark() {
        let price = SharePrice::new(900, 1_000_000);
        let c = performance_fee(&price, 1_000_000, 1_000, 2_000).unwrap();
        assert_eq!(c.fee_shares, 0);
        assert_eq!(c.high_water_mark_after, 1_000);
    }

    proptest! {
        /// Splitting an interval into any number of accruals never charges more than the
        /// exact linear fee over the whole interval, and charges within one share of it.
        #[test]
        fn management_fee_never_exceeds_the_rate(
            shares in 1u64..=1_000_000_000_000_000,
            rate in 1u16..=1_000,
            steps in proptest::collection::vec(1u64..=40 * 24 * 3600, 1..40),
        ) {
            let mut held = shares;
            let mut charged_total: u128 = 0;
            let mut carried = 0u64;
            let mut elapsed_total: u64 = 0;
            for s in steps {
                elapsed_total += s;
                let interval = carried + s;
                let a = management_fee(held, rate, interval).unwrap();
                prop_assert!(a.seconds_charged <= interval);
                carried = interval - a.seconds_charged;
                held -= a.fee_shares;
                charged_total += a.fee_shares as u128;
            }
            // The exact fee on a position that shrinks by its own fees is at most the fee on the
            // original position; the charged total may not exceed that.
            let exact_upper = (shares as u128) * (rate as u128) * (elapsed_total as u128)
                / ((BPS_DENOMINATOR as u128) * (SECONDS_PER_YEAR as u128));
            prop_assert!(charged_total <= exact_upper, "charged {charged_total} > {exact_upper}");
        }

        /// The performance fee is never more than the configured share of the profit, and the
        /// high-water mark never falls.
        #[test]
        fn performance_fee_never_exceeds_the_rate(
            total_assets in 1u64..=1_000_000_000_000_000,
            total_shares in 1u64..=1_000_000_000_000_000,
            frac in 1u64..=1_000,
            hwm in 0u64..=1_000_000_000_000_000,
            rate in 0u16..=5_000,
        ) {
            let price = SharePrice::new(total_assets, total_shares);
            let shares = (total_shares as u128 * frac as u128 / 1_000) as u64;
            let c = performance_fee(&price, shares, hwm, rate).unwrap();
            let fee_value = price.assets_for_shares_floor(c.fee_shares).unwrap();
            let allowed = (c.profit as u128 * rate as u128 / BPS_DENOMINATOR as u128) as u64;
            prop_assert!(fee_value <= allowed, "fee worth {fee_value} > allowed {allowed}");
            prop_assert!(c.high_water_mark_after >= hwm);
            if c.fee_shares > 0 {
                let left = price.assets_for_shares_floor(shares - c.fee_shares).unwrap();
                prop_assert!(c.high_water_mark_after == left.max(hwm));
            }
        }
    }
}
