//! A money market for local runs and tests: reserves per mint with liquidity providers,
//! obligations (collateral in one reserve, debt in another), loan-to-value and liquidation
//! thresholds, utilization-based interest, admin-published oracle prices with age and
//! confidence checks, liquidation by anyone below health 1, and flash loans under the rules
//! mainnet lenders enforce (top level only, exactly one matching repay later in the same
//! transaction).

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
use state::ReserveConfig;

declare_id!("9wo7maJYxHYfeg3LHa1VDN3RZDvcgQnVvDMHiJTGXwFu");

#[program]
pub mod local_lender {
    use super::*;

    /// Creates a lending market administered by the signer.
    pub fn create_market(ctx: Context<CreateMarket>, market_id: u64) -> Result<()> {
        create_market_handler(ctx, market_id)
    }

    /// Admin: creates the reserve of a mint, with its vaults and price feed.
    pub fn create_reserve(ctx: Context<CreateReserve>, config: ReserveConfig) -> Result<()> {
        create_reserve_handler(ctx, config)
    }

    /// Admin (oracle authority): publishes a price and its confidence.
    pub fn set_price(ctx: Context<AdminReserve>, price: u64, confidence: u64) -> Result<()> {
        set_price_handler(ctx, price, confidence)
    }

    /// Admin: changes a reserve's risk parameters.
    pub fn update_reserve_config(ctx: Context<AdminReserve>, config: ReserveConfig) -> Result<()> {
        update_reserve_config_handler(ctx, config)
    }

    /// Adds liquidity for shares.
    pub fn deposit_liquidity(ctx: Context<DepositLiquidity>, amount: u64) -> Result<()> {
        deposit_liquidity_handler(ctx, amount)
    }

    /// Redeems liquidity shares.
    pub fn withdraw_liquidity(ctx: Context<WithdrawLiquidity>, shares: u64) -> Result<()> {
        withdraw_liquidity_handler(ctx, shares)
    }

    /// Opens an obligation (collateral reserve, borrow reserve).
    pub fn init_obligation(ctx: Context<InitObligation>, seed: u64) -> Result<()> {
        init_obligation_handler(ctx, seed)
    }

    pub fn deposit_collateral(ctx: Context<MoveCollateral>, amount: u64) -> Result<()> {
        deposit_collateral_handler(ctx, amount)
    }

    pub fn withdraw_collateral(ctx: Context<MoveCollateral>, amount: u64) -> Result<()> {
        withdraw_collateral_handler(ctx, amount)
    }

    pub fn borrow(ctx: Context<Borrow>, amount: u64) -> Result<()> {
        borrow_handler(ctx, amount)
    }

    pub fn repay(ctx: Context<Repay>, amount: u64) -> Result<()> {
        repay_handler(ctx, amount)
    }

    /// Anyone: repays part of an unhealthy obligation's debt for its collateral plus a bonus.
    pub fn liquidate(ctx: Context<Liquidate>, repay_amount: u64) -> Result<()> {
        liquidate_handler(ctx, repay_amount)
    }

    /// Top level only: lends `amount` until the matching `flash_repay` later in the transaction.
    pub fn flash_borrow(ctx: Context<FlashBorrow>, amount: u64) -> Result<()> {
        flash_borrow_handler(ctx, amount)
    }

    /// Top level only: repays the flash loan made by instruction `borrow_instruction_index`,
    /// plus its fee.
    pub fn flash_repay(
        ctx: Context<FlashRepay>,
        amount: u64,
        borrow_instruction_index: u8,
    ) -> Result<()> {
        flash_repay_handler(ctx, amount, borrow_instruction_index)
    }
}
