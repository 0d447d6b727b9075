//! Token amounts as people write them ("12.5") and as the chain counts them (base units).
//! Parsing is exact decimal arithmetic: no floats, and a digit the mint cannot represent is an
//! error rather than a silent rounding.

use anyhow::{bail, Result};

/// Base units of `text` ("12.5", "1_000", "0.000001") for a mint with `decimals`.
pub fn parse_ui(text: &str, decimals: u8) -> Result<u64> {
    let t: String = text.trim().chars().filter(|c| *c != '_').collect();
    if t.is_empty() {
        bail!("an amount is required");
    }
    if t.starts_with('-') {
        bail!("{text:?}: amounts cannot be negative");
    }
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() && frac.is_empty() {
        bail!("{text:?} is not an amount");
    }
    if !whole
        .chars()
        .chain(frac.chars())
        .all(|c| c.is_ascii_digit())
    {
        bail!("{text:?} is not an amount: use digits and at most one decimal point");
    }
    if frac.len() > decimals as usize {
        bail!(
            "{text:?} has {} decimal places; this token has {decimals}",
            frac.len()
        );
    }
    let unit = 10u128.pow(decimals as u32);
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| anyhow::anyhow!("{text:?} is too large"))?
    };
    let frac_units: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse::<u128>()? * 10u128.pow((decimals as usize - frac.len()) as u32)
    };
    let total = whole
        .checked_mul(unit)
        .and_then(|w| w.checked_add(frac_units))
        .filter(|v| *v <= u64::MAX as u128)
        .ok_or_else(|| anyhow::anyhow!("{text:?} is more than a token account can hold"))?;
    Ok(total as u64)
}

/// `amount` base units written with `decimals` places, trailing zeros trimmed ("12.5", "3").
pub fn format_ui(amount: u64, decimals: u8) -> String {
    let unit = 10u64.pow(decimals as u32);
    let whole = amount / unit;
    let frac = amount % unit;
    if frac == 0 {
        return whole.to_string();
    }
    let f = format!("{frac:0width$}", width = decimals as usize);
    format!("{whole}.{}", f.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_what_people_write() {
        assert_eq!(parse_ui("12.5", 6).unwrap(), 12_500_000);
        assert_eq!(parse_ui("1_000", 2).unwrap(), 100_000);
        assert_eq!(parse_ui(".5", 1).unwrap(), 5);
        assert_eq!(parse_ui("7.", 3).unwrap(), 7_000);
        assert_eq!(parse_ui("0.000000001", 9).unwrap(), 1);
        assert_eq!(parse_ui("18446744073709551615", 0).unwrap(), u64::MAX);
    }

    #[test]
    fn refuses_what_the_mint_cannot_hold() {
        let err = |t: &str, d| parse_ui(t, d).unwrap_err().to_string();
        assert!(err("0.1234567", 6).contains("7 decimal places; this token has 6"));
        assert!(err("-1", 6).contains("negative"));
        assert!(err("1e6", 6).contains("not an amount"));
        assert!(err("1.2.3", 6).contains("not an amount"));
        assert!(err("", 6).contains("required"));
        assert!(err(".", 6).contains("not an amount"));
        assert!(err("18446744073709551616", 0).contains("more than"));
        assert!(err("18446744073709.551616", 6).contains("more than"));
        assert!(err("99999999999999999999999999999999999999999", 0).contains("too large"));
    }

    proptest! {
        #[test]
        fn formatting_then_parsing_is_the_identity(amount: u64, decimals in 0u8..=12) {
            prop_assert_eq!(parse_ui(&format_ui(amount, decimals), decimals).unwrap(), amount);
        }
    }
}
