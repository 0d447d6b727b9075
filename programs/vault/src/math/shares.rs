//! Conversions between base-token amounts and vault shares.
//!
//! Both directions use virtual offsets (`VIRTUAL_SHARES`, `VIRTUAL_ASSETS`): the share price is
//! `(total_assets + 1) / (total_shares + 1000)`. An attacker who inflates the price by adding
//! assets the vault counts must give most of those assets to the virtual holders, so rounding
//! losses of later depositors stay at dust. The vault additionally never counts tokens merely
//! sent to its token account (accounting is internal), and holds dead shares from its seed.

use super::mul_div_ceil;
use super::mul_div_floor;
use crate::constants::{VIRTUAL_ASSETS, VIRTUAL_SHARES};
use crate::error::VaultError;
use anchor_lang::prelude::*;

/// A snapshot of the vault's share price inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharePrice {
    /// Net asset value the shares are priced against, in base units.
    pub total_assets: u64,
    /// All shares in existence (dead, investor, escrowed and fee shares).
    pub total_shares: u64,
}

impl SharePrice {
    pub fn new(total_assets: u64, total_shares: u64) -> Self {
        Self {
            total_assets,
            total_shares,
        }
    }

    fn virtual_shares(&self) -> Result<u64> {
        self.total_shares
            .checked_add(VIRTUAL_SHARES)
            .ok_or_else(|| error!(VaultError::MathOverflow))
    }

    fn virtual_assets(&self) -> Result<u64> {
        self.total_assets
            .checked_add(VIRTUAL_ASSETS)
            .ok_or_else(|| error!(VaultError::MathOverflow))
    }

    /// Shares bought by `assets`, rounded down (the depositor receives no more than paid for).
    pub fn shares_for_assets_floor(&self, assets: u64) -> Result<u64> {
        mul_div_floor(assets, self.virtual_shares()?, self.virtual_assets()?)
    }

    /// Shares that must be given up to receive `assets`, rounded up (the investor gives no less
    /// than the assets are worth).
    pub fn shares_for_assets_ceil(&self, assets: u64) -> Result<u64> {
        mul_div_ceil(assets, self.virtual_shares()?, self.virtual_assets()?)
    }

    /// Value of `shares` in base units, rounded down (what the vault would pay for them).
    pub fn assets_for_shares_floor(&self, shares: u64) -> Result<u64> {
        mul_div_floor(shares, self.virtual_assets()?, self.virtual_shares()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_vault_prices_one_base_unit_at_virtual_share_count() {
        let p = SharePrice::new(0, 0);
        assert_eq!(p.shares_for_assets_floor(1).unwrap(), VIRTUAL_SHARES);
        assert_eq!(p.assets_for_shares_floor(VIRTUAL_SHARES).unwrap(), 1);
    }

    #[test]
    fn extremes_error_instead_of_wrapping() {
        let p = SharePrice::new(0, u64::MAX);
        assert!(p.shares_for_assets_floor(1).is_err());
        let p = SharePrice::new(u64::MAX, 0);
        assert!(p.assets_for_shares_floor(1).is_err());
        let p = SharePrice::new(1, u64::MAX - VIRTUAL_SHARES);
        assert!(p.shares_for_assets_floor(u64::MAX).is_err());
        // All shares of a vault at the largest representable size are worth all its assets,
        // less nothing: u128 intermediates hold u64::MAX * u64::MAX.
        let p = SharePrice::new(u64::MAX - 1, u64::MAX - VIRTUAL_SHARES);
        assert_eq!(
            p.assets_for_shares_floor(u64::MAX - VIRTUAL_SHARES)
                .unwrap(),
            u64::MAX - VIRTUAL_SHARES
        );
    }

    proptest! {
        /// Buying shares and immediately selling them never returns more than was paid.
        #[test]
        fn round_trip_never_profits(
            total_assets in 0u64..=u64::MAX / 4,
            total_shares in 0u64..=u64::MAX / 4,
            assets in 0u64..=u64::MAX / 4,
        ) {
            let p = SharePrice::new(total_assets, total_shares);
            if let Ok(shares) = p.shares_for_assets_floor(assets) {
                if let (Some(a2), Some(s2)) = (total_assets.checked_add(assets), total_shares.checked_add(shares)) {
                    let after = SharePrice::new(a2, s2);
                    if let Ok(back) = after.assets_for_shares_floor(shares) {
                        prop_assert!(back <= assets, "paid {assets}, got back {back}");
                    }
                }
            }
        }

        /// Redeeming by amount burns at least as many shares as the floor conversion says the
        /// amount is worth.
        #[test]
        fn ceil_is_at_least_floor(
            total_assets in 0u64..=u64::MAX / 4,
            total_shares in 0u64..=u64::MAX / 4,
            assets in 0u64..=u64::MAX / 4,
        ) {
            let p = SharePrice::new(total_assets, total_shares);
            if let (Ok(f), Ok(c)) = (p.shares_for_assets_floor(assets), p.shares_for_assets_ceil(assets)) {
                prop_assert!(c >= f && c - f <= 1);
            }
        }
    }
}
