//! The vault's multisig: members with permissions, a threshold, a timelock and guardians.

use crate::constants::*;
use crate::error::VaultError;
use anchor_lang::prelude::*;

/// May create proposals.
pub const PERMISSION_PROPOSE: u8 = 1 << 0;
/// May approve, reject and vote to cancel.
pub const PERMISSION_VOTE: u8 = 1 << 1;
/// May execute approved proposals.
pub const PERMISSION_EXECUTE: u8 = 1 << 2;
/// All three.
pub const PERMISSION_ALL: u8 = PERMISSION_PROPOSE | PERMISSION_VOTE | PERMISSION_EXECUTE;

/// One member of a governance.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct Member {
    pub key: Pubkey,
    /// Bit set of `PERMISSION_*`.
    pub permissions: u8,
    /// A guardian may, alone and at once, pause or tighten — never loosen, resume or move funds.
    pub guardian: bool,
}

impl Member {
    pub fn can(&self, permission: u8) -> bool {
        self.permissions & permission == permission
    }
}

/// The multisig that owns every privileged change to one vault.
#[account]
#[derive(InitSpace, Debug)]
pub struct Governance {
    pub version: u8,
    pub bump: u8,
    /// The vault governed.
    pub vault: Pubkey,
    #[max_len(MAX_MEMBERS)]
    pub members: Vec<Member>,
    /// Approvals needed to pass a proposal.
    pub threshold: u8,
    /// Seconds between approval and execution for changes that are neither protective nor
    /// adverse to investors.
    pub timelock_seconds: u64,
    /// How long a proposal may wait for its votes, and, once executable, for its execution.
    pub proposal_lifetime_seconds: u64,
    /// Index of the latest proposal (the first is 1).
    pub proposal_index: u64,
    /// Proposals with an index at or below this are stale: a change of members, threshold or
    /// timelock happened after they were created.
    pub stale_index: u64,
}

impl Governance {
    pub fn member(&self, key: &Pubkey) -> Option<&Member> {
        self.members.iter().find(|m| m.key == *key)
    }

    /// The member `key`, who must hold `permission`.
    pub fn require_permission(&self, key: &Pubkey, permission: u8) -> Result<Member> {
        let m = self.member(key).ok_or(VaultError::NotAMember)?;
        require!(m.can(permission), VaultError::MissingPermission);
        Ok(*m)
    }

    /// Members who may vote.
    pub fn voters(&self) -> usize {
        self.members
            .iter()
            .filter(|m| m.can(PERMISSION_VOTE))
            .count()
    }

    /// Whether proposal `index` has been made stale by a later governance change.
    pub fn is_stale(&self, index: u64) -> bool {
        index <= self.stale_index
    }

    /// Rules that must hold after every change: 1..=10 distinct, non-default members, each
    /// with a permission or the guardian role; at least one proposer and one executor;
    /// 1 <= threshold <= voters; timelock and lifetime within bounds.
    pub fn invariant(&self) -> Result<()> {
        validate_members(&self.members)?;
        require!(
            self.threshold >= 1 && (self.threshold as usize) <= self.voters(),
            VaultError::InvalidThreshold
        );
        require!(
            self.timelock_seconds <= MAX_TIMELOCK_SECONDS,
            VaultError::TimelockTooLong
        );
        require!(
            (MIN_PROPOSAL_LIFETIME_SECONDS..=MAX_PROPOSAL_LIFETIME_SECONDS)
                .contains(&self.proposal_lifetime_seconds),
            VaultError::InvalidProposalLifetime
        );
        Ok(())
    }
}

/// Checks a member list on its own (see [`Governance::invariant`]).
pub fn validate_members(members: &[Member]) -> Result<()> {
    require!(
        !members.is_empty() && members.len() <= MAX_MEMBERS,
        VaultError::InvalidMembers
    );
    for (i, m) in members.iter().enumerate() {
        require!(m.key != Pubkey::default(), VaultError::InvalidMembers);
        require!(
            m.permissions & !PERMISSION_ALL == 0 && (m.permissions != 0 || m.guardian),
            VaultError::InvalidMembers
        );
        require!(
            !members[..i].iter().any(|o| o.key == m.key),
            VaultError::DuplicateMember
        );
    }
    require!(
        members.iter().any(|m| m.can(PERMISSION_PROPOSE))
            && members.iter().any(|m| m.can(PERMISSION_EXECUTE)),
        VaultError::InvalidMembers
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(permissions: u8) -> Member {
        Member {
            key: Pubkey::new_unique(),
            permissions,
            guardian: false,
        }
    }

    fn gov(members: Vec<Member>, threshold: u8) -> Governance {
        Governance {
            version: 1,
            bump: 0,
            vault: Pubkey::new_unique(),
            members,
            threshold,
            timelock_seconds: 0,
            proposal_lifetime_seconds: MIN_PROPOSAL_LIFETIME_SECONDS,
            proposal_index: 0,
            stale_index: 0,
        }
    }

    fn code(e: anchor_lang::error::Error) -> u32 {
        match e {
            anchor_lang::error::Error::AnchorError(a) => a.error_code_number,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn invariant_cases() {
        let a = member(PERMISSION_ALL);
        let v = member(PERMISSION_VOTE);
        gov(vec![a, v], 2).invariant().unwrap();
        assert_eq!(
            code(gov(vec![a, v], 3).invariant().unwrap_err()),
            u32::from(VaultError::InvalidThreshold)
        );
        assert_eq!(
            code(gov(vec![a, v], 0).invariant().unwrap_err()),
            u32::from(VaultError::InvalidThreshold)
        );
        assert_eq!(
            code(gov(vec![a, a], 1).invariant().unwrap_err()),
            u32::from(VaultError::DuplicateMember)
        );
        assert_eq!(
            code(gov(vec![v], 1).invariant().unwrap_err()),
            u32::from(VaultError::InvalidMembers)
        );
        assert_eq!(
            code(gov(vec![], 1).invariant().unwrap_err()),
            u32::from(VaultError::InvalidMembers)
        );
        assert_eq!(
            code(gov(vec![a, member(0)], 1).invariant().unwrap_err()),
            u32::from(VaultError::InvalidMembers)
        );
        assert_eq!(
            code(gov(vec![a, member(8)], 1).invariant().unwrap_err()),
            u32::from(VaultError::InvalidMembers)
        );
        let many: Vec<Member> = (0..=MAX_MEMBERS).map(|_| member(PERMISSION_ALL)).collect();
        assert_eq!(
            code(gov(many, 1).invariant().unwrap_err()),
            u32::from(VaultError::InvalidMembers)
        );
        let mut g = gov(vec![a], 1);
        g.timelock_seconds = MAX_TIMELOCK_SECONDS + 1;
        assert_eq!(
            code(g.invariant().unwrap_err()),
            u32::from(VaultError::TimelockTooLong)
        );
        let mut g = gov(vec![a], 1);
        g.proposal_lifetime_seconds = MIN_PROPOSAL_LIFETIME_SECONDS - 1;
        assert_eq!(
            code(g.invariant().unwrap_err()),
            u32::from(VaultError::InvalidProposalLifetime)
        );
        // A guardian with no other permission is a valid member.
        let mut guard = member(0);
        guard.guardian = true;
        gov(vec![a, guard], 1).invariant().unwrap();
    }
}
