use crate::constants::*;
use crate::error::AmmError;
use crate::events::{emit_event, PoolCreated};
use crate::math;
use crate::pool_signer_seeds;
use crate::state::Pool;
use crate::token::transfer;
use anchor_lang::prelude::*;
use anchor_spl::associated_token::AssociatedToken;
use anchor_spl::token_interface::{self, Mint, MintTo, TokenAccount, TokenInterface};

#[derive(Accounts)]
#[instruction(fee_bps: u16)]
pub struct CreatePool<'info> {
    #[account(mut)]
    pub creator: Signer<'info>,

    #[account(
        init,
        payer = creator,
        space = 8 + Pool::INIT_SPACE,
        seeds = [POOL_SEED, mint_a.key().as_ref(), mint_b.key().as_ref(), &fee_bps.to_le_bytes()],
        bump,
    )]
    pub pool: Box<Account<'info, Pool>>,

    #[account(mint::token_program = token_program_a)]
    pub mint_a: Box<InterfaceAccount<'info, Mint>>,
    #[account(mint::token_program = token_program_b)]
    pub mint_b: Box<InterfaceAccount<'info, Mint>>,

    #[account(
        init,
        payer = creator,
        seeds = [POOL_VAULT_SEED, pool.key().as_ref(), mint_a.key().as_ref()],
        bump,
        token::mint = mint_a,
        token::authority = pool,
        token::token_program = token_program_a,
    )]
    pub vault_a: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        init,
        payer = creator,
        seeds = [POOL_VAULT_SEED, pool.key().as_ref(), mint_b.key().as_ref()],
        bump,
        token::mint = mint_b,
        token::authority = pool,
        token::token_program = token_program_b,
    )]
    pub vault_b: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(
        init,
        payer = creator,
        seeds = [LP_MINT_SEED, pool.key().as_ref()],
        bump,
        mint::decimals = LP_DECIMALS,
        mint::authority = pool,
        mint::token_program = lp_token_program,
    )]
    pub lp_mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(mut, token::mint = mint_a, token::authority = creator, token::token_program = token_program_a)]
    pub creator_a: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, token::mint = mint_b, token::authority = creator, token::token_program = token_program_b)]
    pub creator_b: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        init,
        payer = creator,
        associated_token::mint = lp_mint,
        associated_token::authority = creator,
        associated_token::token_program = lp_token_program,
    )]
    pub creator_lp: Box<InterfaceAccount<'info, TokenAccount>>,

    pub token_program_a: Interface<'info, TokenInterface>,
    pub token_program_b: Interface<'info, TokenInterface>,
    #[account(address = anchor_spl::token::ID)]
    pub lp_token_program: Interface<'info, TokenInterface>,
    pub associated_token_program: Program<'info, AssociatedToken>,
    pub system_program: Program<'info, System>,
}

/// Creates a pool with its first liquidity. LP tokens: `sqrt(a * b)` less the locked minimum.
pub fn create_pool_handler(
    ctx: Context<CreatePool>,
    fee_bps: u16,
    amount_a: u64,
    amount_b: u64,
) -> Result<()> {
    let a = &mut *ctx.accounts;
    require!(a.mint_a.key() < a.mint_b.key(), AmmError::MintsNotSorted);
    require!(fee_bps <= MAX_FEE_BPS, AmmError::FeeTooHigh);
    require!(amount_a > 0 && amount_b > 0, AmmError::ZeroAmount);

    let creator = a.creator.to_account_info();
    let got_a = transfer(
        &a.token_program_a,
        &a.mint_a,
        &a.creator_a,
        &mut a.vault_a,
        &creator,
        &[],
        amount_a,
    )?;
    let got_b = transfer(
        &a.token_program_b,
        &a.mint_b,
        &a.creator_b,
        &mut a.vault_b,
        &creator,
        &[],
        amount_b,
    )?;
    let lp = math::initial_lp(got_a, got_b);
    require!(
        lp > MINIMUM_LIQUIDITY as u128,
        AmmError::InitialLiquidityTooSmall
    );
    let lp = u64::try_from(lp).map_err(|_| error!(AmmError::MathOverflow))?;
    let minted = lp - MINIMUM_LIQUIDITY;

    let pool_key = a.pool.key();
    a.pool.set_inner(Pool {
        bump: ctx.bumps.pool,
        mint_a: a.mint_a.key(),
        mint_b: a.mint_b.key(),
        token_program_a: a.token_program_a.key(),
        token_program_b: a.token_program_b.key(),
        vault_a: a.vault_a.key(),
        vault_b: a.vault_b.key(),
        lp_mint: a.lp_mint.key(),
        fee_bps,
        reserve_a: got_a,
        reserve_b: got_b,
        lp_supply: lp,
        creator: a.creator.key(),
        created_at: Clock::get()?.unix_timestamp,
    });

    pool_signer_seeds!(a.pool, seeds);
    let signer = [seeds];
    let mint_ctx = CpiContext::new_with_signer(
        a.lp_token_program.key(),
        MintTo {
            mint: a.lp_mint.to_account_info(),
            to: a.creator_lp.to_account_info(),
            authority: a.pool.to_account_info(),
        },
        &signer,
    );
    token_interface::mint_to(mint_ctx, minted)?;

    // The same line shape the keeper's detector reads from the log of a live venue.
    native_log::vlog!(
        "local-amm create_pool pool={} mint_a={} mint_b={} lp_mint={} creator={}",
        pool_key,
        a.pool.mint_a,
        a.pool.mint_b,
        a.pool.lp_mint,
        a.pool.creator
    );
    emit_event(&PoolCreated {
        pool: pool_key,
        creator: a.creator.key(),
        mint_a: a.pool.mint_a,
        mint_b: a.pool.mint_b,
        lp_mint: a.pool.lp_mint,
        fee_bps,
        reserve_a: got_a,
        reserve_b: got_b,
        lp_minted: minted,
    });
    Ok(())
}
