//! Host-only helpers: addresses and instruction builders (tests, keeper, simulator).

use crate::constants::*;
use crate::state::ReserveConfig;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::InstructionData;

pub use native_log::decode_events;

pub fn market_address(admin: &Pubkey, market_id: u64) -> Pubkey {
    Pubkey::find_program_address(
        &[MARKET_SEED, admin.as_ref(), &market_id.to_le_bytes()],
        &crate::ID,
    )
    .0
}

/// Every fixed account of one reserve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReserveKeys {
    pub market: Pubkey,
    pub reserve: Pubkey,
    pub mint: Pubkey,
    pub token_program: Pubkey,
    pub liquidity_vault: Pubkey,
    pub collateral_vault: Pubkey,
    pub oracle: Pubkey,
}

impl ReserveKeys {
    pub fn new(market: Pubkey, mint: Pubkey, token_program: Pubkey) -> Self {
        let reserve = Pubkey::find_program_address(
            &[RESERVE_SEED, market.as_ref(), mint.as_ref()],
            &crate::ID,
        )
        .0;
        let pda =
            |seed: &[u8]| Pubkey::find_program_address(&[seed, reserve.as_ref()], &crate::ID).0;
        Self {
            market,
            reserve,
            mint,
            token_program,
            liquidity_vault: pda(LIQUIDITY_VAULT_SEED),
            collateral_vault: pda(COLLATERAL_VAULT_SEED),
            oracle: pda(PRICE_SEED),
        }
    }
}

pub fn obligation_address(market: &Pubkey, owner: &Pubkey, seed: u64) -> Pubkey {
    Pubkey::find_program_address(
        &[
            OBLIGATION_SEED,
            market.as_ref(),
            owner.as_ref(),
            &seed.to_le_bytes(),
        ],
        &crate::ID,
    )
    .0
}

pub fn lp_position_address(reserve: &Pubkey, owner: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[LP_POSITION_SEED, reserve.as_ref(), owner.as_ref()],
        &crate::ID,
    )
    .0
}

fn ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: crate::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

pub fn create_market(admin: &Pubkey, market_id: u64) -> Instruction {
    ix(
        crate::accounts::CreateMarket {
            admin: *admin,
            market: market_address(admin, market_id),
            system_program: anchor_lang::system_program::ID,
        },
        crate::instruction::CreateMarket { market_id },
    )
}

pub fn create_reserve(admin: &Pubkey, r: &ReserveKeys, config: ReserveConfig) -> Instruction {
    ix(
        crate::accounts::CreateReserve {
            admin: *admin,
            market: r.market,
            reserve: r.reserve,
            mint: r.mint,
            liquidity_vault: r.liquidity_vault,
            collateral_vault: r.collateral_vault,
            oracle: r.oracle,
            token_program: r.token_program,
            system_program: anchor_lang::system_program::ID,
        },
        crate::instruction::CreateReserve { config },
    )
}

fn admin_reserve(admin: &Pubkey, r: &ReserveKeys) -> crate::accounts::AdminReserve {
    crate::accounts::AdminReserve {
        admin: *admin,
        market: r.market,
        reserve: r.reserve,
        oracle: r.oracle,
    }
}

pub fn set_price(admin: &Pubkey, r: &ReserveKeys, price: u64, confidence: u64) -> Instruction {
    ix(
        admin_reserve(admin, r),
        crate::instruction::SetPrice { price, confidence },
    )
}

pub fn update_reserve_config(
    admin: &Pubkey,
    r: &ReserveKeys,
    config: ReserveConfig,
) -> Instruction {
    ix(
        admin_reserve(admin, r),
        crate::instruction::UpdateReserveConfig { config },
    )
}

pub fn deposit_liquidity(
    owner: &Pubkey,
    r: &ReserveKeys,
    source: &Pubkey,
    amount: u64,
) -> Instruction {
    ix(
        crate::accounts::DepositLiquidity {
            owner: *owner,
            reserve: r.reserve,
            position: lp_position_address(&r.reserve, owner),
            mint: r.mint,
            liquidity_vault: r.liquidity_vault,
            owner_token_account: *source,
            token_program: r.token_program,
            system_program: anchor_lang::system_program::ID,
        },
        crate::instruction::DepositLiquidity { amount },
    )
}

pub fn withdraw_liquidity(
    owner: &Pubkey,
    r: &ReserveKeys,
    destination: &Pubkey,
    shares: u64,
) -> Instruction {
    ix(
        crate::accounts::WithdrawLiquidity {
            owner: *owner,
            reserve: r.reserve,
            position: lp_position_address(&r.reserve, owner),
            mint: r.mint,
            liquidity_vault: r.liquidity_vault,
            owner_token_account: *destination,
            token_program: r.token_program,
        },
        crate::instruction::WithdrawLiquidity { shares },
    )
}

/// An obligation and the reserves it uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObligationKeys {
    pub obligation: Pubkey,
    pub owner: Pubkey,
    pub seed: u64,
    pub collateral: ReserveKeys,
    pub borrow: ReserveKeys,
}

impl ObligationKeys {
    pub fn new(owner: Pubkey, seed: u64, collateral: ReserveKeys, borrow: ReserveKeys) -> Self {
        Self {
            obligation: obligation_address(&collateral.market, &owner, seed),
            owner,
            seed,
            collateral,
            borrow,
        }
    }

    fn book(&self) -> crate::accounts::ObligationBook {
        crate::accounts::ObligationBook {
            obligation: self.obligation,
            collateral_reserve: self.collateral.reserve,
            collateral_oracle: self.collateral.oracle,
            borrow_reserve: self.borrow.reserve,
            borrow_oracle: self.borrow.oracle,
        }
    }
}

pub fn init_obligation(payer: &Pubkey, o: &ObligationKeys) -> Instruction {
    ix(
        crate::accounts::InitObligation {
            payer: *payer,
            owner: o.owner,
            market: o.collateral.market,
            obligation: o.obligation,
            collateral_reserve: o.collateral.reserve,
            borrow_reserve: o.borrow.reserve,
            system_program: anchor_lang::system_program::ID,
        },
        crate::instruction::InitObligation { seed: o.seed },
    )
}

fn move_collateral(o: &ObligationKeys, token_account: &Pubkey) -> crate::accounts::MoveCollateral {
    crate::accounts::MoveCollateral {
        owner: o.owner,
        book: o.book(),
        mint: o.collateral.mint,
        collateral_vault: o.collateral.collateral_vault,
        owner_token_account: *token_account,
        token_program: o.collateral.token_program,
    }
}

pub fn deposit_collateral(o: &ObligationKeys, source: &Pubkey, amount: u64) -> Instruction {
    ix(
        move_collateral(o, source),
        crate::instruction::DepositCollateral { amount },
    )
}

pub fn withdraw_collateral(o: &ObligationKeys, destination: &Pubkey, amount: u64) -> Instruction {
    ix(
        move_collateral(o, destination),
        crate::instruction::WithdrawCollateral { amount },
    )
}

pub fn borrow(o: &ObligationKeys, destination: &Pubkey, amount: u64) -> Instruction {
    ix(
        crate::accounts::Borrow {
            owner: o.owner,
            book: o.book(),
            mint: o.borrow.mint,
            liquidity_vault: o.borrow.liquidity_vault,
            destination: *destination,
            token_program: o.borrow.token_program,
        },
        crate::instruction::Borrow { amount },
    )
}

pub fn repay(payer: &Pubkey, o: &ObligationKeys, source: &Pubkey, amount: u64) -> Instruction {
    ix(
        crate::accounts::Repay {
            payer: *payer,
            obligation: o.obligation,
            borrow_reserve: o.borrow.reserve,
            mint: o.borrow.mint,
            liquidity_vault: o.borrow.liquidity_vault,
            source: *source,
            token_program: o.borrow.token_program,
        },
        crate::instruction::Repay { amount },
    )
}

pub fn liquidate(
    liquidator: &Pubkey,
    o: &ObligationKeys,
    repay_from: &Pubkey,
    collateral_to: &Pubkey,
    repay_amount: u64,
) -> Instruction {
    ix(
        crate::accounts::Liquidate {
            liquidator: *liquidator,
            book: o.book(),
            borrow_mint: o.borrow.mint,
            liquidity_vault: o.borrow.liquidity_vault,
            liquidator_repay_account: *repay_from,
            collateral_mint: o.collateral.mint,
            collateral_vault: o.collateral.collateral_vault,
            liquidator_collateral_account: *collateral_to,
            borrow_token_program: o.borrow.token_program,
            collateral_token_program: o.collateral.token_program,
        },
        crate::instruction::Liquidate { repay_amount },
    )
}

pub fn flash_borrow(r: &ReserveKeys, destination: &Pubkey, amount: u64) -> Instruction {
    ix(
        crate::accounts::FlashBorrow {
            reserve: r.reserve,
            mint: r.mint,
            liquidity_vault: r.liquidity_vault,
            destination: *destination,
            instructions: solana_instructions_sysvar::ID,
            token_program: r.token_program,
        },
        crate::instruction::FlashBorrow { amount },
    )
}

pub fn flash_repay(
    authority: &Pubkey,
    r: &ReserveKeys,
    source: &Pubkey,
    amount: u64,
    borrow_instruction_index: u8,
) -> Instruction {
    ix(
        crate::accounts::FlashRepay {
            authority: *authority,
            reserve: r.reserve,
            mint: r.mint,
            liquidity_vault: r.liquidity_vault,
            source: *source,
            instructions: solana_instructions_sysvar::ID,
            token_program: r.token_program,
        },
        crate::instruction::FlashRepay {
            amount,
            borrow_instruction_index,
        },
    )
}
