use crate::error::AmmError;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};

/// Moves `amount` and returns what `to` actually received (less than `amount` for mints that
/// charge a transfer fee).
pub fn transfer<'info>(
    token_program: &Interface<'info, TokenInterface>,
    mint: &InterfaceAccount<'info, Mint>,
    from: &InterfaceAccount<'info, TokenAccount>,
    to: &mut InterfaceAccount<'info, TokenAccount>,
    authority: &AccountInfo<'info>,
    signer_seeds: &[&[&[u8]]],
    amount: u64,
) -> Result<u64> {
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
    to.amount
        .checked_sub(before)
        .ok_or_else(|| error!(AmmError::MathOverflow))
}

/// Binds `$name` to the signer seeds of `$pool` (a `&Pool`).
#[macro_export]
macro_rules! pool_signer_seeds {
    ($pool:expr, $name:ident) => {
        let __fee = $pool.fee_bps.to_le_bytes();
        let __bump = [$pool.bump];
        let $name: &[&[u8]] = &[
            $crate::constants::POOL_SEED,
            $pool.mint_a.as_ref(),
            $pool.mint_b.as_ref(),
            &__fee,
            &__bump,
        ];
    };
}
