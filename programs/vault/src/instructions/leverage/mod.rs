//! Atomic flash-loan leverage. One transaction:
//!
//! ```text
//! vault.leverage_begin        top level; checks leverage_end closes this transaction; freezes the vault
//! lender.flash_borrow (x1..6) top level; base tokens land in the vault's token account
//! vault.leverage_*_step       CPI: swap, deposit collateral, borrow (open) or repay, withdraw,
//!                             swap back (unwind); approves the actor to move exactly the repay
//! lender.flash_repay  (x1..6) top level, signed by the actor as delegate
//! vault.leverage_end          revokes the delegation; checks the balance the step predicted,
//!                             health factor, leverage cap and exposure; books and marks; unfreezes
//! ```

pub mod begin;
pub mod end;
pub mod health;
pub mod step;

pub use begin::*;
pub use end::*;
pub use health::*;
pub use step::*;

use crate::error::VaultError;
use crate::state::{FlightKind, Governance, Vault};
use anchor_lang::prelude::*;

/// The keeper may run any leverage transaction; a guardian may run unwinds once an emergency
/// deleverage has been declared.
pub fn require_leverage_actor(
    vault: &Vault,
    governance: &Governance,
    actor: &Pubkey,
    kind: FlightKind,
) -> Result<()> {
    if vault.config.keeper == *actor {
        return Ok(());
    }
    let guardian = governance
        .member(actor)
        .map(|m| m.guardian)
        .unwrap_or(false);
    require!(
        guardian && kind == FlightKind::Unwind && vault.emergency_deleverage,
        VaultError::NotLeverageActor
    );
    Ok(())
}
