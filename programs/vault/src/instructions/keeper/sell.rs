use super::evaluate_breaker;
use crate::constants::*;
use crate::error::VaultError;
use crate::events::{emit_event, PositionClosed, PositionFilled};
use crate::math::{add, mul_div_floor, sub};
use crate::state::{Depositor, Position, ReduceReason, Vault};
use crate::vault_signer_seeds;
use crate::venues::{self, PoolView, SwapAccounts};
use anchor_lang::prelude::*;
use anchor_lang::AccountsClose;
use anchor_spl::token_interface::{self, Burn, CloseAccount, Mint, TokenAccount, TokenInterface};

/// The accounts every sale of a position needs.
#[derive(Accounts)]
pub struct SellAccounts<'info> {
    #[account(mut, has_one = base_mint)]
    pub vault: Box<Account<'info, Vault>>,

    #[account(
        mut,
        seeds = [POSITION_SEED, vault.key().as_ref(), mint.key().as_ref()],
        bump = position.bump,
        has_one = mint,
        has_one = pool @ VaultError::PoolMismatch,
        constraint = position.venue == venue_program.key() @ VaultError::PoolMismatch,
    )]
    pub position: Box<Account<'info, Position>>,

    /// Writable so that closing a position can burn tokens found beyond the books.
    #[account(mut, mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(mut, address = position.token_account)]
    pub position_token_account: Box<InterfaceAccount<'info, TokenAccount>>,

    pub base_mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(mut, address = vault.token_account)]
    pub vault_token_account: Box<InterfaceAccount<'info, TokenAccount>>,

    /// CHECK: the position's venue (constraint above); executable.
    #[account(executable)]
    pub venue_program: UncheckedAccount<'info>,
    /// CHECK: the position's pool (`has_one` above); its layout is checked on load.
    #[account(mut)]
    pub pool: UncheckedAccount<'info>,
    /// CHECK: must be the pool's vault for the base mint (checked against the pool).
    #[account(mut)]
    pub pool_base_vault: UncheckedAccount<'info>,
    /// CHECK: must be the pool's vault for `mint` (checked against the pool).
    #[account(mut)]
    pub pool_token_vault: UncheckedAccount<'info>,

    #[account(address = vault.base_token_program)]
    pub base_token_program: Interface<'info, TokenInterface>,
    #[account(address = position.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl SellAccounts<'_> {
    fn pool_view(&self) -> Result<PoolView> {
        let view = PoolView::load(
            &self.venue_program.key(),
            &self.pool,
            &self.mint.key(),
            &self.base_mint.key(),
        )?;
        require!(
            view.vault_for(&self.base_mint.key()) == Some(self.pool_base_vault.key())
                && view.vault_for(&self.mint.key()) == Some(self.pool_token_vault.key()),
            VaultError::PoolMismatch
        );
        Ok(view)
    }

    /// Sells `amount` tokens for at least `min_out` base units, books the fill and emits it.
    /// `reason` is checked against the exit plan first.
    pub fn sell(&mut self, amount: u64, min_out: u64, reason: ReduceReason) -> Result<u64> {
        let clock = Clock::get()?;
        let (now, slot) = (clock.unix_timestamp, clock.slot);
        let vault_key = self.vault.key();
        let mint = self.mint.key();
        self.vault.require_not_in_flight()?;
        require!(amount > 0, VaultError::ZeroAmount);
        require!(
            amount <= self.position.amount,
            VaultError::InsufficientPositionTokens
        );
        let view = self.pool_view()?;
        let value_now = view.quote_sell(&mint, self.position.amount)?;
        self.position.check_reason(reason, amount, value_now)?;

        let tokens_before = self.position_token_account.amount;
        let base_before = self.vault_token_account.amount;
        {
            let vault_ref: &Vault = &self.vault;
            vault_signer_seeds!(vault_ref, seeds);
            venues::swap(
                SwapAccounts {
                    venue_program: self.venue_program.to_account_info(),
                    pool: self.pool.to_account_info(),
                    mint_in: self.mint.to_account_info(),
                    mint_out: self.base_mint.to_account_info(),
                    pool_vault_in: self.pool_token_vault.to_account_info(),
                    pool_vault_out: self.pool_base_vault.to_account_info(),
                    user_in: self.position_token_account.to_account_info(),
                    user_out: self.vault_token_account.to_account_info(),
                    token_program_in: self.token_program.to_account_info(),
                    token_program_out: self.base_token_program.to_account_info(),
                    authority: self.vault.to_account_info(),
                },
                amount,
                min_out,
                &[seeds],
            )?;
        }
        self.position_token_account.reload()?;
        self.vault_token_account.reload()?;
        let sold = sub(tokens_before, self.position_token_account.amount)?;
        require!(sold == amount, VaultError::TransferAmountMismatch);
        let received = sub(self.vault_token_account.amount, base_before)?;
        require!(received >= min_out, VaultError::SlippageExceeded);

        let view = self.pool_view()?;
        let remaining = self.position.amount - amount;
        let value_after = view.quote_sell(&mint, remaining)?;
        let book =
            self.vault
                .book_sell(&mut self.position, amount, received, value_after, slot, now)?;
        self.vault.swap_fees_paid = add(
            self.vault.swap_fees_paid,
            mul_div_floor(received, view.fee_bps as u64, BPS_DENOMINATOR)?,
        )?;
        require!(
            self.vault_token_account.amount >= self.vault.idle_assets
                && self.position_token_account.amount >= self.position.amount,
            VaultError::AccountingMismatch
        );
        evaluate_breaker(vault_key, &mut self.vault, now);
        self.vault.invariant()?;

        emit_event(&PositionFilled {
            vault: vault_key,
            mint,
            venue: self.venue_program.key(),
            pool: self.pool.key(),
            buy: false,
            reason: Some(reason),
            base_amount: received,
            token_amount: amount,
            tokens_before: book.tokens_before,
            tokens_after: self.position.amount,
            cost_before: book.cost_before,
            cost_after: self.position.cost_basis,
            realized_pnl: book.realized,
            mark_after: self.position.mark_value,
            safety_score: self.position.safety_score,
            nav_after: self.vault.total_assets(),
            nav_high_after: self.vault.total_assets_high(),
            idle_after: self.vault.idle_assets,
            open_positions_after: self.vault.open_positions,
            total_exposure_after: self.vault.total_exposure,
        });
        Ok(received)
    }
}

/// A sale: `amount` tokens for at least `min_out` base units.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReduceArgs {
    /// Client order id (see `OpenPositionArgs::order_id`).
    pub order_id: u64,
    pub amount: u64,
    pub min_out: u64,
    pub reason: ReduceReason,
}

#[derive(Accounts)]
pub struct ReducePosition<'info> {
    pub keeper: Signer<'info>,
    pub trade: SellAccounts<'info>,
}

/// Keeper: sells part or all of a position. Allowed whenever trading is not paused, including
/// in reduce-only mode and after the breaker trips. Ladder and stop-loss sales are checked
/// against the plan recorded at entry.
pub fn reduce_position_handler(ctx: Context<ReducePosition>, args: ReduceArgs) -> Result<()> {
    let t = &mut ctx.accounts.trade;
    require!(
        t.vault.config.keeper == ctx.accounts.keeper.key(),
        VaultError::NotKeeper
    );
    require!(!t.vault.config.trading_paused, VaultError::TradingPaused);
    t.vault.consume_order_id(args.order_id)?;
    require!(
        !matches!(args.reason, ReduceReason::Redemption | ReduceReason::Close),
        VaultError::InvalidExitPlan
    );
    t.sell(args.amount, args.min_out, args.reason)?;
    Ok(())
}

#[derive(Accounts)]
pub struct ClosePosition<'info> {
    #[account(mut)]
    pub keeper: Signer<'info>,
    pub trade: SellAccounts<'info>,
}

/// Keeper: sells whatever the position still holds (for at least `min_out`), burns any tokens
/// beyond the books, and closes the position and its token account, refunding rent.
pub fn close_position_handler(
    ctx: Context<ClosePosition>,
    min_out: u64,
    order_id: u64,
) -> Result<()> {
    let keeper = ctx.accounts.keeper.key();
    let t = &mut ctx.accounts.trade;
    require!(t.vault.config.keeper == keeper, VaultError::NotKeeper);
    t.vault.consume_order_id(order_id)?;
    if t.position.amount > 0 {
        require!(!t.vault.config.trading_paused, VaultError::TradingPaused);
        t.sell(t.position.amount, min_out, ReduceReason::Close)?;
    }
    // Anything left is outside the books: donations or transfer-fee remainders.
    let dust = t.position_token_account.amount;
    {
        let vault_ref: &Vault = &t.vault;
        vault_signer_seeds!(vault_ref, seeds);
        let signer = [seeds];
        if dust > 0 {
            token_interface::burn(
                CpiContext::new_with_signer(
                    t.token_program.key(),
                    Burn {
                        mint: t.mint.to_account_info(),
                        from: t.position_token_account.to_account_info(),
                        authority: t.vault.to_account_info(),
                    },
                    &signer,
                ),
                dust,
            )?;
        }
        token_interface::close_account(CpiContext::new_with_signer(
            t.token_program.key(),
            CloseAccount {
                account: t.position_token_account.to_account_info(),
                destination: ctx.accounts.keeper.to_account_info(),
                authority: t.vault.to_account_info(),
            },
            &signer,
        ))?;
    }
    emit_event(&PositionClosed {
        vault: t.vault.key(),
        mint: t.mint.key(),
        realized_pnl: t.position.realized_pnl,
        total_bought: t.position.total_bought,
        total_sold: t.position.total_sold,
        dust_burned: dust,
    });
    t.position.close(ctx.accounts.keeper.to_account_info())?;
    Ok(())
}

#[derive(Accounts)]
pub struct SellForRedemption<'info> {
    pub caller: Signer<'info>,
    /// The overdue request that justifies the sale.
    #[account(
        seeds = [DEPOSITOR_SEED, trade.vault.key().as_ref(), depositor.owner.as_ref()],
        bump = depositor.bump,
    )]
    pub depositor: Box<Account<'info, Depositor>>,
    pub trade: SellAccounts<'info>,
}

/// Permissionless: once a matured redemption has waited past the grace period and idle
/// assets cannot pay it, anyone may sell a position to raise the cash. The sale must fetch at
/// least the position's conservative mark less a small discount, so the crank cannot be used
/// to dump the vault's tokens into a manipulated pool.
pub fn sell_for_redemption_handler(ctx: Context<SellForRedemption>, amount: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let d = &ctx.accounts.depositor;
    let t = &mut ctx.accounts.trade;
    let request = d.withdraw_request;
    require!(request.is_pending(), VaultError::RedemptionNotOverdue);
    let matured_at = d.lockup_end.max(
        request
            .requested_at
            .saturating_add(t.vault.config.notice_seconds as i64),
    );
    let overdue_at = matured_at.saturating_add(t.vault.config.redemption_grace_seconds as i64);
    let owed = t
        .vault
        .share_price()
        .assets_for_shares_floor(request.shares)?
        .min(request.value);
    require!(
        now >= overdue_at && owed > t.vault.idle_assets,
        VaultError::RedemptionNotOverdue
    );
    require!(
        amount > 0 && amount <= t.position.amount,
        VaultError::InsufficientPositionTokens
    );
    let (low, _) = t.position.contribution();
    let floor = mul_div_floor(
        mul_div_floor(low, amount, t.position.amount)?,
        BPS_DENOMINATOR - REDEMPTION_SALE_MAX_DISCOUNT_BPS,
        BPS_DENOMINATOR,
    )?;
    t.sell(amount, floor, ReduceReason::Redemption)?;
    Ok(())
}
