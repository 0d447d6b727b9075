use crate::constants::*;
use crate::error::LenderError;
use crate::events::{emit_event, PriceUpdated, ReserveCreated};
use crate::state::{LendingMarket, PriceFeed, Reserve, ReserveConfig};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(Accounts)]
#[instruction(market_id: u64)]
pub struct CreateMarket<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(
        init,
        payer = admin,
        space = 8 + LendingMarket::INIT_SPACE,
        seeds = [MARKET_SEED, admin.key().as_ref(), &market_id.to_le_bytes()],
        bump,
    )]
    pub market: Box<Account<'info, LendingMarket>>,
    pub system_program: Program<'info, System>,
}

pub fn create_market_handler(ctx: Context<CreateMarket>, market_id: u64) -> Result<()> {
    ctx.accounts.market.set_inner(LendingMarket {
        bump: ctx.bumps.market,
        admin: ctx.accounts.admin.key(),
        market_id,
    });
    Ok(())
}

#[derive(Accounts)]
pub struct CreateReserve<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(has_one = admin @ LenderError::NotAdmin)]
    pub market: Box<Account<'info, LendingMarket>>,
    #[account(
        init,
        payer = admin,
        space = 8 + Reserve::INIT_SPACE,
        seeds = [RESERVE_SEED, market.key().as_ref(), mint.key().as_ref()],
        bump,
    )]
    pub reserve: Box<Account<'info, Reserve>>,
    #[account(mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(
        init,
        payer = admin,
        seeds = [LIQUIDITY_VAULT_SEED, reserve.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = reserve,
        token::token_program = token_program,
    )]
    pub liquidity_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        init,
        payer = admin,
        seeds = [COLLATERAL_VAULT_SEED, reserve.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = reserve,
        token::token_program = token_program,
    )]
    pub collateral_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        init,
        payer = admin,
        space = 8 + PriceFeed::INIT_SPACE,
        seeds = [PRICE_SEED, reserve.key().as_ref()],
        bump,
    )]
    pub oracle: Box<Account<'info, PriceFeed>>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

pub fn create_reserve_handler(ctx: Context<CreateReserve>, config: ReserveConfig) -> Result<()> {
    config.validate()?;
    let now = Clock::get()?.unix_timestamp;
    let a = &mut *ctx.accounts;
    a.reserve.set_inner(Reserve {
        bump: ctx.bumps.reserve,
        market: a.market.key(),
        mint: a.mint.key(),
        decimals: a.mint.decimals,
        token_program: a.token_program.key(),
        liquidity_vault: a.liquidity_vault.key(),
        collateral_vault: a.collateral_vault.key(),
        oracle: a.oracle.key(),
        config,
        available: 0,
        borrowed_scaled: 0,
        borrow_index: WAD,
        last_update: now,
        lp_shares: 0,
        collateral_total: 0,
        flash_outstanding: 0,
    });
    a.oracle.set_inner(PriceFeed {
        bump: ctx.bumps.oracle,
        reserve: a.reserve.key(),
        price: 0,
        confidence: 0,
        publish_time: 0,
    });
    emit_event(&ReserveCreated {
        market: a.market.key(),
        reserve: a.reserve.key(),
        mint: a.mint.key(),
        oracle: a.oracle.key(),
    });
    Ok(())
}

#[derive(Accounts)]
pub struct AdminReserve<'info> {
    pub admin: Signer<'info>,
    #[account(has_one = admin @ LenderError::NotAdmin)]
    pub market: Box<Account<'info, LendingMarket>>,
    #[account(mut, has_one = market, has_one = oracle)]
    pub reserve: Box<Account<'info, Reserve>>,
    #[account(mut)]
    pub oracle: Box<Account<'info, PriceFeed>>,
}

/// Publishes a price (USD, 8 decimals) and its confidence, stamped with the current time.
pub fn set_price_handler(ctx: Context<AdminReserve>, price: u64, confidence: u64) -> Result<()> {
    require!(price > 0, LenderError::InvalidPrice);
    let now = Clock::get()?.unix_timestamp;
    let o = &mut ctx.accounts.oracle;
    let before = o.price;
    o.price = price;
    o.confidence = confidence;
    o.publish_time = now;
    emit_event(&PriceUpdated {
        reserve: ctx.accounts.reserve.key(),
        price_before: before,
        price_after: price,
        confidence,
        publish_time: now,
    });
    Ok(())
}

pub fn update_reserve_config_handler(
    ctx: Context<AdminReserve>,
    config: ReserveConfig,
) -> Result<()> {
    config.validate()?;
    let now = Clock::get()?.unix_timestamp;
    let r = &mut ctx.accounts.reserve;
    r.accrue(now)?;
    r.config = config;
    Ok(())
}
