//! Host-only helpers: addresses and instruction builders (tests, keeper, simulator).

use crate::constants::*;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::InstructionData;

pub use native_log::decode_events;

/// Every fixed account of one pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolKeys {
    pub pool: Pubkey,
    pub mint_a: Pubkey,
    pub mint_b: Pubkey,
    pub token_program_a: Pubkey,
    pub token_program_b: Pubkey,
    pub vault_a: Pubkey,
    pub vault_b: Pubkey,
    pub lp_mint: Pubkey,
    pub fee_bps: u16,
}

impl PoolKeys {
    /// Keys of the pool for two mints (in any order) and fee.
    pub fn new(mint_x: (Pubkey, Pubkey), mint_y: (Pubkey, Pubkey), fee_bps: u16) -> Self {
        let ((mint_a, token_program_a), (mint_b, token_program_b)) = if mint_x.0 < mint_y.0 {
            (mint_x, mint_y)
        } else {
            (mint_y, mint_x)
        };
        let pool = Pubkey::find_program_address(
            &[
                POOL_SEED,
                mint_a.as_ref(),
                mint_b.as_ref(),
                &fee_bps.to_le_bytes(),
            ],
            &crate::ID,
        )
        .0;
        let vault = |mint: &Pubkey| {
            Pubkey::find_program_address(
                &[POOL_VAULT_SEED, pool.as_ref(), mint.as_ref()],
                &crate::ID,
            )
            .0
        };
        Self {
            pool,
            mint_a,
            mint_b,
            token_program_a,
            token_program_b,
            vault_a: vault(&mint_a),
            vault_b: vault(&mint_b),
            lp_mint: Pubkey::find_program_address(&[LP_MINT_SEED, pool.as_ref()], &crate::ID).0,
            fee_bps,
        }
    }

    /// Keys of an existing pool read from its account. The program derives and checks every
    /// address it stores when it creates the pool, and only it can write an account it owns,
    /// so a decoded pool account needs no second derivation of its four addresses.
    pub fn from_state(pool: Pubkey, s: &crate::state::Pool) -> Self {
        Self {
            pool,
            mint_a: s.mint_a,
            mint_b: s.mint_b,
            token_program_a: s.token_program_a,
            token_program_b: s.token_program_b,
            vault_a: s.vault_a,
            vault_b: s.vault_b,
            lp_mint: s.lp_mint,
            fee_bps: s.fee_bps,
        }
    }

    /// `(mint, token program, pool vault)` for one side.
    pub fn side(&self, mint: &Pubkey) -> Option<(Pubkey, Pubkey, Pubkey)> {
        if *mint == self.mint_a {
            Some((self.mint_a, self.token_program_a, self.vault_a))
        } else if *mint == self.mint_b {
            Some((self.mint_b, self.token_program_b, self.vault_b))
        } else {
            None
        }
    }

    /// The creator's (or any owner's) associated LP token account.
    pub fn lp_account(&self, owner: &Pubkey) -> Pubkey {
        Pubkey::find_program_address(
            &[
                owner.as_ref(),
                anchor_spl::token::ID.as_ref(),
                self.lp_mint.as_ref(),
            ],
            &anchor_spl::associated_token::ID,
        )
        .0
    }
}

fn ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: crate::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

/// `creator_a` / `creator_b` are the creator's token accounts for `keys.mint_a` / `mint_b`.
pub fn create_pool(
    keys: &PoolKeys,
    creator: &Pubkey,
    creator_a: &Pubkey,
    creator_b: &Pubkey,
    amount_a: u64,
    amount_b: u64,
) -> Instruction {
    ix(
        crate::accounts::CreatePool {
            creator: *creator,
            pool: keys.pool,
            mint_a: keys.mint_a,
            mint_b: keys.mint_b,
            vault_a: keys.vault_a,
            vault_b: keys.vault_b,
            lp_mint: keys.lp_mint,
            creator_a: *creator_a,
            creator_b: *creator_b,
            creator_lp: keys.lp_account(creator),
            token_program_a: keys.token_program_a,
            token_program_b: keys.token_program_b,
            lp_token_program: anchor_spl::token::ID,
            associated_token_program: anchor_spl::associated_token::ID,
            system_program: anchor_lang::system_program::ID,
        },
        crate::instruction::CreatePool {
            fee_bps: keys.fee_bps,
            amount_a,
            amount_b,
        },
    )
}

/// Sells `amount_in` of `mint_in` from `user_in` to `user_out`. `None` if `mint_in` is not in
/// the pool.
pub fn swap(
    keys: &PoolKeys,
    user: &Pubkey,
    mint_in: &Pubkey,
    user_in: &Pubkey,
    user_out: &Pubkey,
    amount_in: u64,
    min_out: u64,
) -> Option<Instruction> {
    let (m_in, tp_in, v_in) = keys.side(mint_in)?;
    let other = if *mint_in == keys.mint_a {
        keys.mint_b
    } else {
        keys.mint_a
    };
    let (m_out, tp_out, v_out) = keys.side(&other)?;
    Some(ix(
        crate::accounts::Swap {
            user: *user,
            pool: keys.pool,
            mint_in: m_in,
            mint_out: m_out,
            vault_in: v_in,
            vault_out: v_out,
            user_in: *user_in,
            user_out: *user_out,
            token_program_in: tp_in,
            token_program_out: tp_out,
        },
        crate::instruction::Swap { amount_in, min_out },
    ))
}

fn liquidity_accounts(
    keys: &PoolKeys,
    user: &Pubkey,
    user_a: &Pubkey,
    user_b: &Pubkey,
) -> crate::accounts::ChangeLiquidity {
    crate::accounts::ChangeLiquidity {
        user: *user,
        pool: keys.pool,
        mint_a: keys.mint_a,
        mint_b: keys.mint_b,
        vault_a: keys.vault_a,
        vault_b: keys.vault_b,
        lp_mint: keys.lp_mint,
        user_a: *user_a,
        user_b: *user_b,
        user_lp: keys.lp_account(user),
        token_program_a: keys.token_program_a,
        token_program_b: keys.token_program_b,
        lp_token_program: anchor_spl::token::ID,
    }
}

pub fn add_liquidity(
    keys: &PoolKeys,
    user: &Pubkey,
    user_a: &Pubkey,
    user_b: &Pubkey,
    lp_amount: u64,
    max_a: u64,
    max_b: u64,
) -> Instruction {
    ix(
        liquidity_accounts(keys, user, user_a, user_b),
        crate::instruction::AddLiquidity {
            lp_amount,
            max_a,
            max_b,
        },
    )
}

pub fn remove_liquidity(
    keys: &PoolKeys,
    user: &Pubkey,
    user_a: &Pubkey,
    user_b: &Pubkey,
    lp_amount: u64,
    min_a: u64,
    min_b: u64,
) -> Instruction {
    ix(
        liquidity_accounts(keys, user, user_a, user_b),
        crate::instruction::RemoveLiquidity {
            lp_amount,
            min_a,
            min_b,
        },
    )
}
