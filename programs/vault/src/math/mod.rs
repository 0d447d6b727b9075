//! Pure money math: no accounts, no clock, no VM. Every function is checked, works in `u128`
//! intermediates, and states its rounding direction. The rule: whatever the vault pays out or
//! mints rounds down; whatever an investor owes the vault rounds up. Fees are transfers between
//! holders (not a solvency question) and round down with the remainder carried forward, so no
//! investor pays above the stated rate and no fee is forgiven.

pub mod fees;
pub mod shares;

use crate::error::VaultError;
use anchor_lang::prelude::*;

/// `a * b / c`, rounded down.
pub fn mul_div_floor(a: u64, b: u64, c: u64) -> Result<u64> {
    if c == 0 {
        return err!(VaultError::MathOverflow);
    }
    let q = (a as u128)
        .checked_mul(b as u128)
        .ok_or(VaultError::MathOverflow)?
        / c as u128;
    u64::try_from(q).map_err(|_| error!(VaultError::MathOverflow))
}

/// `a * b / c`, rounded up.
pub fn mul_div_ceil(a: u64, b: u64, c: u64) -> Result<u64> {
    if c == 0 {
        return err!(VaultError::MathOverflow);
    }
    let n = (a as u128)
        .checked_mul(b as u128)
        .ok_or(VaultError::MathOverflow)?;
    let q = n.div_ceil(c as u128);
    u64::try_from(q).map_err(|_| error!(VaultError::MathOverflow))
}

/// Checked `a + b` with the vault's overflow error.
pub fn add(a: u64, b: u64) -> Result<u64> {
    a.checked_add(b)
        .ok_or_else(|| error!(VaultError::MathOverflow))
}

/// Checked `a - b` with the vault's overflow error.
pub fn sub(a: u64, b: u64) -> Result<u64> {
    a.checked_sub(b)
        .ok_or_else(|| error!(VaultError::MathOverflow))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul_div_rounds_as_named() {
        assert_eq!(mul_div_floor(7, 3, 2).unwrap(), 10);
        assert_eq!(mul_div_ceil(7, 3, 2).unwrap(), 11);
        assert_eq!(mul_div_ceil(6, 3, 2).unwrap(), 9);
        assert_eq!(
            mul_div_floor(u64::MAX, u64::MAX, u64::MAX).unwrap(),
            u64::MAX
        );
        assert_eq!(
            mul_div_ceil(u64::MAX, u64::MAX, u64::MAX).unwrap(),
            u64::MAX
        );
        assert!(mul_div_floor(u64::MAX, 2, 1).is_err());
        assert!(mul_div_floor(1, 1, 0).is_err());
        assert!(mul_div_ceil(1, 1, 0).is_err());
        assert!(add(u64::MAX, 1).is_err());
        assert!(sub(0, 1).is_err());
    }
}
