use super::step::*;
use crate::error::VaultError;
use crate::events::{emit_event, LeverageChanged};
use crate::instructions::keeper::evaluate_breaker;
use crate::lending::read_obligation;
use crate::math::{add, mul_div_floor, sub};
use crate::state::{Flight, FlightKind, Vault};
use crate::vault_signer_seeds;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Revoke};

#[derive(Accounts)]
pub struct LeverageEnd<'info> {
    pub l: LoopAccounts<'info>,
}

/// Ends a leverage transaction: revokes the repay delegation, requires the balance the step
/// predicted (so the delegation paid the flash loans and nothing else), and for openings the
/// vault's minimum health factor, the leverage cap of its AUM band and the exposure limits.
/// Books the capital, marks the loop and unfreezes the vault.
pub fn leverage_end_handler(ctx: Context<LeverageEnd>) -> Result<()> {
    let clock = Clock::get()?;
    let (now, slot) = (clock.unix_timestamp, clock.slot);
    let a = &mut ctx.accounts.l;
    let flight = a.vault.flight;
    a.require_flight(flight.kind)?;
    require!(flight.step_done, VaultError::LeverageStepMissing);
    {
        let vault_ref: &Vault = &a.vault;
        vault_signer_seeds!(vault_ref, seeds);
        token_interface::revoke(CpiContext::new_with_signer(
            a.base_token_program.key(),
            Revoke {
                source: a.vault_token_account.to_account_info(),
                authority: a.vault.to_account_info(),
            },
            &[seeds],
        ))?;
    }
    a.vault_token_account.reload()?;
    require!(
        a.vault_token_account.amount == flight.expected_end_balance,
        VaultError::LeverageBalanceMismatch
    );

    let view = read_obligation(
        &a.lender_program.key(),
        &a.obligation,
        &a.collateral_reserve,
        &a.collateral_oracle,
        &a.borrow_reserve,
        &a.borrow_oracle,
        now,
    )?;
    let exit_value = a
        .pool_view()?
        .quote_sell(&a.collateral_mint.key(), view.collateral)?;
    let vault_key = a.vault.key();
    let vault = &mut a.vault;
    let l = &mut a.leverage_loop;
    let was_open = l.is_open();
    let (collateral_before, debt_before) = (l.collateral_amount, l.debt);
    let old_contribution = l.contribution();
    let old_exposure = l.exposure;

    let mut realized = 0i64;
    match flight.kind {
        FlightKind::Open => {
            require!(
                flight.capital_delta <= 0,
                VaultError::LeverageBalanceMismatch
            );
            let committed = flight.capital_delta.unsigned_abs();
            l.capital = add(l.capital, committed)?;
            vault.idle_assets = sub(vault.idle_assets, committed)?;
        }
        FlightKind::Unwind => {
            let closing = view.collateral == 0 && view.debt == 0;
            require!(
                flight.capital_delta >= 0 || closing,
                VaultError::LeverageBalanceMismatch
            );
            let capital_removed = if closing || collateral_before == 0 {
                l.capital
            } else {
                mul_div_floor(
                    l.capital,
                    collateral_before.saturating_sub(view.collateral),
                    collateral_before,
                )?
            };
            realized = flight.capital_delta.saturating_sub(capital_removed as i64);
            l.capital -= capital_removed;
            l.realized_pnl = l.realized_pnl.saturating_add(realized);
            vault.realized_pnl = vault.realized_pnl.saturating_add(realized);
            if flight.capital_delta >= 0 {
                vault.idle_assets = add(vault.idle_assets, flight.capital_delta as u64)?;
            } else {
                vault.idle_assets = sub(vault.idle_assets, flight.capital_delta.unsigned_abs())?;
            }
        }
    }

    l.resync(view.collateral, view.debt, exit_value, slot)?;
    l.health_bps = view.health_bps;
    l.flagged = view.debt > 0 && view.health_bps < vault.risk.min_health_factor_bps as u64;
    l.last_update = now;
    let is_open = l.is_open();
    if is_open && !was_open {
        require!(
            vault.open_positions < vault.risk.max_open_positions,
            VaultError::MaxPositionsReached
        );
        vault.open_positions += 1;
        vault.open_loops += 1;
        l.opened_at = now;
    } else if !is_open && was_open {
        vault.open_positions = vault.open_positions.saturating_sub(1);
        vault.open_loops = vault.open_loops.saturating_sub(1);
        vault.note_closed(l.marked_round);
    }
    l.exposure = if is_open { exit_value } else { 0 };
    vault.total_exposure = add(sub(vault.total_exposure, old_exposure)?, l.exposure)?;
    vault.swap_loop_contribution(old_contribution, l.contribution())?;
    let mut marked_round = l.marked_round;
    vault.note_marked_round(&mut marked_round, is_open, now);
    l.marked_round = marked_round;

    if flight.kind == FlightKind::Open {
        let risk = vault.risk;
        require!(
            view.health_bps >= risk.min_health_factor_bps as u64,
            VaultError::HealthTooLow
        );
        let nav = vault.total_assets();
        let band = risk.band_for(nav);
        if view.leverage_bps() > band.max_leverage_bps as u64 {
            crate::vlog!(
                "leverage {} bps over the band cap {} bps at NAV {}",
                view.leverage_bps(),
                band.max_leverage_bps,
                nav
            );
            return err!(VaultError::LeverageTooHigh);
        }
        require!(
            vault.total_exposure <= risk.max_total_exposure,
            VaultError::MaxExposureExceeded
        );
        require!(
            l.exposure <= risk.max_exposure_per_token,
            VaultError::TokenExposureExceeded
        );
        require!(
            vault.idle_assets >= vault.pending_withdraw_value,
            VaultError::ReservedForRedemptions
        );
    }
    vault.flight = Flight::default();
    require!(
        a.vault_token_account.amount >= vault.idle_assets,
        VaultError::AccountingMismatch
    );
    evaluate_breaker(vault_key, vault, now);
    vault.invariant()?;

    emit_event(&LeverageChanged {
        vault: vault_key,
        leverage_loop: l.key(),
        collateral_mint: l.collateral_mint,
        open: flight.kind == FlightKind::Open,
        actor: flight.actor,
        idle_delta: flight.capital_delta,
        collateral_before,
        collateral_after: view.collateral,
        debt_before,
        debt_after: view.debt,
        capital_after: l.capital,
        realized_pnl: realized,
        health_bps: view.health_bps,
        leverage_bps: view.leverage_bps(),
        exit_value,
        nav_after: vault.total_assets(),
    });
    Ok(())
}
