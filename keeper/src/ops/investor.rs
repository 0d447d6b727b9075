//! The investor's commands: deposit, request or cancel a withdrawal, collect it, and look at
//! the position.

use super::submit::submit;
use super::{base_token_account, load_depositor, token_balance, utc, VaultView};
use crate::chain::Chain;
use anyhow::{bail, Result};
use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use vault::state::{Depositor, WithdrawAmount};

/// An investor's position as the vault books it.
#[derive(Clone, Debug, Serialize)]
pub struct PositionReport {
    pub vault: String,
    pub investor: String,
    pub decimals: u8,
    pub shares: u64,
    /// Base units the shares are worth at the official (low) share price, rounded down.
    pub value: u64,
    pub value_ui: String,
    pub net_deposits: u64,
    pub high_water_mark: u64,
    pub lockup_end: i64,
    pub lockup_end_utc: String,
    pub total_deposited: u64,
    pub total_withdrawn: u64,
    pub management_fee_shares_paid: u64,
    pub performance_fee_shares_paid: u64,
    /// What the fee shares paid so far are worth today.
    pub fees_paid_value: u64,
    pub management_fee_bps: u16,
    pub performance_fee_bps: u16,
    pub withdrawal: Option<WithdrawalReport>,
    pub wallet_balance: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct WithdrawalReport {
    pub shares: u64,
    /// Value at the request; the payment is the lesser of this and the value when paid.
    pub value_at_request: u64,
    pub requested_at: i64,
    /// When the payment may be taken: the later of the lock-up end and the notice's end.
    pub payable_at: i64,
    pub payable_at_utc: String,
}

/// The position of `investor`, or an error when the investor has none.
pub async fn position<C: Chain>(
    chain: &mut C,
    v: &VaultView,
    investor: &Pubkey,
) -> Result<PositionReport> {
    let Some(d) = load_depositor(chain, v, investor).await? else {
        bail!("{investor} has no position in vault {}", v.address);
    };
    let wallet_balance = token_balance(chain, &base_token_account(v, investor)).await?;
    Ok(report(v, &d, wallet_balance))
}

fn report(v: &VaultView, d: &Depositor, wallet_balance: u64) -> PositionReport {
    let tier = v.vault.tier_for(d.net_deposits);
    let value = v.value_of(d.shares);
    let withdrawal = d.withdraw_request.is_pending().then(|| {
        let r = &d.withdraw_request;
        let payable_at = d.lockup_end.max(
            r.requested_at
                .saturating_add(v.vault.config.notice_seconds as i64),
        );
        WithdrawalReport {
            shares: r.shares,
            value_at_request: r.value,
            requested_at: r.requested_at,
            payable_at,
            payable_at_utc: utc(payable_at),
        }
    });
    PositionReport {
        vault: v.address.to_string(),
        investor: d.owner.to_string(),
        decimals: v.decimals(),
        shares: d.shares,
        value,
        value_ui: v.ui(value),
        net_deposits: d.net_deposits,
        high_water_mark: d.high_water_mark,
        lockup_end: d.lockup_end,
        lockup_end_utc: utc(d.lockup_end),
        total_deposited: d.total_deposited,
        total_withdrawn: d.total_withdrawn,
        management_fee_shares_paid: d.management_fee_shares_paid,
        performance_fee_shares_paid: d.performance_fee_shares_paid,
        fees_paid_value: v.value_of(
            d.management_fee_shares_paid
                .saturating_add(d.performance_fee_shares_paid),
        ),
        management_fee_bps: tier.management_fee_bps,
        performance_fee_bps: tier.performance_fee_bps,
        withdrawal,
        wallet_balance,
    }
}

/// The position as a person reads it.
pub fn render_position(p: &PositionReport) -> String {
    let ui = |a: u64| super::amount::format_ui(a, p.decimals);
    let mut rows = vec![
        vec!["vault".into(), p.vault.clone()],
        vec!["investor".into(), p.investor.clone()],
        vec!["shares".into(), p.shares.to_string()],
        vec!["value".into(), p.value_ui.clone()],
        vec!["net deposits".into(), ui(p.net_deposits)],
        vec!["high-water mark".into(), ui(p.high_water_mark)],
        vec!["lock-up ends".into(), p.lockup_end_utc.clone()],
        vec![
            "fees".into(),
            format!(
                "{} bps a year + {} bps of profit above the high-water mark",
                p.management_fee_bps, p.performance_fee_bps
            ),
        ],
        vec![
            "fees paid".into(),
            format!(
                "{} shares, worth {} today",
                p.management_fee_shares_paid + p.performance_fee_shares_paid,
                ui(p.fees_paid_value)
            ),
        ],
        vec!["deposited (lifetime)".into(), ui(p.total_deposited)],
        vec!["withdrawn (lifetime)".into(), ui(p.total_withdrawn)],
        vec!["wallet balance".into(), ui(p.wallet_balance)],
    ];
    match &p.withdrawal {
        None => rows.push(vec!["withdrawal".into(), "none requested".into()]),
        Some(w) => rows.push(vec![
            "withdrawal".into(),
            format!(
                "{} shares, at most {}, payable from {}",
                w.shares,
                ui(w.value_at_request),
                w.payable_at_utc
            ),
        ]),
    }
    super::table(&["", ""], &rows)
}

/// What an investor action did.
#[derive(Clone, Debug, Serialize)]
pub struct ActionReport {
    pub action: &'static str,
    pub signature: String,
    /// Base units moved from (deposit) or to (withdraw) the investor's wallet.
    pub amount: u64,
    pub amount_ui: String,
    pub position: Option<PositionReport>,
}

pub fn render_action(r: &ActionReport) -> String {
    let mut s = format!("{} landed: {}\n", r.action, r.signature);
    if r.amount > 0 {
        s.push_str(&format!("amount: {}\n", r.amount_ui));
    }
    if let Some(p) = &r.position {
        s.push_str(&render_position(p));
    }
    s
}

/// Sends `ixs` signed and paid by `investor`, then reports what moved between the wallet and
/// the vault and the position afterwards.
async fn act<C: Chain>(
    chain: &mut C,
    v: &VaultView,
    investor: &Keypair,
    action: &'static str,
    ixs: &[solana_sdk::instruction::Instruction],
) -> Result<ActionReport> {
    let account = base_token_account(v, &investor.pubkey());
    let wallet_before = token_balance(chain, &account).await?;
    let signature = submit(chain, investor, &[], ixs).await?;
    let v = super::load_vault(chain, &v.address).await?;
    let wallet_after = token_balance(chain, &account).await?;
    let amount = wallet_after.abs_diff(wallet_before);
    let position = load_depositor(chain, &v, &investor.pubkey())
        .await?
        .map(|d| report(&v, &d, wallet_after));
    Ok(ActionReport {
        action,
        signature: signature.to_string(),
        amount,
        amount_ui: v.ui(amount),
        position,
    })
}

/// Deposits `amount` base units from the investor's associated token account.
pub async fn deposit<C: Chain>(
    chain: &mut C,
    v: &VaultView,
    investor: &Keypair,
    amount: u64,
) -> Result<ActionReport> {
    let account = base_token_account(v, &investor.pubkey());
    let balance = token_balance(chain, &account).await?;
    if balance < amount {
        bail!(
            "the wallet's token account {account} holds {}, less than the {} to deposit",
            v.ui(balance),
            v.ui(amount)
        );
    }
    let ix = vault::client::deposit(&v.keys, &investor.pubkey(), &account, amount);
    act(chain, v, investor, "deposit", &[ix]).await
}

/// Escrows shares for withdrawal; they are paid after the notice period and the lock-up.
pub async fn request_withdraw<C: Chain>(
    chain: &mut C,
    v: &VaultView,
    investor: &Keypair,
    amount: WithdrawAmount,
) -> Result<ActionReport> {
    let ix = vault::client::request_withdraw(&v.keys, &investor.pubkey(), amount);
    act(chain, v, investor, "withdrawal request", &[ix]).await
}

pub async fn cancel_withdraw<C: Chain>(
    chain: &mut C,
    v: &VaultView,
    investor: &Keypair,
) -> Result<ActionReport> {
    let ix = vault::client::cancel_withdraw_request(&v.keys, &investor.pubkey());
    act(chain, v, investor, "withdrawal cancelled", &[ix]).await
}

/// Takes a matured withdrawal into the investor's associated token account (created if needed).
pub async fn withdraw<C: Chain>(
    chain: &mut C,
    v: &VaultView,
    investor: &Keypair,
) -> Result<ActionReport> {
    let owner = investor.pubkey();
    let account = base_token_account(v, &owner);
    let create = spl_associated_token_account_interface::instruction::create_associated_token_account_idempotent(
        &owner,
        &owner,
        &v.keys.base_mint,
        &v.keys.base_token_program,
    );
    let ix = vault::client::withdraw(&v.keys, &owner, &account);
    act(chain, v, investor, "withdrawal", &[create, ix]).await
}
