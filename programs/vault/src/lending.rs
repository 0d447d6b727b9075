//! The lenders the vault can borrow from, behind one adapter: read an obligation's collateral,
//! debt and health, and the CPIs a leverage loop needs. Only the local lender today; mainnet
//! lenders slot in as further variants.

use crate::error::VaultError;
use anchor_lang::prelude::*;
use local_lender::state::{Obligation, PriceFeed, Reserve};

/// An obligation as the vault sees it, with interest accrued to now.
pub struct ObligationView {
    pub collateral: u64,
    pub debt: u64,
    /// USD values (8 decimals) from the lender's oracles.
    pub collateral_value: u128,
    pub debt_value: u128,
    pub health_bps: u64,
}

impl ObligationView {
    /// Leverage (collateral value over equity), basis points; `u64::MAX` when equity is gone.
    pub fn leverage_bps(&self) -> u64 {
        if self.debt_value == 0 {
            return 10_000;
        }
        match self.collateral_value.checked_sub(self.debt_value) {
            Some(equity) if equity > 0 => {
                (self.collateral_value * 10_000 / equity).min(u64::MAX as u128) as u64
            }
            _ => u64::MAX,
        }
    }
}

fn load<T: AccountDeserialize>(info: &AccountInfo, owner: &Pubkey) -> Result<T> {
    require!(info.owner == owner, VaultError::LenderMismatch);
    let data = info.try_borrow_data()?;
    T::try_deserialize(&mut &data[..]).map_err(|_| error!(VaultError::LenderMismatch))
}

/// Reads an obligation of `lender` with its reserves and oracles, accruing interest to `now`.
pub fn read_obligation(
    lender: &Pubkey,
    obligation: &AccountInfo,
    collateral_reserve: &AccountInfo,
    collateral_oracle: &AccountInfo,
    borrow_reserve: &AccountInfo,
    borrow_oracle: &AccountInfo,
    now: i64,
) -> Result<ObligationView> {
    require!(*lender == local_lender::ID, VaultError::LenderMismatch);
    let o: Obligation = load(obligation, lender)?;
    let mut cr: Reserve = load(collateral_reserve, lender)?;
    let co: PriceFeed = load(collateral_oracle, lender)?;
    let mut br: Reserve = load(borrow_reserve, lender)?;
    let bo: PriceFeed = load(borrow_oracle, lender)?;
    require!(
        o.collateral_reserve == *collateral_reserve.key
            && o.borrow_reserve == *borrow_reserve.key
            && cr.oracle == *collateral_oracle.key
            && br.oracle == *borrow_oracle.key,
        VaultError::LenderMismatch
    );
    cr.accrue(now)?;
    br.accrue(now)?;
    let h = o.health(&cr, &co, &br, &bo, now)?;
    Ok(ObligationView {
        collateral: o.collateral_amount,
        debt: o.debt(&br)?,
        collateral_value: h.collateral_value,
        debt_value: h.debt_value,
        health_bps: h.factor_bps(),
    })
}

/// Collateral and debt of an obligation without oracle checks (for NAV marks, which value the
/// collateral by its pool, not by the oracle).
pub fn read_amounts(
    lender: &Pubkey,
    obligation: &AccountInfo,
    borrow_reserve: &AccountInfo,
    now: i64,
) -> Result<(u64, u64)> {
    require!(*lender == local_lender::ID, VaultError::LenderMismatch);
    let o: Obligation = load(obligation, lender)?;
    let mut br: Reserve = load(borrow_reserve, lender)?;
    require!(
        o.borrow_reserve == *borrow_reserve.key,
        VaultError::LenderMismatch
    );
    br.accrue(now)?;
    Ok((o.collateral_amount, o.debt(&br)?))
}

/// The accounts of an obligation for CPIs.
pub struct ObligationCpi<'info> {
    pub lender_program: AccountInfo<'info>,
    pub obligation: AccountInfo<'info>,
    pub collateral_reserve: AccountInfo<'info>,
    pub collateral_oracle: AccountInfo<'info>,
    pub borrow_reserve: AccountInfo<'info>,
    pub borrow_oracle: AccountInfo<'info>,
    /// The vault PDA, owner of the obligation.
    pub owner: AccountInfo<'info>,
}

impl<'info> ObligationCpi<'info> {
    fn book(&self) -> local_lender::cpi::accounts::ObligationBook<'info> {
        local_lender::cpi::accounts::ObligationBook {
            obligation: self.obligation.clone(),
            collateral_reserve: self.collateral_reserve.clone(),
            collateral_oracle: self.collateral_oracle.clone(),
            borrow_reserve: self.borrow_reserve.clone(),
            borrow_oracle: self.borrow_oracle.clone(),
        }
    }

    pub fn init(
        &self,
        payer: AccountInfo<'info>,
        market: AccountInfo<'info>,
        system_program: AccountInfo<'info>,
        seed: u64,
        seeds: &[&[&[u8]]],
    ) -> Result<()> {
        let accounts = local_lender::cpi::accounts::InitObligation {
            payer,
            owner: self.owner.clone(),
            market,
            obligation: self.obligation.clone(),
            collateral_reserve: self.collateral_reserve.clone(),
            borrow_reserve: self.borrow_reserve.clone(),
            system_program,
        };
        local_lender::cpi::init_obligation(
            CpiContext::new_with_signer(*self.lender_program.key, accounts, seeds),
            seed,
        )
    }

    pub fn deposit_collateral(
        &self,
        mint: AccountInfo<'info>,
        reserve_vault: AccountInfo<'info>,
        source: AccountInfo<'info>,
        token_program: AccountInfo<'info>,
        amount: u64,
        seeds: &[&[&[u8]]],
    ) -> Result<()> {
        let accounts = local_lender::cpi::accounts::MoveCollateral {
            owner: self.owner.clone(),
            book: self.book(),
            mint,
            collateral_vault: reserve_vault,
            owner_token_account: source,
            token_program,
        };
        local_lender::cpi::deposit_collateral(
            CpiContext::new_with_signer(*self.lender_program.key, accounts, seeds),
            amount,
        )
    }

    pub fn withdraw_collateral(
        &self,
        mint: AccountInfo<'info>,
        reserve_vault: AccountInfo<'info>,
        destination: AccountInfo<'info>,
        token_program: AccountInfo<'info>,
        amount: u64,
        seeds: &[&[&[u8]]],
    ) -> Result<()> {
        let accounts = local_lender::cpi::accounts::MoveCollateral {
            owner: self.owner.clone(),
            book: self.book(),
            mint,
            collateral_vault: reserve_vault,
            owner_token_account: destination,
            token_program,
        };
        local_lender::cpi::withdraw_collateral(
            CpiContext::new_with_signer(*self.lender_program.key, accounts, seeds),
            amount,
        )
    }

    pub fn borrow(
        &self,
        mint: AccountInfo<'info>,
        liquidity_vault: AccountInfo<'info>,
        destination: AccountInfo<'info>,
        token_program: AccountInfo<'info>,
        amount: u64,
        seeds: &[&[&[u8]]],
    ) -> Result<()> {
        let accounts = local_lender::cpi::accounts::Borrow {
            owner: self.owner.clone(),
            book: self.book(),
            mint,
            liquidity_vault,
            destination,
            token_program,
        };
        local_lender::cpi::borrow(
            CpiContext::new_with_signer(*self.lender_program.key, accounts, seeds),
            amount,
        )
    }

    pub fn repay(
        &self,
        mint: AccountInfo<'info>,
        liquidity_vault: AccountInfo<'info>,
        source: AccountInfo<'info>,
        token_program: AccountInfo<'info>,
        amount: u64,
        seeds: &[&[&[u8]]],
    ) -> Result<()> {
        let accounts = local_lender::cpi::accounts::Repay {
            payer: self.owner.clone(),
            obligation: self.obligation.clone(),
            borrow_reserve: self.borrow_reserve.clone(),
            mint,
            liquidity_vault,
            source,
            token_program,
        };
        local_lender::cpi::repay(
            CpiContext::new_with_signer(*self.lender_program.key, accounts, seeds),
            amount,
        )
    }
}
