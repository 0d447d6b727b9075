use crate::math;
use anchor_lang::prelude::*;

/// A constant-product pool between two mints (`mint_a` < `mint_b` by address).
#[account]
#[derive(InitSpace, Debug)]
pub struct Pool {
    pub bump: u8,
    pub mint_a: Pubkey,
    pub mint_b: Pubkey,
    pub token_program_a: Pubkey,
    pub token_program_b: Pubkey,
    pub vault_a: Pubkey,
    pub vault_b: Pubkey,
    pub lp_mint: Pubkey,
    pub fee_bps: u16,
    /// Reserves the pool accounts for; tokens sent to its vaults without a trade are ignored.
    pub reserve_a: u64,
    pub reserve_b: u64,
    /// LP tokens in existence, including the permanently locked minimum liquidity.
    pub lp_supply: u64,
    pub creator: Pubkey,
    pub created_at: i64,
}

impl Pool {
    /// `(reserve of mint, reserve of the other mint)`, or `None` if `mint` is not in the pool.
    pub fn reserves_for(&self, mint: &Pubkey) -> Option<(u64, u64)> {
        if *mint == self.mint_a {
            Some((self.reserve_a, self.reserve_b))
        } else if *mint == self.mint_b {
            Some((self.reserve_b, self.reserve_a))
        } else {
            None
        }
    }

    /// The other mint of the pool.
    pub fn other_mint(&self, mint: &Pubkey) -> Option<Pubkey> {
        if *mint == self.mint_a {
            Some(self.mint_b)
        } else if *mint == self.mint_b {
            Some(self.mint_a)
        } else {
            None
        }
    }

    /// What selling `amount` of `mint` into this pool returns now (of the other mint).
    pub fn quote_sell(&self, mint: &Pubkey, amount: u64) -> Option<u64> {
        let (r_in, r_out) = self.reserves_for(mint)?;
        math::quote_out(r_in, r_out, amount, self.fee_bps)
    }
}
