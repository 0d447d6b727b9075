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

pub fn close_position(
    keys: &VaultKeys,
    keeper: &Pubkey,
    m: &Market,
    min_out: u64,
    order_id: u64,
) -> Instruction {
    ix(
        crate::accounts::ClosePosition {
            keeper: *keeper,
            trade: sell_accounts(keys, m),
        },
        crate::instruction::ClosePosition { min_out, order_id },
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

/// Builders for whole leverage transactions (shared by the tests and the keeper).
pub mod leverage {
    use super::*;
    use crate::instructions::{obligation_seed, OpenStepArgs, UnwindStepArgs};
    use crate::state::FlightKind;
    use local_lender::client::ReserveKeys;

    /// Everything one leverage loop touches.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct LoopKeys {
        pub vault: VaultKeys,
        pub market: Market,
        pub lender_market: Pubkey,
        pub collateral_reserve: ReserveKeys,
        pub borrow_reserve: ReserveKeys,
    }

    impl LoopKeys {
        pub fn leverage_loop(&self) -> Pubkey {
            Pubkey::find_program_address(
                &[
                    LOOP_SEED,
                    self.vault.vault.as_ref(),
                    self.market.mint.as_ref(),
                ],
                &crate::ID,
            )
            .0
        }

        pub fn loop_token_account(&self) -> Pubkey {
            Pubkey::find_program_address(
                &[
                    LOOP_TOKENS_SEED,
                    self.vault.vault.as_ref(),
                    self.market.mint.as_ref(),
                ],
                &crate::ID,
            )
            .0
        }

        pub fn obligation(&self) -> Pubkey {
            local_lender::client::obligation_address(
                &self.lender_market,
                &self.vault.vault,
                obligation_seed(&self.market.mint),
            )
        }

        fn loop_accounts(&self, actor: &Pubkey) -> crate::accounts::LoopAccounts {
            let (_, _, pool_base_vault) = self
                .market
                .pool
                .side(&self.vault.base_mint)
                .unwrap_or_default();
            let (_, _, pool_collateral_vault) =
                self.market.pool.side(&self.market.mint).unwrap_or_default();
            crate::accounts::LoopAccounts {
                actor: *actor,
                vault: self.vault.vault,
                allowlist: self.vault.allowlist(),
                leverage_loop: self.leverage_loop(),
                collateral_mint: self.market.mint,
                loop_token_account: self.loop_token_account(),
                base_mint: self.vault.base_mint,
                vault_token_account: self.vault.token_account,
                venue_program: local_amm::ID,
                pool: self.market.pool.pool,
                pool_base_vault,
                pool_collateral_vault,
                lender_program: local_lender::ID,
                market: self.lender_market,
                obligation: self.obligation(),
                collateral_reserve: self.collateral_reserve.reserve,
                collateral_oracle: self.collateral_reserve.oracle,
                borrow_reserve: self.borrow_reserve.reserve,
                borrow_oracle: self.borrow_reserve.oracle,
                reserve_collateral_vault: self.collateral_reserve.collateral_vault,
                reserve_liquidity_vault: self.borrow_reserve.liquidity_vault,
                base_token_program: self.vault.base_token_program,
                collateral_token_program: self.market.token_program,
                system_program: anchor_lang::system_program::ID,
            }
        }
    }

    /// One flash lender's part of the loan: a base-mint reserve, the amount, and its fee rate.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct FlashSource {
        pub reserve: ReserveKeys,
        pub amount: u64,
        pub fee_bps: u16,
    }

    impl FlashSource {
        pub fn repay(&self) -> u64 {
            self.amount + local_lender::instructions::flash_fee(self.amount, self.fee_bps)
        }
    }

    /// What all flash repays of `sources` pull.
    pub fn repay_total(sources: &[FlashSource]) -> u64 {
        sources.iter().map(FlashSource::repay).sum()
    }

    /// Optional compute-budget instructions placed first.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct ComputeBudget {
        pub unit_limit: Option<u32>,
        pub unit_price_micro_lamports: Option<u64>,
    }

    fn budget_ixs(b: ComputeBudget) -> Vec<Instruction> {
        use solana_compute_budget_interface::ComputeBudgetInstruction as C;
        let mut v = Vec::new();
        if let Some(u) = b.unit_limit {
            v.push(C::set_compute_unit_limit(u));
        }
        if let Some(p) = b.unit_price_micro_lamports {
            v.push(C::set_compute_unit_price(p));
        }
        v
    }

    fn begin(keys: &LoopKeys, actor: &Pubkey, kind: FlightKind, order_id: u64) -> Instruction {
        ix(
            crate::accounts::LeverageBegin {
                actor: *actor,
                vault: keys.vault.vault,
                governance: keys.vault.governance(),
                vault_token_account: keys.vault.token_account,
                leverage_loop: keys.leverage_loop(),
                instructions: solana_instructions_sysvar::ID,
            },
            crate::instruction::LeverageBegin { kind, order_id },
        )
    }

    fn end(keys: &LoopKeys, actor: &Pubkey) -> Instruction {
        ix(
            crate::accounts::LeverageEnd {
                l: keys.loop_accounts(actor),
            },
            crate::instruction::LeverageEnd {},
        )
    }

    /// `[budget.., begin, flash_borrow x n, step, flash_repay x n, end]`.
    #[allow(clippy::too_many_arguments)]
    fn wrap(
        keys: &LoopKeys,
        actor: &Pubkey,
        kind: FlightKind,
        order_id: u64,
        sources: &[FlashSource],
        step: Instruction,
        budget: ComputeBudget,
    ) -> Vec<Instruction> {
        let mut v = budget_ixs(budget);
        v.push(begin(keys, actor, kind, order_id));
        let first_borrow = v.len();
        for s in sources {
            v.push(local_lender::client::flash_borrow(
                &s.reserve,
                &keys.vault.token_account,
                s.amount,
            ));
        }
        v.push(step);
        for (i, s) in sources.iter().enumerate() {
            v.push(local_lender::client::flash_repay(
                actor,
                &s.reserve,
                &keys.vault.token_account,
                s.amount,
                (first_borrow + i) as u8,
            ));
        }
        v.push(end(keys, actor));
        v
    }

    /// The whole opening transaction.
    pub fn open(
        keys: &LoopKeys,
        actor: &Pubkey,
        order_id: u64,
        sources: &[FlashSource],
        args: OpenStepArgs,
        budget: ComputeBudget,
    ) -> Vec<Instruction> {
        let step = ix(
            keys.loop_accounts(actor),
            crate::instruction::LeverageOpenStep { args },
        );
        wrap(
            keys,
            actor,
            FlightKind::Open,
            order_id,
            sources,
            step,
            budget,
        )
    }

    /// The whole unwinding transaction.
    pub fn unwind(
        keys: &LoopKeys,
        actor: &Pubkey,
        order_id: u64,
        sources: &[FlashSource],
        args: UnwindStepArgs,
        budget: ComputeBudget,
    ) -> Vec<Instruction> {
        let step = ix(
            keys.loop_accounts(actor),
            crate::instruction::LeverageUnwindStep { args },
        );
        wrap(
            keys,
            actor,
            FlightKind::Unwind,
            order_id,
            sources,
            step,
            budget,
        )
    }

    pub fn check_health(keys: &LoopKeys) -> Instruction {
        ix(
            crate::accounts::CheckLoopHealth {
                vault: keys.vault.vault,
                leverage_loop: keys.leverage_loop(),
                obligation: keys.obligation(),
                collateral_reserve: keys.collateral_reserve.reserve,
                collateral_oracle: keys.collateral_reserve.oracle,
                borrow_reserve: keys.borrow_reserve.reserve,
                borrow_oracle: keys.borrow_reserve.oracle,
            },
            crate::instruction::CheckLoopHealth {},
        )
    }

    /// Adds a loop to a `mark_nav` instruction.
    pub fn push_mark(mark: &mut Instruction, keys: &LoopKeys) {
        mark.accounts
            .push(AccountMeta::new(keys.leverage_loop(), false));
        mark.accounts
            .push(AccountMeta::new_readonly(keys.market.pool.pool, false));
        mark.accounts
            .push(AccountMeta::new_readonly(keys.obligation(), false));
        mark.accounts.push(AccountMeta::new_readonly(
            keys.borrow_reserve.reserve,
            false,
        ));
    }
}
