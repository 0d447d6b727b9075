use crate::constants::*;
use crate::error::VaultError;
use crate::lending::ObligationCpi;
use crate::math::{add, sub};
use crate::state::{Allowlist, FlightKind, LeverageLoop, Vault};
use crate::vault_signer_seeds;
use crate::venues::{self, PoolView, SwapAccounts};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Approve, Mint, TokenAccount, TokenInterface};

/// Every account a leverage step or end touches.
#[derive(Accounts)]
pub struct LoopAccounts<'info> {
    #[account(mut)]
    pub actor: Signer<'info>,

    #[account(mut, has_one = base_mint)]
    pub vault: Box<Account<'info, Vault>>,

    #[account(seeds = [ALLOWLIST_SEED, vault.key().as_ref()], bump = allowlist.bump)]
    pub allowlist: Box<Account<'info, Allowlist>>,

    #[account(
        init_if_needed,
        payer = actor,
        space = 8 + LeverageLoop::INIT_SPACE,
        seeds = [LOOP_SEED, vault.key().as_ref(), collateral_mint.key().as_ref()],
        bump,
    )]
    pub leverage_loop: Box<Account<'info, LeverageLoop>>,

    #[account(mint::token_program = collateral_token_program)]
    pub collateral_mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(
        init_if_needed,
        payer = actor,
        seeds = [LOOP_TOKENS_SEED, vault.key().as_ref(), collateral_mint.key().as_ref()],
        bump,
        token::mint = collateral_mint,
        token::authority = vault,
        token::token_program = collateral_token_program,
    )]
    pub loop_token_account: Box<InterfaceAccount<'info, TokenAccount>>,

    pub base_mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(mut, address = vault.token_account)]
    pub vault_token_account: Box<InterfaceAccount<'info, TokenAccount>>,

    /// CHECK: an allowlisted venue the vault knows (checked against the allowlist and on load).
    #[account(executable)]
    pub venue_program: UncheckedAccount<'info>,
    /// CHECK: pairs the collateral mint with the base mint (checked on load).
    #[account(mut)]
    pub pool: UncheckedAccount<'info>,
    /// CHECK: the pool's vault for the base mint (checked against the pool).
    #[account(mut)]
    pub pool_base_vault: UncheckedAccount<'info>,
    /// CHECK: the pool's vault for the collateral mint (checked against the pool).
    #[account(mut)]
    pub pool_collateral_vault: UncheckedAccount<'info>,

    /// CHECK: a lender the vault knows (checked by the lending adapter).
    #[account(executable)]
    pub lender_program: UncheckedAccount<'info>,
    /// CHECK: the lender market (the lender checks it against the reserves).
    pub market: UncheckedAccount<'info>,
    /// CHECK: the vault's obligation; its address is recorded on the loop at first use and
    /// checked on every later one; the lender checks its owner and reserves.
    #[account(mut)]
    pub obligation: UncheckedAccount<'info>,
    /// CHECK: validated by the lender and the lending adapter.
    #[account(mut)]
    pub collateral_reserve: UncheckedAccount<'info>,
    /// CHECK: validated by the lender and the lending adapter.
    pub collateral_oracle: UncheckedAccount<'info>,
    /// CHECK: validated by the lender and the lending adapter.
    #[account(mut)]
    pub borrow_reserve: UncheckedAccount<'info>,
    /// CHECK: validated by the lender and the lending adapter.
    pub borrow_oracle: UncheckedAccount<'info>,
    /// CHECK: the collateral reserve's vault (checked by the lender).
    #[account(mut)]
    pub reserve_collateral_vault: UncheckedAccount<'info>,
    /// CHECK: the borrow reserve's liquidity vault (checked by the lender).
    #[account(mut)]
    pub reserve_liquidity_vault: UncheckedAccount<'info>,

    #[account(address = vault.base_token_program)]
    pub base_token_program: Interface<'info, TokenInterface>,
    pub collateral_token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

/// The obligation seed of the vault's loop in a collateral mint.
pub fn obligation_seed(collateral_mint: &Pubkey) -> u64 {
    let b = collateral_mint.to_bytes();
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

impl<'info> LoopAccounts<'info> {
    /// Checks the flight and that this loop is the one it is about.
    pub fn require_flight(&self, kind: FlightKind) -> Result<()> {
        let f = &self.vault.flight;
        require!(f.active, VaultError::NoLeverageInFlight);
        require!(
            f.kind == kind
                && f.actor == self.actor.key()
                && f.leverage_loop == self.leverage_loop.key(),
            VaultError::NoLeverageInFlight
        );
        Ok(())
    }

    pub fn pool_view(&self) -> Result<PoolView> {
        let view = PoolView::load(
            &self.venue_program.key(),
            &self.pool,
            &self.collateral_mint.key(),
            &self.base_mint.key(),
        )?;
        require!(
            view.vault_for(&self.base_mint.key()) == Some(self.pool_base_vault.key())
                && view.vault_for(&self.collateral_mint.key())
                    == Some(self.pool_collateral_vault.key()),
            VaultError::PoolMismatch
        );
        Ok(view)
    }

    pub fn obligation_cpi(&self) -> ObligationCpi<'info> {
        ObligationCpi {
            lender_program: self.lender_program.to_account_info(),
            obligation: self.obligation.to_account_info(),
            collateral_reserve: self.collateral_reserve.to_account_info(),
            collateral_oracle: self.collateral_oracle.to_account_info(),
            borrow_reserve: self.borrow_reserve.to_account_info(),
            borrow_oracle: self.borrow_oracle.to_account_info(),
            owner: self.vault.to_account_info(),
        }
    }

    /// First use: records the loop's venue, pool, lender and obligation; later uses must
    /// present the same accounts.
    fn bind_loop(&mut self, bump: u8) -> Result<()> {
        let collateral_mint = self.collateral_mint.key();
        if self.leverage_loop.vault == Pubkey::default() {
            let l = &mut self.leverage_loop;
            l.version = 1;
            l.bump = bump;
            l.vault = self.vault.key();
            l.collateral_mint = collateral_mint;
            l.collateral_token_program = self.collateral_token_program.key();
            l.token_account = self.loop_token_account.key();
            l.venue = self.venue_program.key();
            l.pool = self.pool.key();
            l.lender = self.lender_program.key();
            l.market = self.market.key();
            l.obligation = self.obligation.key();
            l.obligation_seed = obligation_seed(&collateral_mint);
            l.collateral_reserve = self.collateral_reserve.key();
            l.borrow_reserve = self.borrow_reserve.key();
        }
        let l = &self.leverage_loop;
        require!(
            l.venue == self.venue_program.key()
                && l.pool == self.pool.key()
                && l.lender == self.lender_program.key()
                && l.market == self.market.key()
                && l.obligation == self.obligation.key()
                && l.collateral_reserve == self.collateral_reserve.key()
                && l.borrow_reserve == self.borrow_reserve.key(),
            VaultError::LenderMismatch
        );
        Ok(())
    }

    fn swap(&self, base_to_collateral: bool, amount: u64, min_out: u64) -> Result<()> {
        let vault_ref: &Vault = &self.vault;
        vault_signer_seeds!(vault_ref, seeds);
        let (mint_in, mint_out, pv_in, pv_out, u_in, u_out, tp_in, tp_out) = if base_to_collateral {
            (
                self.base_mint.to_account_info(),
                self.collateral_mint.to_account_info(),
                self.pool_base_vault.to_account_info(),
                self.pool_collateral_vault.to_account_info(),
                self.vault_token_account.to_account_info(),
                self.loop_token_account.to_account_info(),
                self.base_token_program.to_account_info(),
                self.collateral_token_program.to_account_info(),
            )
        } else {
            (
                self.collateral_mint.to_account_info(),
                self.base_mint.to_account_info(),
                self.pool_collateral_vault.to_account_info(),
                self.pool_base_vault.to_account_info(),
                self.loop_token_account.to_account_info(),
                self.vault_token_account.to_account_info(),
                self.collateral_token_program.to_account_info(),
                self.base_token_program.to_account_info(),
            )
        };
        venues::swap(
            SwapAccounts {
                venue_program: self.venue_program.to_account_info(),
                pool: self.pool.to_account_info(),
                mint_in,
                mint_out,
                pool_vault_in: pv_in,
                pool_vault_out: pv_out,
                user_in: u_in,
                user_out: u_out,
                token_program_in: tp_in,
                token_program_out: tp_out,
                authority: self.vault.to_account_info(),
            },
            amount,
            min_out,
            &[seeds],
        )
    }

    /// Lets the actor move exactly `amount` from the vault's token account (the flash repay).
    fn approve_repay(&self, amount: u64) -> Result<()> {
        let vault_ref: &Vault = &self.vault;
        vault_signer_seeds!(vault_ref, seeds);
        token_interface::approve(
            CpiContext::new_with_signer(
                self.base_token_program.key(),
                Approve {
                    to: self.vault_token_account.to_account_info(),
                    delegate: self.actor.to_account_info(),
                    authority: self.vault.to_account_info(),
                },
                &[seeds],
            ),
            amount,
        )
    }
}

/// Opening (or adding to) a loop.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenStepArgs {
    /// The vault's own base units put in (beyond the flash loan).
    pub capital: u64,
    pub min_collateral_out: u64,
    /// Base units borrowed against the collateral.
    pub borrow_amount: u64,
    /// What the flash repays will pull (loans plus fees).
    pub repay_total: u64,
}

/// Unwinding part or all of a loop.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnwindStepArgs {
    /// Debt repaid with the flash loan (at most the debt).
    pub repay_debt: u64,
    /// Collateral withdrawn and sold.
    pub withdraw_collateral: u64,
    pub min_base_out: u64,
    pub repay_total: u64,
}

/// Step of an opening transaction: swaps own capital plus the flash loan into collateral,
/// deposits it, borrows base against it, and approves the repay.
pub fn leverage_open_step_handler(ctx: Context<LoopAccounts>, args: OpenStepArgs) -> Result<()> {
    let a = &mut *ctx.accounts;
    a.require_flight(FlightKind::Open)?;
    require!(!a.vault.flight.step_done, VaultError::LeverageStepMissing);
    require!(args.capital > 0, VaultError::ZeroAmount);
    let collateral_mint = a.collateral_mint.key();
    let entry = a
        .allowlist
        .venue(&a.venue_program.key())
        .ok_or(VaultError::VenueNotAllowlisted)?;
    require!(
        entry.any_pool || a.allowlist.pools.contains(&a.pool.key()),
        VaultError::PoolNotAllowlisted
    );
    require!(
        entry.any_mint || a.allowlist.mints.contains(&collateral_mint),
        VaultError::MintNotAllowlisted
    );
    a.pool_view()?;
    require!(
        a.vault.idle_assets >= add(args.capital, a.vault.pending_withdraw_value)?,
        VaultError::ReservedForRedemptions
    );
    a.bind_loop(ctx.bumps.leverage_loop)?;

    let flash = sub(a.vault_token_account.amount, a.vault.flight.begin_balance)?;
    let spend = add(args.capital, flash)?;
    let seed = a.leverage_loop.obligation_seed;
    let cpi = a.obligation_cpi();
    {
        let vault_ref: &Vault = &a.vault;
        vault_signer_seeds!(vault_ref, seeds);
        if a.obligation.data_is_empty() {
            cpi.init(
                a.actor.to_account_info(),
                a.market.to_account_info(),
                a.system_program.to_account_info(),
                seed,
                &[seeds],
            )?;
        }
    }
    let before = a.loop_token_account.amount;
    a.swap(true, spend, args.min_collateral_out)?;
    a.loop_token_account.reload()?;
    let received = sub(a.loop_token_account.amount, before)?;
    require!(
        received >= args.min_collateral_out && received > 0,
        VaultError::SlippageExceeded
    );
    {
        let vault_ref: &Vault = &a.vault;
        vault_signer_seeds!(vault_ref, seeds);
        cpi.deposit_collateral(
            a.collateral_mint.to_account_info(),
            a.reserve_collateral_vault.to_account_info(),
            a.loop_token_account.to_account_info(),
            a.collateral_token_program.to_account_info(),
            received,
            &[seeds],
        )?;
        cpi.borrow(
            a.base_mint.to_account_info(),
            a.reserve_liquidity_vault.to_account_info(),
            a.vault_token_account.to_account_info(),
            a.base_token_program.to_account_info(),
            args.borrow_amount,
            &[seeds],
        )?;
    }
    a.approve_repay(args.repay_total)?;
    a.vault_token_account.reload()?;
    let expected = sub(a.vault_token_account.amount, args.repay_total)?;
    let f = &mut a.vault.flight;
    f.expected_end_balance = expected;
    f.capital_delta = expected as i64 - f.begin_balance as i64;
    f.step_done = true;
    Ok(())
}

/// Step of an unwinding transaction: repays debt with the flash loan, withdraws collateral,
/// sells it, and approves the repay.
pub fn leverage_unwind_step_handler(
    ctx: Context<LoopAccounts>,
    args: UnwindStepArgs,
) -> Result<()> {
    let a = &mut *ctx.accounts;
    a.require_flight(FlightKind::Unwind)?;
    require!(!a.vault.flight.step_done, VaultError::LeverageStepMissing);
    require!(
        a.leverage_loop.vault != Pubkey::default(),
        VaultError::LenderMismatch
    );
    a.bind_loop(ctx.bumps.leverage_loop)?;
    a.pool_view()?;
    let cpi = a.obligation_cpi();
    {
        let vault_ref: &Vault = &a.vault;
        vault_signer_seeds!(vault_ref, seeds);
        if args.repay_debt > 0 {
            cpi.repay(
                a.base_mint.to_account_info(),
                a.reserve_liquidity_vault.to_account_info(),
                a.vault_token_account.to_account_info(),
                a.base_token_program.to_account_info(),
                args.repay_debt,
                &[seeds],
            )?;
        }
        if args.withdraw_collateral > 0 {
            cpi.withdraw_collateral(
                a.collateral_mint.to_account_info(),
                a.reserve_collateral_vault.to_account_info(),
                a.loop_token_account.to_account_info(),
                a.collateral_token_program.to_account_info(),
                args.withdraw_collateral,
                &[seeds],
            )?;
        }
    }
    if args.withdraw_collateral > 0 {
        a.vault_token_account.reload()?;
        let before = a.vault_token_account.amount;
        a.swap(false, args.withdraw_collateral, args.min_base_out)?;
        a.vault_token_account.reload()?;
        let received = sub(a.vault_token_account.amount, before)?;
        require!(received >= args.min_base_out, VaultError::SlippageExceeded);
    }
    a.approve_repay(args.repay_total)?;
    a.vault_token_account.reload()?;
    let expected = sub(a.vault_token_account.amount, args.repay_total)?;
    let f = &mut a.vault.flight;
    f.expected_end_balance = expected;
    f.capital_delta = expected as i64 - f.begin_balance as i64;
    f.step_done = true;
    Ok(())
}
