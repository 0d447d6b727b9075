//! A constant-product AMM with fees and an LP mint, for SPL Token and Token-2022 mints. It is
//! the reference venue of local runs and tests: real semantics (slippage limits, fees, pool
//! never losing to rounding, creation events the keeper detects), none of the mainnet venues'
//! deployment needs.

use anchor_lang::prelude::*;

#[cfg(not(target_os = "solana"))]
pub mod client;
pub mod constants;
pub mod error;
pub mod events;
pub mod instructions;
pub mod math;
pub mod state;
pub mod token;

use instructions::*;

declare_id!("Heqyk5vtnE8msn41Ec9TBt8ANroK2NzzRrmSHyJ3kFmA");

#[program]
pub mod local_amm {
    use super::*;

    /// Creates a pool for two mints (ascending order) with its first liquidity.
    pub fn create_pool(
        ctx: Context<CreatePool>,
        fee_bps: u16,
        amount_a: u64,
        amount_b: u64,
    ) -> Result<()> {
        create_pool_handler(ctx, fee_bps, amount_a, amount_b)
    }

    /// Sells exactly `amount_in` for at least `min_out`.
    pub fn swap(ctx: Context<Swap>, amount_in: u64, min_out: u64) -> Result<()> {
        swap_handler(ctx, amount_in, min_out)
    }

    /// Mints LP tokens for proportional deposits of both mints.
    pub fn add_liquidity(
        ctx: Context<ChangeLiquidity>,
        lp_amount: u64,
        max_a: u64,
        max_b: u64,
    ) -> Result<()> {
        add_liquidity_handler(ctx, lp_amount, max_a, max_b)
    }

    /// Burns LP tokens for the proportional reserves.
    pub fn remove_liquidity(
        ctx: Context<ChangeLiquidity>,
        lp_amount: u64,
        min_a: u64,
        min_b: u64,
    ) -> Result<()> {
        remove_liquidity_handler(ctx, lp_amount, min_a, min_b)
    }
}
