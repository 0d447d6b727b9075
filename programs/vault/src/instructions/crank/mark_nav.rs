use crate::error::VaultError;
use crate::events::{emit_event, NavMarked};
use crate::instructions::keeper::evaluate_breaker;
use crate::state::{Position, Vault};
use crate::venues::PoolView;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct MarkNav<'info> {
    #[account(mut)]
    pub vault: Box<Account<'info, Vault>>,
}

/// Permissionless: re-marks positions at what selling them into their pools returns now.
/// Remaining accounts: `(position, pool)` pairs. A round completes once every open position
/// has been marked in it; deposits, redemptions and new positions need a recent complete
/// round. Evaluates the circuit breaker afterwards.
pub fn mark_nav_handler<'info>(ctx: Context<'info, MarkNav<'info>>) -> Result<()> {
    let clock = Clock::get()?;
    let (now, slot) = (clock.unix_timestamp, clock.slot);
    let vault_key = ctx.accounts.vault.key();
    let vault = &mut ctx.accounts.vault;
    let nav_before = vault.total_assets();
    let rest = ctx.remaining_accounts;
    let pairs = rest.chunks_exact(2);
    require!(pairs.remainder().is_empty(), VaultError::PoolMismatch);
    let mut marked = 0u16;
    for pair in pairs {
        let mut position: Account<'info, Position> = Account::try_from(&pair[0])?;
        require!(position.vault == vault_key, VaultError::PoolMismatch);
        require!(*pair[1].key == position.pool, VaultError::PoolMismatch);
        if position.amount == 0 {
            continue;
        }
        let view = PoolView::load(&position.venue, &pair[1], &position.mint, &vault.base_mint)?;
        let value = view.quote_sell(&position.mint, position.amount)?;
        vault.mark_position(&mut position, value, slot, now)?;
        position.exit(&crate::ID)?;
        marked = marked.saturating_add(1);
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
