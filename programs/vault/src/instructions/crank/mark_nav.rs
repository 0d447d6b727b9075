use crate::error::VaultError;
use crate::events::{emit_event, NavMarked};
use crate::instructions::keeper::evaluate_breaker;
use crate::lending::read_amounts;
use crate::state::{LeverageLoop, Position, Vault};
use crate::venues::PoolView;
use anchor_lang::prelude::*;
use anchor_lang::Discriminator;

#[derive(Accounts)]
pub struct MarkNav<'info> {
    #[account(mut)]
    pub vault: Box<Account<'info, Vault>>,
}

/// Permissionless: re-marks positions at what selling them into their pools returns now.
/// Remaining accounts: `(position, pool)` pairs and `(loop, pool, obligation, borrow reserve)`
/// quadruples, in any order. A round completes once every open position
/// has been marked in it; deposits, redemptions and new positions need a recent complete
/// round. Evaluates the circuit breaker afterwards.
pub fn mark_nav_handler<'info>(ctx: Context<'info, MarkNav<'info>>) -> Result<()> {
    let clock = Clock::get()?;
    let (now, slot) = (clock.unix_timestamp, clock.slot);
    let vault_key = ctx.accounts.vault.key();
    let vault = &mut ctx.accounts.vault;
    vault.require_not_in_flight()?;
    let nav_before = vault.total_assets();
    let rest = ctx.remaining_accounts;
    let mut marked = 0u16;
    let mut i = 0;
    while i < rest.len() {
        let is_loop = rest[i]
            .try_borrow_data()?
            .starts_with(LeverageLoop::DISCRIMINATOR);
        if is_loop {
            require!(i + 4 <= rest.len(), VaultError::PoolMismatch);
            let mut l: Account<'info, LeverageLoop> = Account::try_from(&rest[i])?;
            require!(l.vault == vault_key, VaultError::PoolMismatch);
            require!(
                *rest[i + 1].key == l.pool
                    && *rest[i + 2].key == l.obligation
                    && *rest[i + 3].key == l.borrow_reserve,
                VaultError::LenderMismatch
            );
            if l.is_open() {
                let (collateral, debt) = read_amounts(&l.lender, &rest[i + 2], &rest[i + 3], now)?;
                let view =
                    PoolView::load(&l.venue, &rest[i + 1], &l.collateral_mint, &vault.base_mint)?;
                let exit = view.quote_sell(&l.collateral_mint, collateral)?;
                let old = l.contribution();
                l.resync(collateral, debt, exit, slot)?;
                vault.swap_loop_contribution(old, l.contribution())?;
                let open = l.is_open();
                let mut round = l.marked_round;
                vault.note_marked_round(&mut round, open, now);
                l.marked_round = round;
                l.exit(&crate::ID)?;
                marked = marked.saturating_add(1);
            }
            i += 4;
        } else {
            require!(i + 2 <= rest.len(), VaultError::PoolMismatch);
            let mut position: Account<'info, Position> = Account::try_from(&rest[i])?;
            require!(position.vault == vault_key, VaultError::PoolMismatch);
            require!(*rest[i + 1].key == position.pool, VaultError::PoolMismatch);
            if position.amount > 0 {
                let view = PoolView::load(
                    &position.venue,
                    &rest[i + 1],
                    &position.mint,
                    &vault.base_mint,
                )?;
                let value = view.quote_sell(&position.mint, position.amount)?;
                vault.mark_position(&mut position, value, slot, now)?;
                position.exit(&crate::ID)?;
                marked = marked.saturating_add(1);
            }
            i += 2;
        }
    }
    evaluate_breaker(vault_key, vault, now);
    vault.invariant()?;
    emit_event(&NavMarked {
        vault: vault_key,
        positions_marked: marked,
        nav_before,
        nav_after: vault.total_assets(),
        nav_high_after: vault.total_assets_high(),
        round: vault.mark_round,
        round_remaining: vault.round_remaining,
        last_full_mark_at: vault.last_full_mark_at,
    });
    Ok(())
}
