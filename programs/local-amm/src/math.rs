//! Constant-product math. Every rounding favours the pool: swaps round the output down, adding
//! liquidity rounds the required deposits up, removing it rounds the withdrawals down. So the
//! product of reserves never falls through a swap and the value of one LP token never falls.

/// Basis points in one whole.
pub const BPS: u128 = 10_000;

/// Integer square root (floor).
pub fn isqrt(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    let mut x = 1u128 << (128 - n.leading_zeros()).div_ceil(2);
    loop {
        let y = (x + n / x) / 2;
        if y >= x {
            return x;
        }
        x = y;
    }
}

/// Output of selling `amount_in` into a pool with reserves `(reserve_in, reserve_out)` and a
/// fee of `fee_bps`, rounded down. `None` on overflow or an empty pool.
pub fn quote_out(reserve_in: u64, reserve_out: u64, amount_in: u64, fee_bps: u16) -> Option<u64> {
    if reserve_in == 0 || reserve_out == 0 {
        return None;
    }
    let in_after_fee = (amount_in as u128).checked_mul(BPS.checked_sub(fee_bps as u128)?)?;
    let numerator = in_after_fee.checked_mul(reserve_out as u128)?;
    let denominator = (reserve_in as u128)
        .checked_mul(BPS)?
        .checked_add(in_after_fee)?;
    u64::try_from(numerator / denominator).ok()
}

/// LP tokens minted for the first deposit: `floor(sqrt(a * b))`.
pub fn initial_lp(amount_a: u64, amount_b: u64) -> u128 {
    isqrt(amount_a as u128 * amount_b as u128)
}

/// Deposit of one reserve needed to mint `lp` of `supply`, rounded up.
pub fn deposit_for_lp(lp: u64, reserve: u64, supply: u64) -> Option<u64> {
    if supply == 0 {
        return None;
    }
    let n = (lp as u128).checked_mul(reserve as u128)?;
    u64::try_from(n.div_ceil(supply as u128)).ok()
}

/// Withdrawal of one reserve for burning `lp` of `supply`, rounded down.
pub fn withdrawal_for_lp(lp: u64, reserve: u64, supply: u64) -> Option<u64> {
    if supply == 0 {
        return None;
    }
    let n = (lp as u128).checked_mul(reserve as u128)?;
    u64::try_from(n / supply as u128).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn isqrt_is_exact_on_squares_and_floors_otherwise() {
        for n in [
            0u128,
            1,
            2,
            3,
            4,
            15,
            16,
            17,
            1 << 64,
            u64::MAX as u128 * u64::MAX as u128,
        ] {
            let r = isqrt(n);
            assert!(r * r <= n, "{n}");
            assert!((r + 1).checked_mul(r + 1).is_none_or(|sq| sq > n), "{n}");
        }
    }

    #[test]
    fn quotes() {
        // 1,000 in, 0.3% fee, 1:1 pool of 1,000,000: 996 out.
        assert_eq!(quote_out(1_000_000, 1_000_000, 1_000, 30), Some(996));
        assert_eq!(quote_out(0, 1, 1, 0), None);
        assert_eq!(quote_out(1, 1, 1, 10_001), None);
        // Beyond u128 the quote refuses instead of wrapping.
        assert_eq!(quote_out(u64::MAX, u64::MAX, u64::MAX, 0), None);
        assert_eq!(quote_out(1 << 40, 1 << 40, 1 << 40, 0), Some(1 << 39));
    }

    proptest! {
        #[test]
        fn swaps_never_shrink_the_product(
            r_in in 1u64..=1 << 56, r_out in 1u64..=1 << 56,
            amount in 0u64..=1 << 56, fee in 0u16..=1_000,
        ) {
            let out = quote_out(r_in, r_out, amount, fee).expect("no overflow below 2^56");
            {
                prop_assert!(out < r_out);
                let before = r_in as u128 * r_out as u128;
                let after = (r_in as u128 + amount as u128) * (r_out - out) as u128;
                prop_assert!(after >= before, "k fell: {before} -> {after}");
            }
        }

        #[test]
        fn liquidity_round_trip_never_profits(
            ra in 1u64..=1u64 << 50, rb in 1u64..=1u64 << 50,
            supply in 1u64..=1u64 << 50, lp in 1u64..=1u64 << 40,
        ) {
            let a_in = deposit_for_lp(lp, ra, supply).unwrap();
            let b_in = deposit_for_lp(lp, rb, supply).unwrap();
            let (ra2, rb2, s2) = (ra + a_in, rb + b_in, supply + lp);
            let a_out = withdrawal_for_lp(lp, ra2, s2).unwrap();
            let b_out = withdrawal_for_lp(lp, rb2, s2).unwrap();
            prop_assert!(a_out <= a_in && b_out <= b_in);
            // The LP token's backing never falls: ra2 / s2 >= ra / supply.
            prop_assert!(ra2 as u128 * supply as u128 >= ra as u128 * s2 as u128);
        }
    }
}
