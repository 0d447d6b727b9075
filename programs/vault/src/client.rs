//! Off-chain helpers shared by the tests and the keeper: addresses, instruction builders and
//! event decoding. Compiled only for the host.

use crate::constants::*;
use crate::instructions::InitializeVaultParams;
use crate::state::{GovernanceAction, WithdrawAmount};
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::InstructionData;

/// Address and bump of the vault created by `creator` with `vault_id`.
pub fn vault_address(creator: &Pubkey, vault_id: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[VAULT_SEED, creator.as_ref(), &vault_id.to_le_bytes()],
        &crate::ID,
    )
}

/// Address of a vault's base-token account.
pub fn vault_token_address(vault: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[VAULT_TOKENS_SEED, vault.as_ref()], &crate::ID).0
}

/// Address of an investor's position in a vault.
pub fn depositor_address(vault: &Pubkey, investor: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[DEPOSITOR_SEED, vault.as_ref(), investor.as_ref()],
        &crate::ID,
    )
    .0
}

/// Address of a vault's governance.
pub fn governance_address(vault: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[GOVERNANCE_SEED, vault.as_ref()], &crate::ID).0
}

/// Address of a vault's allowlist.
pub fn allowlist_address(vault: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[ALLOWLIST_SEED, vault.as_ref()], &crate::ID).0
}

/// Address of proposal `index` of a governance.
pub fn proposal_address(governance: &Pubkey, index: u64) -> Pubkey {
    Pubkey::find_program_address(
        &[PROPOSAL_SEED, governance.as_ref(), &index.to_le_bytes()],
        &crate::ID,
    )
    .0
}

/// Address of the vault's position in `mint`.
pub fn position_address(vault: &Pubkey, mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[POSITION_SEED, vault.as_ref(), mint.as_ref()], &crate::ID).0
}

/// Address of the token account holding the vault's position in `mint`.
pub fn position_token_address(vault: &Pubkey, mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[POSITION_TOKENS_SEED, vault.as_ref(), mint.as_ref()],
        &crate::ID,
    )
    .0
}

/// A token the vault trades and the local-AMM pool it trades it in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Market {
    pub mint: Pubkey,
    pub token_program: Pubkey,
    pub pool: local_amm::client::PoolKeys,
}

/// The fixed accounts of one vault, enough to build any instruction against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VaultKeys {
    pub vault: Pubkey,
    pub base_mint: Pubkey,
    pub base_token_program: Pubkey,
    pub token_account: Pubkey,
}

impl VaultKeys {
    pub fn new(
        creator: &Pubkey,
        vault_id: u64,
        base_mint: Pubkey,
        base_token_program: Pubkey,
    ) -> Self {
        let vault = vault_address(creator, vault_id).0;
        Self {
            vault,
            base_mint,
            base_token_program,
            token_account: vault_token_address(&vault),
        }
    }

    pub fn depositor(&self, investor: &Pubkey) -> Pubkey {
        depositor_address(&self.vault, investor)
    }

    pub fn governance(&self) -> Pubkey {
        governance_address(&self.vault)
    }

    pub fn allowlist(&self) -> Pubkey {
        allowlist_address(&self.vault)
    }
}

fn ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: crate::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

pub fn initialize_vault(
    creator: &Pubkey,
    base_mint: &Pubkey,
    base_token_program: &Pubkey,
    creator_token_account: &Pubkey,
    params: InitializeVaultParams,
) -> Instruction {
    let keys = VaultKeys::new(creator, params.vault_id, *base_mint, *base_token_program);
    ix(
        crate::accounts::InitializeVault {
            creator: *creator,
            vault: keys.vault,
            governance: keys.governance(),
            allowlist: keys.allowlist(),
            base_mint: *base_mint,
            vault_token_account: keys.token_account,
            creator_token_account: *creator_token_account,
            base_token_program: *base_token_program,
            system_program: anchor_lang::system_program::ID,
        },
        crate::instruction::InitializeVault { params },
    )
}

pub fn deposit(
    keys: &VaultKeys,
    investor: &Pubkey,
    investor_token_account: &Pubkey,
    amount: u64,
) -> Instruction {
    ix(
        crate::accounts::Deposit {
            investor: *investor,
            vault: keys.vault,
            depositor: keys.depositor(investor),
            base_mint: keys.base_mint,
            vault_token_account: keys.token_account,
            investor_token_account: *investor_token_account,
            base_token_program: keys.base_token_program,
            system_program: anchor_lang::system_program::ID,
        },
        crate::instruction::Deposit { amount },
    )
}

pub fn request_withdraw(
    keys: &VaultKeys,
    investor: &Pubkey,
    amount: WithdrawAmount,
) -> Instruction {
    ix(
        crate::accounts::RequestWithdraw {
            investor: *investor,
            vault: keys.vault,
            depositor: keys.depositor(investor),
        },
        crate::instruction::RequestWithdraw { amount },
    )
}

pub fn cancel_withdraw_request(keys: &VaultKeys, investor: &Pubkey) -> Instruction {
    ix(
        crate::accounts::CancelWithdrawRequest {
            investor: *investor,
            vault: keys.vault,
            depositor: keys.depositor(investor),
        },
        crate::instruction::CancelWithdrawRequest {},
    )
}

pub fn withdraw(
    keys: &VaultKeys,
    investor: &Pubkey,
    investor_token_account: &Pubkey,
) -> Instruction {
    ix(
        crate::accounts::Withdraw {
            investor: *investor,
            vault: keys.vault,
            depositor: keys.depositor(investor),
            base_mint: keys.base_mint,
            vault_token_account: keys.token_account,
            investor_token_account: *investor_token_account,
            base_token_program: keys.base_token_program,
        },
        crate::instruction::Withdraw {},
    )
}

pub fn close_depositor(keys: &VaultKeys, investor: &Pubkey) -> Instruction {
    ix(
        crate::accounts::CloseDepositor {
            investor: *investor,
            vault: keys.vault,
            depositor: keys.depositor(investor),
        },
        crate::instruction::CloseDepositor {},
    )
}

pub fn crystallize_fees(keys: &VaultKeys, investor: &Pubkey) -> Instruction {
    ix(
        crate::accounts::CrystallizeFees {
            vault: keys.vault,
            depositor: keys.depositor(investor),
        },
        crate::instruction::CrystallizeFees {},
    )
}

pub fn collect_fees(keys: &VaultKeys, fee_recipient_token_account: &Pubkey) -> Instruction {
    ix(
        crate::accounts::CollectFees {
            vault: keys.vault,
            base_mint: keys.base_mint,
            vault_token_account: keys.token_account,
            fee_recipient_token_account: *fee_recipient_token_account,
            base_token_program: keys.base_token_program,
        },
        crate::instruction::CollectFees {},
    )
}

pub fn propose(
    keys: &VaultKeys,
    proposer: &Pubkey,
    index: u64,
    action: GovernanceAction,
) -> Instruction {
    let governance = keys.governance();
    ix(
        crate::accounts::Propose {
            proposer: *proposer,
            governance,
            vault: keys.vault,
            allowlist: keys.allowlist(),
            proposal: proposal_address(&governance, index),
            system_program: anchor_lang::system_program::ID,
        },
        crate::instruction::Propose { action },
    )
}

fn vote_accounts(keys: &VaultKeys, member: &Pubkey, index: u64) -> crate::accounts::VoteOnProposal {
    let governance = keys.governance();
    crate::accounts::VoteOnProposal {
        member: *member,
        governance,
        proposal: proposal_address(&governance, index),
    }
}

pub fn approve_proposal(keys: &VaultKeys, member: &Pubkey, index: u64) -> Instruction {
    ix(
        vote_accounts(keys, member, index),
        crate::instruction::ApproveProposal {},
    )
}

pub fn reject_proposal(keys: &VaultKeys, member: &Pubkey, index: u64) -> Instruction {
    ix(
        vote_accounts(keys, member, index),
        crate::instruction::RejectProposal {},
    )
}

pub fn cancel_proposal(keys: &VaultKeys, member: &Pubkey, index: u64) -> Instruction {
    let governance = keys.governance();
    ix(
        crate::accounts::CancelProposal {
            member: *member,
            governance,
            proposal: proposal_address(&governance, index),
        },
        crate::instruction::CancelProposal {},
    )
}

pub fn execute_proposal(keys: &VaultKeys, executor: &Pubkey, index: u64) -> Instruction {
    let governance = keys.governance();
    ix(
        crate::accounts::ExecuteProposal {
            executor: *executor,
            governance,
            vault: keys.vault,
            allowlist: keys.allowlist(),
            proposal: proposal_address(&governance, index),
        },
        crate::instruction::ExecuteProposal {},
    )
}

pub fn guardian_act(keys: &VaultKeys, guardian: &Pubkey, action: GovernanceAction) -> Instruction {
    ix(
        crate::accounts::GuardianAct {
            guardian: *guardian,
            governance: keys.governance(),
            vault: keys.vault,
            allowlist: keys.allowlist(),
        },
        crate::instruction::GuardianAct { action },
    )
}

pub fn close_proposal(keys: &VaultKeys, proposer: &Pubkey, index: u64) -> Instruction {
    let governance = keys.governance();
    ix(
        crate::accounts::CloseProposal {
            proposer: *proposer,
            governance,
            vault: keys.vault,
            proposal: proposal_address(&governance, index),
        },
        crate::instruction::CloseProposal {},
    )
}

fn sell_accounts(keys: &VaultKeys, m: &Market) -> crate::accounts::SellAccounts {
    let (_, _, pool_base_vault) = m.pool.side(&keys.base_mint).unwrap_or_default();
    let (_, _, pool_token_vault) = m.pool.side(&m.mint).unwrap_or_default();
    crate::accounts::SellAccounts {
        vault: keys.vault,
        position: position_address(&keys.vault, &m.mint),
        mint: m.mint,
        position_token_account: position_token_address(&keys.vault, &m.mint),
        base_mint: keys.base_mint,
        vault_token_account: keys.token_account,
        venue_program: local_amm::ID,
        pool: m.pool.pool,
        pool_base_vault,
        pool_token_vault,
        base_token_program: keys.base_token_program,
        token_program: m.token_program,
    }
}

pub fn open_position(
    keys: &VaultKeys,
    keeper: &Pubkey,
    m: &Market,
    args: crate::instructions::OpenPositionArgs,
) -> Instruction {
    let (_, _, pool_base_vault) = m.pool.side(&keys.base_mint).unwrap_or_default();
    let (_, _, pool_token_vault) = m.pool.side(&m.mint).unwrap_or_default();
    ix(
        crate::accounts::OpenPosition {
            keeper: *keeper,
            vault: keys.vault,
            allowlist: keys.allowlist(),
            position: position_address(&keys.vault, &m.mint),
            mint: m.mint,
            position_token_account: position_token_address(&keys.vault, &m.mint),
            base_mint: keys.base_mint,
            vault_token_account: keys.token_account,
            venue_program: local_amm::ID,
            pool: m.pool.pool,
            pool_base_vault,
            pool_token_vault,
            base_token_program: keys.base_token_program,
            token_program: m.token_program,
            system_program: anchor_lang::system_program::ID,
        },
        crate::instruction::OpenPosition { args },
    )
}

pub fn reduce_position(
    keys: &VaultKeys,
    keeper: &Pubkey,
    m: &Market,
    args: crate::instructions::ReduceArgs,
) -> Instruction {
    ix(
        crate::accounts::ReducePosition {
            keeper: *keeper,
            trade: sell_accounts(keys, m),
        },
        crate::instruction::ReducePosition { args },
    )
}

pub fn close_position(keys: &VaultKeys, keeper: &Pubkey, m: &Market, min_out: u64) -> Instruction {
    ix(
        crate::accounts::ClosePosition {
            keeper: *keeper,
            trade: sell_accounts(keys, m),
        },
        crate::instruction::ClosePosition { min_out },
    )
}

pub fn sell_for_redemption(
    keys: &VaultKeys,
    caller: &Pubkey,
    investor: &Pubkey,
    m: &Market,
    amount: u64,
) -> Instruction {
    ix(
        crate::accounts::SellForRedemption {
            caller: *caller,
            depositor: keys.depositor(investor),
            trade: sell_accounts(keys, m),
        },
        crate::instruction::SellForRedemption { amount },
    )
}

/// Marks every listed position (`(mint, pool)` pairs).
pub fn mark_nav(keys: &VaultKeys, positions: &[(Pubkey, Pubkey)]) -> Instruction {
    let mut ix = ix(
        crate::accounts::MarkNav { vault: keys.vault },
        crate::instruction::MarkNav {},
    );
    for (mint, pool) in positions {
        ix.accounts
            .push(AccountMeta::new(position_address(&keys.vault, mint), false));
        ix.accounts.push(AccountMeta::new_readonly(*pool, false));
    }
    ix
}

pub use native_log::{decode_events, event_payloads};
