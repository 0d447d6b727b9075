//! Fee settlement used by every instruction that touches an investor's shares.

use crate::events::{emit_event, ManagementFeeCharged, PerformanceFeeCrystallized};
use crate::state::{Depositor, Vault};
use anchor_lang::prelude::*;

/// Charges the investor's management fee up to `now`; emits [`ManagementFeeCharged`] when a
/// share changes hands.
pub fn settle_management_fee(
    vault_key: Pubkey,
    vault: &mut Vault,
    depositor: &mut Depositor,
    now: i64,
) -> Result<()> {
    let charge = vault.charge_management_fee(depositor, now)?;
    if charge.fee_shares > 0 {
        emit_event(&ManagementFeeCharged {
            vault: vault_key,
            investor: depositor.owner,
            rate_bps: charge.rate_bps,
            fee_shares: charge.fee_shares,
            investor_shares_before: charge.shares_before,
            investor_shares_after: depositor.shares,
            fee_shares_total_after: vault.fee_shares,
            paid_until: depositor.management_fee_paid_until,
        });
    }
    Ok(())
}

/// Crystallizes the investor's performance fee at the current share price; emits
/// [`PerformanceFeeCrystallized`] when a fee is charged.
pub fn settle_performance_fee(
    vault_key: Pubkey,
    vault: &mut Vault,
    depositor: &mut Depositor,
    now: i64,
) -> Result<()> {
    let shares_before = depositor.shares;
    let hwm_before = depositor.high_water_mark;
    let (rate_bps, charge) = vault.charge_performance_fee(depositor, now)?;
    if charge.fee_shares > 0 {
        emit_event(&PerformanceFeeCrystallized {
            vault: vault_key,
            investor: depositor.owner,
            rate_bps,
            value_before: charge.value_before,
            profit: charge.profit,
            fee_shares: charge.fee_shares,
            high_water_mark_before: hwm_before,
            high_water_mark_after: charge.high_water_mark_after,
            investor_shares_before: shares_before,
            investor_shares_after: depositor.shares,
            fee_shares_total_after: vault.fee_shares,
        });
    }
    Ok(())
}

/// Current unix time from the Clock sysvar.
pub fn now() -> Result<i64> {
    Ok(Clock::get()?.unix_timestamp)
}
