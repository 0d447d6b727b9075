//! Base-token checks and transfers.

use crate::error::VaultError;
use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022::extension::{
    BaseStateWithExtensions, ExtensionType, StateWithExtensions,
};
use anchor_spl::token_2022::spl_token_2022::state::Mint as MintState;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};

/// Token-2022 mint extensions that would let the vault's recorded balances drift from its real
/// ones, or let a third party take or freeze the vault's tokens:
/// transfer fees (the vault receives less than recorded), transfer hooks (arbitrary code on
/// every transfer), permanent delegates (anyone holding it can move the vault's tokens),
/// default account state (new accounts can be created frozen, and its authority can switch
/// it), non-transferable (nothing could be paid out), and pausable (exits could be blocked).
pub const REJECTED_MINT_EXTENSIONS: [ExtensionType; 7] = [
    ExtensionType::TransferFeeConfig,
    ExtensionType::ConfidentialTransferFeeConfig,
    ExtensionType::TransferHook,
    ExtensionType::PermanentDelegate,
    ExtensionType::DefaultAccountState,
    ExtensionType::NonTransferable,
    ExtensionType::Pausable,
];

/// Refuses base mints whose Token-2022 extensions break the vault's accounting.
/// Plain SPL Token mints have no extensions and always pass.
pub fn check_base_mint(mint: &AccountInfo) -> Result<()> {
    if *mint.owner != anchor_spl::token_2022::ID {
        return Ok(());
    }
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<MintState>::unpack(&data)?;
    let extensions = state.get_extension_types()?;
    if let Some(bad) = extensions
        .iter()
        .find(|e| REJECTED_MINT_EXTENSIONS.contains(e))
    {
        crate::vlog!("base mint carries the {:?} extension", bad);
        return err!(VaultError::UnsupportedMintExtension);
    }
    Ok(())
}

/// Transfers `amount` of the base token and checks that the destination received exactly it.
#[allow(clippy::too_many_arguments)]
pub fn transfer_exact<'info>(
    token_program: &Interface<'info, TokenInterface>,
    mint: &InterfaceAccount<'info, Mint>,
    from: &InterfaceAccount<'info, TokenAccount>,
    to: &mut InterfaceAccount<'info, TokenAccount>,
    authority: &AccountInfo<'info>,
    signer_seeds: &[&[&[u8]]],
    amount: u64,
) -> Result<()> {
    let before = to.amount;
    let accounts = TransferChecked {
        from: from.to_account_info(),
        mint: mint.to_account_info(),
        to: to.to_account_info(),
        authority: authority.clone(),
    };
    let ctx = CpiContext::new_with_signer(token_program.key(), accounts, signer_seeds);
    token_interface::transfer_checked(ctx, amount, mint.decimals)?;
    to.reload()?;
    let received = to
        .amount
        .checked_sub(before)
        .ok_or(VaultError::TransferAmountMismatch)?;
    require!(received == amount, VaultError::TransferAmountMismatch);
    Ok(())
}
