//! The venues the vault can trade through, each behind the same two operations: quote what a
//! sale would return, and swap. Adding a mainnet venue means adding a variant here.

use crate::error::VaultError;
use anchor_lang::prelude::*;

/// A venue the vault knows how to read and trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Venue {
    LocalAmm,
}

impl Venue {
    pub fn from_program(program: &Pubkey) -> Result<Self> {
        if *program == local_amm::ID {
            Ok(Venue::LocalAmm)
        } else {
            err!(VaultError::UnsupportedVenue)
        }
    }
}

/// A pool as the vault sees it.
pub struct PoolView {
    /// The pool's fee, basis points.
    pub fee_bps: u16,
    pool: local_amm::state::Pool,
}

impl PoolView {
    /// Reads `pool` of `venue_program` and checks that it pairs `mint` with `base_mint`.
    pub fn load(
        venue_program: &Pubkey,
        pool: &AccountInfo,
        mint: &Pubkey,
        base_mint: &Pubkey,
    ) -> Result<Self> {
        match Venue::from_program(venue_program)? {
            Venue::LocalAmm => {
                require!(*pool.owner == local_amm::ID, VaultError::PoolMismatch);
                let data = pool.try_borrow_data()?;
                let p = local_amm::state::Pool::try_deserialize(&mut &data[..])
                    .map_err(|_| error!(VaultError::PoolMismatch))?;
                require!(
                    p.other_mint(mint) == Some(*base_mint),
                    VaultError::PoolMismatch
                );
                Ok(Self {
                    fee_bps: p.fee_bps,
                    pool: p,
                })
            }
        }
    }

    /// Base units that selling `amount` of `mint` returns now.
    pub fn quote_sell(&self, mint: &Pubkey, amount: u64) -> Result<u64> {
        if amount == 0 {
            return Ok(0);
        }
        self.pool
            .quote_sell(mint, amount)
            .ok_or_else(|| error!(VaultError::MathOverflow))
    }

    /// The pool vault holding `mint`.
    pub fn vault_for(&self, mint: &Pubkey) -> Option<Pubkey> {
        if *mint == self.pool.mint_a {
            Some(self.pool.vault_a)
        } else if *mint == self.pool.mint_b {
            Some(self.pool.vault_b)
        } else {
            None
        }
    }
}

/// The accounts of one swap, from the vault's side.
pub struct SwapAccounts<'info> {
    pub venue_program: AccountInfo<'info>,
    pub pool: AccountInfo<'info>,
    pub mint_in: AccountInfo<'info>,
    pub mint_out: AccountInfo<'info>,
    pub pool_vault_in: AccountInfo<'info>,
    pub pool_vault_out: AccountInfo<'info>,
    pub user_in: AccountInfo<'info>,
    pub user_out: AccountInfo<'info>,
    pub token_program_in: AccountInfo<'info>,
    pub token_program_out: AccountInfo<'info>,
    /// The vault PDA, owner of `user_in` and `user_out`.
    pub authority: AccountInfo<'info>,
}

/// Sells exactly `amount_in` for at least `min_out` through the venue, signed by the vault.
pub fn swap(
    a: SwapAccounts,
    amount_in: u64,
    min_out: u64,
    signer_seeds: &[&[&[u8]]],
) -> Result<()> {
    match Venue::from_program(a.venue_program.key)? {
        Venue::LocalAmm => {
            let accounts = local_amm::cpi::accounts::Swap {
                user: a.authority,
                pool: a.pool,
                mint_in: a.mint_in,
                mint_out: a.mint_out,
                vault_in: a.pool_vault_in,
                vault_out: a.pool_vault_out,
                user_in: a.user_in,
                user_out: a.user_out,
                token_program_in: a.token_program_in,
                token_program_out: a.token_program_out,
            };
            let ctx = CpiContext::new_with_signer(*a.venue_program.key, accounts, signer_seeds);
            local_amm::cpi::swap(ctx, amount_in, min_out)
        }
    }
}
