//! Interest, values and health, in u128. Debts round up, collateral values down: always in
//! the lender's favour.

use crate::constants::*;

/// Borrow index after `elapsed` seconds at `rate_bps` a year (linear within an accrual).
pub fn accrue_index(index: u128, rate_bps: u64, elapsed: u64) -> Option<u128> {
    let growth = WAD
        .checked_mul(rate_bps as u128)?
        .checked_mul(elapsed as u128)?
        / (BPS * SECONDS_PER_YEAR);
    index.checked_mul(WAD.checked_add(growth)?).map(|v| v / WAD)
}

/// Debt in tokens for `scaled` principal at `index`, rounded up.
pub fn debt(scaled: u128, index: u128) -> Option<u64> {
    u64::try_from(scaled.checked_mul(index)?.div_ceil(WAD)).ok()
}

/// Scaled principal for borrowing `amount` at `index`, rounded up.
pub fn scaled_for_borrow(amount: u64, index: u128) -> Option<u128> {
    (amount as u128)
        .checked_mul(WAD)?
        .checked_add(index - 1)
        .map(|n| n / index)
}

/// Scaled principal removed by repaying `amount` at `index`, rounded down.
pub fn scaled_for_repay(amount: u64, index: u128) -> Option<u128> {
    (amount as u128).checked_mul(WAD).map(|n| n / index)
}

/// USD value (8 decimals) of `amount` base units of a mint with `decimals` at `price`.
pub fn value(amount: u64, decimals: u8, price: u64) -> Option<u128> {
    (amount as u128)
        .checked_mul(price as u128)
        .map(|v| v / 10u128.pow(decimals as u32))
}

/// Token amount worth `usd` (8 decimals) at `price`, rounded down.
pub fn amount_for_value(usd: u128, decimals: u8, price: u64) -> Option<u64> {
    if price == 0 {
        return None;
    }
    u64::try_from(usd.checked_mul(10u128.pow(decimals as u32))? / price as u128).ok()
}

/// Annual borrow rate at utilization `debt / (available + debt)`: `base + slope * u`.
pub fn borrow_rate_bps(base_bps: u16, slope_bps: u16, available: u64, debt: u64) -> u64 {
    let total = available as u128 + debt as u128;
    if total == 0 {
        return base_bps as u64;
    }
    base_bps as u64 + (slope_bps as u128 * debt as u128 / total) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ten_percent_for_a_year() {
        let i = accrue_index(WAD, 1_000, SECONDS_PER_YEAR as u64).unwrap();
        assert_eq!(i, WAD * 11 / 10);
        assert_eq!(debt(scaled_for_borrow(1_000, WAD).unwrap(), i), Some(1_100));
    }

    proptest! {
        #[test]
        fn borrowing_then_repaying_never_loses_the_lender_money(
            amount in 1u64..=1 << 50, index in WAD..=WAD * 10, growth in 0u64..=5_000,
        ) {
            let scaled = scaled_for_borrow(amount, index).unwrap();
            // The debt is at least what was lent.
            prop_assert!(debt(scaled, index).unwrap() >= amount);
            let later = accrue_index(index, growth, 86_400).unwrap();
            prop_assert!(later >= index);
            let owed = debt(scaled, later).unwrap();
            // Repaying the stated debt clears at least the scaled principal.
            prop_assert!(scaled_for_repay(owed, later).unwrap() + 1 >= scaled);
        }
    }
}
