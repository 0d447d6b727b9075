//! Tools for the people around a vault: the operator who creates it ([`migrate`]), investors
//! ([`investor`]), governance members ([`members`]) and anyone who wants to look
//! ([`status`]). Every function works against any [`Chain`]: the embedded chain (saved between
//! runs, see [`local`]) or a cluster's RPC endpoint.

pub mod amount;
pub mod cli;
pub mod investor;
pub mod local;
pub mod members;
pub mod migrate;
pub mod status;
pub mod submit;
pub mod wallet;

use crate::chain::{self, Chain};
use anchor_lang::{AccountDeserialize, Discriminator};
use anyhow::{anyhow, bail, Result};
use solana_sdk::pubkey::Pubkey;
use vault::client::VaultKeys;
use vault::state::{Depositor, Governance, Vault};

/// A vault as read from the chain, with the addresses to build instructions against it.
pub struct VaultView {
    pub address: Pubkey,
    pub vault: Vault,
    pub keys: VaultKeys,
}

impl VaultView {
    pub fn decimals(&self) -> u8 {
        self.vault.base_decimals
    }

    /// `amount` base units in the base token's units ("12.5").
    pub fn ui(&self, amount: u64) -> String {
        amount::format_ui(amount, self.decimals())
    }

    /// Value in base units of `shares` at the vault's official (low) share price, rounded
    /// down as the vault rounds redemptions.
    pub fn value_of(&self, shares: u64) -> u64 {
        self.vault
            .share_price()
            .assets_for_shares_floor(shares)
            .unwrap_or(0)
    }
}

/// Reads an Anchor account of type `T` at `key`: `None` when there is no account, an error
/// when the account is something else.
pub async fn read<C: Chain, T: AccountDeserialize + Discriminator>(
    chain: &mut C,
    key: &Pubkey,
    what: &str,
) -> Result<Option<T>> {
    match chain::account(chain, key).await? {
        Some(acc) => decode(key, &acc, what).map(Some),
        None => Ok(None),
    }
}

/// Decodes `acc`, read at `key`, as the vault program's account type `T`: an error names the
/// address when the owner or the discriminator is not the expected one.
pub fn decode<T: AccountDeserialize + Discriminator>(
    key: &Pubkey,
    acc: &solana_sdk::account::Account,
    what: &str,
) -> Result<T> {
    if acc.owner != vault::ID || !acc.data.starts_with(T::DISCRIMINATOR) {
        bail!("{key} is not a {what} account of the vault program");
    }
    T::try_deserialize(&mut acc.data.as_slice())
        .map_err(|e| anyhow!("decoding the {what} at {key}: {e}"))
}

/// The vault at `address`, or an error saying there is none.
pub async fn load_vault<C: Chain>(chain: &mut C, address: &Pubkey) -> Result<VaultView> {
    let vault: Vault = read(chain, address, "vault")
        .await?
        .ok_or_else(|| anyhow!("there is no vault at {address}"))?;
    let keys = VaultKeys {
        vault: *address,
        base_mint: vault.base_mint,
        base_token_program: vault.base_token_program,
        token_account: vault.token_account,
    };
    Ok(VaultView {
        address: *address,
        vault,
        keys,
    })
}

pub async fn load_governance<C: Chain>(chain: &mut C, v: &VaultView) -> Result<Governance> {
    read(chain, &v.vault.governance, "governance")
        .await?
        .ok_or_else(|| anyhow!("the vault's governance {} is missing", v.vault.governance))
}

pub async fn load_depositor<C: Chain>(
    chain: &mut C,
    v: &VaultView,
    investor: &Pubkey,
) -> Result<Option<Depositor>> {
    read(chain, &v.keys.depositor(investor), "depositor").await
}

/// The associated token account of `owner` for the vault's base mint.
pub fn base_token_account(v: &VaultView, owner: &Pubkey) -> Pubkey {
    spl_associated_token_account_interface::address::get_associated_token_address_with_program_id(
        owner,
        &v.keys.base_mint,
        &v.keys.base_token_program,
    )
}

/// Token balance of `account`, zero when it does not exist.
pub async fn token_balance<C: Chain>(chain: &mut C, account: &Pubkey) -> Result<u64> {
    Ok(chain::account(chain, account)
        .await?
        .and_then(|a| chain::local::token_amount(&a.data).map(|(_, _, amount)| amount))
        .unwrap_or(0))
}

/// Unix time as UTC, "2026-12-02 04:05:06Z".
pub fn utc(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

/// Seconds as people write durations: "90" or "90s", "15m", "12h", "30d".
pub fn parse_duration(text: &str) -> Result<u64> {
    let t = text.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 's')) => (&t[..i], 1),
        Some((i, 'm')) => (&t[..i], 60),
        Some((i, 'h')) => (&t[..i], 3_600),
        Some((i, 'd')) => (&t[..i], 86_400),
        _ => (t, 1),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| anyhow!("{text:?} is not a duration: write 3600, 90s, 15m, 12h or 30d"))?;
    n.checked_mul(mult)
        .ok_or_else(|| anyhow!("{text:?} is too long"))
}

/// A duration in the largest unit that divides it ("30d", "1h", "90s").
pub fn show_duration(secs: u64) -> String {
    match secs {
        0 => "0s".into(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Left-aligned text table with a header row.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_durations() {
        assert_eq!(utc(0), "1970-01-01 00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00Z");
        assert_eq!(utc(1_796_184_306), "2026-12-02 04:05:06Z");
        assert_eq!(utc(-1), "1969-12-31 23:59:59Z");
        assert_eq!(parse_duration("30d").unwrap(), 2_592_000);
        assert_eq!(parse_duration("12h").unwrap(), 43_200);
        assert_eq!(parse_duration("15m").unwrap(), 900);
        assert_eq!(parse_duration("90s").unwrap(), 90);
        assert_eq!(parse_duration("3600").unwrap(), 3_600);
        assert!(parse_duration("3 days").is_err());
        assert!(parse_duration("-1d").is_err());
        assert!(parse_duration("999999999999999999d").is_err());
        assert_eq!(show_duration(2_592_000), "30d");
        assert_eq!(show_duration(3_600), "1h");
        assert_eq!(show_duration(90), "90s");
    }

    #[test]
    fn tables_align() {
        let t = table(&["a", "bb"], &[vec!["long".into(), "x".into()]]);
        assert_eq!(t, "a     bb\nlong  x\n");
    }
}
