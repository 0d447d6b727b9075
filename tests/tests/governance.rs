//! The vault's multisig: proposal lifecycle, delays by class, staleness, expiry, guardians,
//! every typed action, and invariant violations — each refusal with its exact error.

use anchor_lang::error::ErrorCode as AnchorError;
use flashforge_tests::vault_fixture::*;
use flashforge_tests::*;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use vault::constants::*;
use vault::error::VaultError;
use vault::events::{ActionExecuted, ProposalCancelled, ProposalCreated, ProposalVoted};
use vault::state::{
    ActionSnapshot, Allowlist, BreakerReason, ChangeClass, FeeRates, GovernanceAction,
    InvestorTier, Member, ProposalStatus, VenueEntry, PERMISSION_ALL, PERMISSION_EXECUTE,
    PERMISSION_PROPOSE, PERMISSION_VOTE,
};

const TIMELOCK: i64 = DAY;

/// A council of three voters with threshold 2 and a one-day timelock:
/// `alice` (all permissions), `bob` (propose + vote), `carol` (vote + execute), plus a
/// guardian `gina` with no other permission and `olga` who may only propose.
struct Council {
    chain: TestChain,
    f: VaultFixture,
    alice: Keypair,
    bob: Keypair,
    carol: Keypair,
    gina: Keypair,
    olga: Keypair,
}

async fn council() -> Council {
    let mut chain = TestChain::start().await;
    let alice = chain.funded_keypair(1_000_000_000).await;
    let bob = chain.funded_keypair(1_000_000_000).await;
    let carol = chain.funded_keypair(1_000_000_000).await;
    let gina = chain.funded_keypair(1_000_000_000).await;
    let olga = chain.funded_keypair(1_000_000_000).await;
    let members = vec![
        Member {
            key: alice.pubkey(),
            permissions: PERMISSION_ALL,
            guardian: false,
        },
        Member {
            key: bob.pubkey(),
            permissions: PERMISSION_PROPOSE | PERMISSION_VOTE,
            guardian: false,
        },
        Member {
            key: carol.pubkey(),
            permissions: PERMISSION_VOTE | PERMISSION_EXECUTE,
            guardian: false,
        },
        Member {
            key: gina.pubkey(),
            permissions: 0,
            guardian: true,
        },
        Member {
            key: olga.pubkey(),
            permissions: PERMISSION_PROPOSE,
            guardian: false,
        },
    ];
    let f = chain
        .create_vault(VaultSpec::default(), |p| {
            p.governance.members = members;
            p.governance.threshold = 2;
            p.governance.timelock_seconds = TIMELOCK as u64;
            p.governance.proposal_lifetime_seconds = 10 * DAY as u64;
        })
        .await;
    Council {
        chain,
        f,
        alice,
        bob,
        carol,
        gina,
        olga,
    }
}

impl Council {
    /// Proposes (alice) and approves (alice, bob).
    async fn pass(&mut self, action: GovernanceAction) -> u64 {
        let (i, out) = self.chain.propose(&self.f, &self.alice, action).await;
        out.unwrap();
        self.chain.approve(&self.f, &self.alice, i).await.unwrap();
        self.chain.approve(&self.f, &self.bob, i).await.unwrap();
        i
    }
}

#[tokio::test]
async fn approval_needs_the_threshold_and_each_member_votes_once() {
    let mut c = council().await;
    let keeper = Pubkey::new_unique();
    let (i, out) = c
        .chain
        .propose(&c.f, &c.bob, GovernanceAction::SetKeeper(keeper))
        .await;
    let created = &out.unwrap().events::<ProposalCreated>()[0];
    assert_eq!(
        (created.index, created.proposer, created.class),
        (1, c.bob.pubkey(), ChangeClass::Neutral)
    );

    let out = c.chain.approve(&c.f, &c.alice, i).await.unwrap();
    let v = &out.events::<ProposalVoted>()[0];
    assert_eq!((v.approvals, v.status_after), (1, ProposalStatus::Active));
    assert_error(
        &c.chain.approve(&c.f, &c.alice, i).await,
        VaultError::AlreadyVoted,
    );
    assert_error(
        &c.chain.reject(&c.f, &c.alice, i).await,
        VaultError::AlreadyVoted,
    );
    // Not approved yet: cannot execute.
    assert_error(
        &c.chain.execute(&c.f, &c.carol, i).await,
        VaultError::ProposalNotApproved,
    );

    let out = c.chain.approve(&c.f, &c.carol, i).await.unwrap();
    let v = &out.events::<ProposalVoted>()[0];
    assert_eq!(
        (v.approvals, v.status_before, v.status_after),
        (2, ProposalStatus::Active, ProposalStatus::Approved)
    );
    assert_error(
        &c.chain.approve(&c.f, &c.bob, i).await,
        VaultError::ProposalNotActive,
    );

    c.chain.warp_seconds(TIMELOCK).await;
    let out = c.chain.execute(&c.f, &c.carol, i).await.unwrap();
    let e = &out.events::<ActionExecuted>()[0];
    assert_eq!(
        (e.proposal_index, e.by, e.guardian),
        (1, c.carol.pubkey(), false)
    );
    assert_eq!(c.chain.vault_state(&c.f).await.config.keeper, keeper);
    assert_eq!(
        c.chain.proposal_state(&c.f, i).await.status,
        ProposalStatus::Executed
    );
    // Executed once only.
    assert_error(
        &c.chain.execute(&c.f, &c.carol, i).await,
        VaultError::ProposalNotApproved,
    );
}

#[tokio::test]
async fn rejection_closes_the_proposal_once_approval_is_impossible() {
    let mut c = council().await;
    let (i, _) = c
        .chain
        .propose(
            &c.f,
            &c.alice,
            GovernanceAction::SetKeeper(Pubkey::new_unique()),
        )
        .await;
    // Three voters, threshold two: one rejection leaves approval possible, two do not.
    let out = c.chain.reject(&c.f, &c.bob, i).await.unwrap();
    assert_eq!(
        out.events::<ProposalVoted>()[0].status_after,
        ProposalStatus::Active
    );
    let out = c.chain.reject(&c.f, &c.carol, i).await.unwrap();
    assert_eq!(
        out.events::<ProposalVoted>()[0].status_after,
        ProposalStatus::Rejected
    );
    assert_error(
        &c.chain.approve(&c.f, &c.alice, i).await,
        VaultError::ProposalNotActive,
    );
    assert_error(
        &c.chain.execute(&c.f, &c.alice, i).await,
        VaultError::ProposalNotApproved,
    );
}

#[tokio::test]
async fn non_members_and_missing_permissions_are_refused() {
    let mut c = council().await;
    let stranger = c.chain.funded_keypair(1_000_000_000).await;
    let action = GovernanceAction::SetKeeper(Pubkey::new_unique());
    assert_error(
        &c.chain.propose(&c.f, &stranger, action.clone()).await.1,
        VaultError::NotAMember,
    );
    // Carol may vote and execute but not propose; the guardian may do none of it.
    assert_error(
        &c.chain.propose(&c.f, &c.carol, action.clone()).await.1,
        VaultError::MissingPermission,
    );
    assert_error(
        &c.chain.propose(&c.f, &c.gina, action.clone()).await.1,
        VaultError::MissingPermission,
    );
    let (i, _) = c.chain.propose(&c.f, &c.olga, action.clone()).await;
    assert_error(
        &c.chain.approve(&c.f, &stranger, i).await,
        VaultError::NotAMember,
    );
    assert_error(
        &c.chain.approve(&c.f, &c.olga, i).await,
        VaultError::MissingPermission,
    );
    assert_error(
        &c.chain.approve(&c.f, &c.gina, i).await,
        VaultError::MissingPermission,
    );
    c.chain.approve(&c.f, &c.alice, i).await.unwrap();
    c.chain.approve(&c.f, &c.bob, i).await.unwrap();
    c.chain.warp_seconds(TIMELOCK).await;
    assert_error(
        &c.chain.execute(&c.f, &stranger, i).await,
        VaultError::NotAMember,
    );
    assert_error(
        &c.chain.execute(&c.f, &c.bob, i).await,
        VaultError::MissingPermission,
    );
    c.chain.execute(&c.f, &c.alice, i).await.unwrap();
    // Unsigned proposals are impossible.
    let mut ix = vault::client::propose(&c.f.keys, &c.alice.pubkey(), 2, action);
    ix.accounts[0].is_signer = false;
    assert_error(
        &c.chain.send(&[ix], &[]).await,
        AnchorError::AccountNotSigner,
    );
}

#[tokio::test]
async fn neutral_changes_wait_the_timelock_exactly() {
    let mut c = council().await;
    let i = c
        .pass(GovernanceAction::SetKeeper(Pubkey::new_unique()))
        .await;
    c.chain.warp_seconds(TIMELOCK - 1).await;
    assert_error(
        &c.chain.execute(&c.f, &c.carol, i).await,
        VaultError::TimelockActive,
    );
    c.chain.warp_seconds(1).await;
    c.chain.execute(&c.f, &c.carol, i).await.unwrap();
}

#[tokio::test]
async fn fee_increases_wait_for_investors_to_be_able_to_leave() {
    let mut c = council().await;
    // Notice is 7 days: an increase waits max(1 day, 7 days, 14 days) = 14 days.
    let up = vec![
        FeeRates {
            management_fee_bps: 250,
            performance_fee_bps: 2_000
        };
        3
    ];
    let i = c.pass(GovernanceAction::SetFeeRates(up)).await;
    c.chain.warp_seconds(14 * DAY - 1).await;
    assert_error(
        &c.chain.execute(&c.f, &c.carol, i).await,
        VaultError::TimelockActive,
    );
    c.chain.warp_seconds(1).await;
    let out = c.chain.execute(&c.f, &c.carol, i).await.unwrap();
    assert_eq!(
        out.events::<ActionExecuted>()[0].class,
        ChangeClass::Adverse
    );
    let tiers = c.chain.vault_state(&c.f).await.config.tiers;
    assert!(tiers.iter().all(|t| t.management_fee_bps == 250));

    // A notice period of 30 days stretches the wait to 60 days; below 3.5 days the 7-day floor holds.
    let i = c.pass(GovernanceAction::SetNotice(30 * DAY as u64)).await;
    c.chain.warp_seconds(14 * DAY).await;
    c.chain.execute(&c.f, &c.carol, i).await.unwrap();
    let looser = {
        let mut r = c.chain.vault_state(&c.f).await.risk;
        r.max_buy_per_trade += 1;
        r
    };
    let i = c.pass(GovernanceAction::SetRiskLimits(looser)).await;
    c.chain.warp_seconds(60 * DAY - 1).await;
    assert_error(
        &c.chain.execute(&c.f, &c.carol, i).await,
        VaultError::TimelockActive,
    );
    c.chain.warp_seconds(1).await;
    c.chain.execute(&c.f, &c.carol, i).await.unwrap();
    assert_eq!(c.chain.vault_state(&c.f).await.risk, looser);
}

#[tokio::test]
async fn decreases_and_tightenings_execute_right_after_approval() {
    let mut c = council().await;
    let down = vec![
        FeeRates {
            management_fee_bps: 100,
            performance_fee_bps: 1_000
        };
        3
    ];
    let i = c.pass(GovernanceAction::SetFeeRates(down)).await;
    let out = c.chain.execute(&c.f, &c.carol, i).await.unwrap();
    assert_eq!(
        out.events::<ActionExecuted>()[0].class,
        ChangeClass::Protective
    );
    let mut tighter = c.chain.vault_state(&c.f).await.risk;
    tighter.max_open_positions = 3;
    let i = c.pass(GovernanceAction::SetRiskLimits(tighter)).await;
    c.chain.execute(&c.f, &c.carol, i).await.unwrap();
    assert_eq!(c.chain.vault_state(&c.f).await.risk.max_open_positions, 3);
}

#[tokio::test]
async fn a_membership_change_makes_older_proposals_stale() {
    let mut c = council().await;
    let old = c
        .pass(GovernanceAction::SetKeeper(Pubkey::new_unique()))
        .await;
    let (pending, _) = c
        .chain
        .propose(&c.f, &c.alice, GovernanceAction::SetMinDeposit(7))
        .await;
    let mut members = c.chain.governance_state(&c.f).await.members;
    members.retain(|m| m.key != c.olga.pubkey());
    let change = c.pass(GovernanceAction::SetMembers(members.clone())).await;
    c.chain.warp_seconds(TIMELOCK).await;
    let out = c.chain.execute(&c.f, &c.carol, change).await.unwrap();
    match &out.events::<ActionExecuted>()[0].after {
        ActionSnapshot::Governance {
            members: m,
            stale_index,
            ..
        } => {
            assert_eq!(m, &members);
            assert_eq!(*stale_index, change);
        }
        other => panic!("unexpected snapshot {other:?}"),
    }
    assert_error(
        &c.chain.execute(&c.f, &c.carol, old).await,
        VaultError::ProposalStale,
    );
    assert_error(
        &c.chain.approve(&c.f, &c.alice, pending).await,
        VaultError::ProposalStale,
    );
    // New proposals work; the removed member is out.
    let (_, out) = c
        .chain
        .propose(&c.f, &c.olga, GovernanceAction::SetMinDeposit(7))
        .await;
    assert_error(&out, VaultError::NotAMember);
    let fresh = c.pass(GovernanceAction::SetMinDeposit(7)).await;
    c.chain.warp_seconds(TIMELOCK).await;
    c.chain.execute(&c.f, &c.carol, fresh).await.unwrap();
    // Timelock and threshold changes stale older proposals too.
    let before = c.pass(GovernanceAction::SetMinDeposit(9)).await;
    let i = c.pass(GovernanceAction::SetTimelock(2 * DAY as u64)).await;
    c.chain.warp_seconds(TIMELOCK).await;
    c.chain.execute(&c.f, &c.carol, i).await.unwrap();
    c.chain.warp_seconds(2 * DAY).await;
    assert_error(
        &c.chain.execute(&c.f, &c.carol, before).await,
        VaultError::ProposalStale,
    );
    let before = c.pass(GovernanceAction::SetMinDeposit(9)).await;
    let i = c.pass(GovernanceAction::SetThreshold(3)).await;
    c.chain.warp_seconds(2 * DAY).await;
    c.chain.execute(&c.f, &c.carol, i).await.unwrap();
    assert_error(
        &c.chain.execute(&c.f, &c.carol, before).await,
        VaultError::ProposalStale,
    );
}

#[tokio::test]
async fn proposals_expire() {
    let mut c = council().await;
    // Voting window: ten days from creation.
    let (i, _) = c
        .chain
        .propose(&c.f, &c.alice, GovernanceAction::SetMinDeposit(3))
        .await;
    c.chain.approve(&c.f, &c.alice, i).await.unwrap();
    c.chain.warp_seconds(10 * DAY + 1).await;
    assert_error(
        &c.chain.approve(&c.f, &c.bob, i).await,
        VaultError::ProposalExpired,
    );
    // Execution window: ten days from when it became executable.
    let j = c.pass(GovernanceAction::SetMinDeposit(4)).await;
    c.chain.warp_seconds(TIMELOCK + 10 * DAY + 1).await;
    assert_error(
        &c.chain.execute(&c.f, &c.carol, j).await,
        VaultError::ProposalExpired,
    );
    // Finished proposals can be closed, refunding the proposer; live ones cannot.
    let k = c.pass(GovernanceAction::SetMinDeposit(5)).await;
    let close = |i| vault::client::close_proposal(&c.f.keys, &c.alice.pubkey(), i);
    let (ck, ci, cj) = (close(k), close(i), close(j));
    assert_error(
        &c.chain.send(&[ck], &[]).await,
        VaultError::ProposalStillLive,
    );
    let before = c.chain.lamports(&c.alice.pubkey()).await;
    c.chain.send(&[ci, cj], &[]).await.unwrap();
    assert!(c.chain.lamports(&c.alice.pubkey()).await > before);
    // Rent goes only to the proposer.
    let mut wrong = vault::client::close_proposal(&c.f.keys, &c.bob.pubkey(), k);
    wrong.accounts[0].pubkey = c.bob.pubkey();
    assert_error(&c.chain.send(&[wrong], &[]).await, VaultError::NotProposer);
}

#[tokio::test]
async fn cancellation_rules() {
    let mut c = council().await;
    let (i, _) = c
        .chain
        .propose(&c.f, &c.bob, GovernanceAction::SetMinDeposit(3))
        .await;
    assert_error(
        &c.chain.cancel(&c.f, &c.alice, i).await,
        VaultError::NotProposer,
    );
    let out = c.chain.cancel(&c.f, &c.bob, i).await.unwrap();
    assert_eq!(
        out.events::<ProposalCancelled>()[0].status_after,
        ProposalStatus::Cancelled
    );
    assert_error(
        &c.chain.cancel(&c.f, &c.bob, i).await,
        VaultError::ProposalNotActive,
    );
    // Approved proposals need the threshold of cancel votes.
    let j = c.pass(GovernanceAction::SetMinDeposit(3)).await;
    assert_error(
        &c.chain.cancel(&c.f, &c.olga, j).await,
        VaultError::MissingPermission,
    );
    let out = c.chain.cancel(&c.f, &c.carol, j).await.unwrap();
    assert_eq!(
        out.events::<ProposalCancelled>()[0].status_after,
        ProposalStatus::Approved
    );
    assert_error(
        &c.chain.cancel(&c.f, &c.carol, j).await,
        VaultError::AlreadyVoted,
    );
    c.chain.cancel(&c.f, &c.bob, j).await.unwrap();
    c.chain.warp_seconds(TIMELOCK).await;
    assert_error(
        &c.chain.execute(&c.f, &c.carol, j).await,
        VaultError::ProposalNotApproved,
    );
}

#[tokio::test]
async fn guardians_protect_alone_and_never_loosen() {
    let mut c = council().await;
    let mut tighter = c.chain.vault_state(&c.f).await.risk;
    tighter.max_buy_per_trade /= 2;
    let out = c
        .chain
        .guardian_act(&c.f, &c.gina, GovernanceAction::SetRiskLimits(tighter))
        .await
        .unwrap();
    let e = &out.events::<ActionExecuted>()[0];
    assert!(e.guardian && e.proposal_index == 0);
    assert_eq!(c.chain.vault_state(&c.f).await.risk, tighter);

    let mut looser = tighter;
    looser.max_buy_per_trade += 1;
    assert_error(
        &c.chain
            .guardian_act(&c.f, &c.gina, GovernanceAction::SetRiskLimits(looser))
            .await,
        VaultError::NotProtective,
    );
    c.chain
        .guardian_act(&c.f, &c.gina, GovernanceAction::PauseTrading)
        .await
        .unwrap();
    assert!(c.chain.vault_state(&c.f).await.config.trading_paused);
    assert_error(
        &c.chain
            .guardian_act(&c.f, &c.gina, GovernanceAction::ResumeTrading)
            .await,
        VaultError::NotProtective,
    );
    assert_error(
        &c.chain
            .guardian_act(&c.f, &c.gina, GovernanceAction::PauseTrading)
            .await,
        VaultError::NoChange,
    );
    // Protective, but not a guardian's to make.
    let down = vec![
        FeeRates {
            management_fee_bps: 0,
            performance_fee_bps: 0
        };
        3
    ];
    assert_error(
        &c.chain
            .guardian_act(&c.f, &c.gina, GovernanceAction::SetFeeRates(down))
            .await,
        VaultError::NotProtective,
    );
    assert_error(
        &c.chain
            .guardian_act(&c.f, &c.gina, GovernanceAction::SetKeeper(c.gina.pubkey()))
            .await,
        VaultError::NotProtective,
    );
    // Members who are not guardians, and strangers, cannot act alone.
    assert_error(
        &c.chain
            .guardian_act(&c.f, &c.alice, GovernanceAction::PauseDeposits)
            .await,
        VaultError::NotAGuardian,
    );
    let stranger = Keypair::new();
    assert_error(
        &c.chain
            .guardian_act(&c.f, &stranger, GovernanceAction::PauseDeposits)
            .await,
        VaultError::NotAMember,
    );
    c.chain
        .guardian_act(&c.f, &c.gina, GovernanceAction::StartEmergencyDeleverage)
        .await
        .unwrap();
    assert!(c.chain.vault_state(&c.f).await.emergency_deleverage);
}

#[tokio::test]
async fn every_typed_action_changes_the_vault() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let key = || Pubkey::new_unique();
    let venue = VenueEntry {
        program: key(),
        any_pool: false,
        any_mint: true,
    };
    let (pool, mint) = (key(), key());
    let mut risk = chain.vault_state(&f).await.risk;
    risk.min_safety_score = 80;
    let tiers = vec![InvestorTier {
        min_deposit: 0,
        max_deposit: u64::MAX,
        management_fee_bps: 50,
        performance_fee_bps: 500,
    }];
    let new_keeper = key();
    let new_recipient = key();
    let other = chain.funded_keypair(1_000_000_000).await;

    chain
        .govern(&f, GovernanceAction::SetRiskLimits(risk))
        .await
        .unwrap();
    assert_eq!(chain.vault_state(&f).await.risk.min_safety_score, 80);
    chain
        .govern(
            &f,
            GovernanceAction::SetFeeRates(vec![
                FeeRates {
                    management_fee_bps: 10,
                    performance_fee_bps: 20
                };
                3
            ]),
        )
        .await
        .unwrap();
    assert!(chain
        .vault_state(&f)
        .await
        .config
        .tiers
        .iter()
        .all(|t| (t.management_fee_bps, t.performance_fee_bps) == (10, 20)));
    chain
        .govern(&f, GovernanceAction::SetInvestorTiers(tiers.clone()))
        .await
        .unwrap();
    assert_eq!(chain.vault_state(&f).await.config.tiers, tiers);
    chain
        .govern(&f, GovernanceAction::SetKeeper(new_keeper))
        .await
        .unwrap();
    assert_eq!(chain.vault_state(&f).await.config.keeper, new_keeper);
    chain
        .govern(&f, GovernanceAction::SetFeeRecipient(new_recipient))
        .await
        .unwrap();
    assert_eq!(
        chain.vault_state(&f).await.config.fee_recipient,
        new_recipient
    );

    chain
        .govern(&f, GovernanceAction::AllowVenue(venue))
        .await
        .unwrap();
    chain
        .govern(&f, GovernanceAction::AllowPool(pool))
        .await
        .unwrap();
    chain
        .govern(&f, GovernanceAction::AllowMint(mint))
        .await
        .unwrap();
    let list: Allowlist = chain.anchor_account(&f.keys.allowlist()).await;
    assert_eq!(
        (list.venues.clone(), list.pools.clone(), list.mints.clone()),
        (vec![venue], vec![pool], vec![mint])
    );
    assert!(
        list.permits(&venue.program, &pool, &key()),
        "any mint on this venue, listed pool"
    );
    assert!(
        !list.permits(&venue.program, &key(), &mint),
        "unlisted pool"
    );
    assert_error(
        &chain.govern(&f, GovernanceAction::AllowPool(pool)).await,
        VaultError::AlreadyAllowlisted,
    );
    chain
        .govern(&f, GovernanceAction::DisallowVenue(venue.program))
        .await
        .unwrap();
    chain
        .govern(&f, GovernanceAction::DisallowPool(pool))
        .await
        .unwrap();
    chain
        .govern(&f, GovernanceAction::DisallowMint(mint))
        .await
        .unwrap();
    let list: Allowlist = chain.anchor_account(&f.keys.allowlist()).await;
    assert!(list.venues.is_empty() && list.pools.is_empty() && list.mints.is_empty());
    assert_error(
        &chain.govern(&f, GovernanceAction::DisallowMint(mint)).await,
        VaultError::NotAllowlisted,
    );

    chain
        .govern(&f, GovernanceAction::PauseTrading)
        .await
        .unwrap();
    assert!(chain.vault_state(&f).await.config.trading_paused);
    chain
        .govern(&f, GovernanceAction::ResumeTrading)
        .await
        .unwrap();
    assert!(!chain.vault_state(&f).await.config.trading_paused);
    chain
        .govern(&f, GovernanceAction::PauseDeposits)
        .await
        .unwrap();
    assert!(chain.vault_state(&f).await.config.deposits_paused);
    chain
        .govern(&f, GovernanceAction::ResumeDeposits)
        .await
        .unwrap();
    assert!(!chain.vault_state(&f).await.config.deposits_paused);

    chain
        .govern(&f, GovernanceAction::SetLockup(DAY as u64))
        .await
        .unwrap();
    chain
        .govern(&f, GovernanceAction::SetNotice(2 * DAY as u64))
        .await
        .unwrap();
    chain
        .govern(
            &f,
            GovernanceAction::SetCrystallizationPeriod(3 * DAY as u64),
        )
        .await
        .unwrap();
    chain
        .govern(&f, GovernanceAction::SetMinDeposit(11))
        .await
        .unwrap();
    chain
        .govern(&f, GovernanceAction::SetMaxAum(10_000_000_000))
        .await
        .unwrap();
    let c = chain.vault_state(&f).await.config;
    assert_eq!(
        (
            c.lockup_seconds,
            c.notice_seconds,
            c.crystallization_period_seconds,
            c.min_deposit,
            c.max_aum
        ),
        (
            DAY as u64,
            2 * DAY as u64,
            3 * DAY as u64,
            11,
            10_000_000_000
        )
    );

    // The breaker resets only when tripped, and is baselined at the current NAV.
    assert_error(
        &chain
            .govern(&f, GovernanceAction::ResetCircuitBreaker)
            .await,
        VaultError::NoChange,
    );
    chain
        .rewrite_vault(&f, |v| {
            v.breaker.tripped = true;
            v.breaker.reason = BreakerReason::Drawdown;
        })
        .await;
    let out = chain
        .govern(&f, GovernanceAction::ResetCircuitBreaker)
        .await
        .unwrap();
    let b = chain.vault_state(&f).await.breaker;
    assert!(!b.tripped && b.reason == BreakerReason::None);
    assert!(
        matches!(out.events::<ActionExecuted>()[0].before, ActionSnapshot::Breaker(s) if s.tripped)
    );

    chain
        .govern(&f, GovernanceAction::StartEmergencyDeleverage)
        .await
        .unwrap();
    assert!(chain.vault_state(&f).await.emergency_deleverage);

    chain
        .govern(&f, GovernanceAction::SetProposalLifetime(5 * DAY as u64))
        .await
        .unwrap();
    chain
        .govern(&f, GovernanceAction::SetTimelock(60))
        .await
        .unwrap();
    let mut members = chain.governance_state(&f).await.members;
    members.push(Member {
        key: other.pubkey(),
        permissions: PERMISSION_VOTE,
        guardian: false,
    });
    chain
        .govern(&f, GovernanceAction::SetMembers(members.clone()))
        .await
        .unwrap();
    chain
        .govern(&f, GovernanceAction::SetThreshold(1))
        .await
        .unwrap_err_code(VaultError::NoChange);
    let g = chain.governance_state(&f).await;
    assert_eq!(
        (g.members, g.timelock_seconds, g.proposal_lifetime_seconds),
        (members, 60, 5 * DAY as u64)
    );
}

#[tokio::test]
async fn actions_that_would_break_an_invariant_are_refused_when_proposed() {
    let mut chain = TestChain::start().await;
    let f = chain.create_vault(VaultSpec::default(), |_| {}).await;
    let governor = f.governor.insecure_clone();
    let members = chain.governance_state(&f).await.members;
    let mut dup = members.clone();
    dup.push(members[0]);
    let mut risk = chain.vault_state(&f).await.risk;
    risk.min_health_factor_bps = MIN_HEALTH_FACTOR_FLOOR_BPS - 1;
    let mut bad_bands = chain.vault_state(&f).await.risk;
    bad_bands.bands[1].nav_below = bad_bands.bands[0].nav_below;
    let cases = [
        (
            GovernanceAction::SetThreshold(0),
            VaultError::InvalidThreshold,
        ),
        (
            GovernanceAction::SetThreshold(2),
            VaultError::InvalidThreshold,
        ),
        (
            GovernanceAction::SetMembers(dup),
            VaultError::DuplicateMember,
        ),
        (
            GovernanceAction::SetMembers(vec![]),
            VaultError::InvalidMembers,
        ),
        (
            GovernanceAction::SetMembers(vec![members[1]]),
            VaultError::InvalidMembers,
        ),
        (
            GovernanceAction::SetTimelock(MAX_TIMELOCK_SECONDS + 1),
            VaultError::TimelockTooLong,
        ),
        (
            GovernanceAction::SetProposalLifetime(60),
            VaultError::InvalidProposalLifetime,
        ),
        (
            GovernanceAction::SetRiskLimits(risk),
            VaultError::HealthFactorFloor,
        ),
        (
            GovernanceAction::SetRiskLimits(bad_bands),
            VaultError::InvalidRiskLimits,
        ),
        (
            GovernanceAction::SetFeeRates(vec![]),
            VaultError::FeeRatesMismatch,
        ),
        (
            GovernanceAction::SetFeeRates(vec![
                FeeRates {
                    management_fee_bps: MAX_MANAGEMENT_FEE_BPS + 1,
                    performance_fee_bps: 0
                };
                3
            ]),
            VaultError::FeeRateTooHigh,
        ),
        (
            GovernanceAction::SetInvestorTiers(vec![]),
            VaultError::InvalidTiers,
        ),
        (
            GovernanceAction::SetLockup(MAX_LOCKUP_SECONDS + 1),
            VaultError::LockupTooLong,
        ),
        (
            GovernanceAction::SetNotice(MAX_NOTICE_SECONDS + 1),
            VaultError::NoticeTooLong,
        ),
        (
            GovernanceAction::SetMinDeposit(0),
            VaultError::InvalidMinDeposit,
        ),
        (GovernanceAction::SetMaxAum(0), VaultError::InvalidAumCap),
        (GovernanceAction::ResumeTrading, VaultError::NoChange),
        (
            GovernanceAction::DisallowVenue(Pubkey::new_unique()),
            VaultError::NotAllowlisted,
        ),
    ];
    for (action, err) in cases {
        let (_, out) = chain.propose(&f, &governor, action.clone()).await;
        assert_error(&out, err);
    }
    assert_eq!(
        chain.governance_state(&f).await.proposal_index,
        0,
        "nothing was proposed"
    );
}
