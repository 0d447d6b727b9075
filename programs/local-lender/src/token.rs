use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenInterface, TransferChecked};

/// Transfers `amount` with `transfer_checked`.
pub fn transfer<'info>(
    token_program: &Interface<'info, TokenInterface>,
    mint: &InterfaceAccount<'info, Mint>,
    from: AccountInfo<'info>,
    to: AccountInfo<'info>,
    authority: AccountInfo<'info>,
    signer_seeds: &[&[&[u8]]],
    amount: u64,
) -> Result<()> {
    let accounts = TransferChecked {
        from,
        mint: mint.to_account_info(),
        to,
        authority,
    };
    let ctx = CpiContext::new_with_signer(token_program.key(), accounts, signer_seeds);
    token_interface::transfer_checked(ctx, amount, mint.decimals)
}

/// Binds `$name` to the signer seeds of `$reserve` (a `&Reserve`).
#[macro_export]
macro_rules! reserve_signer_seeds {
    ($reserve:expr, $name:ident) => {
        let __bump = [$reserve.bump];
        let $name: &[&[u8]] = &[
            $crate::constants::RESERVE_SEED,
            $reserve.market.as_ref(),
            $reserve.mint.as_ref(),
            &__bump,
        ];
    };
}
