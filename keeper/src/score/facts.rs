//! Facts the safety score is computed from, read out of raw account data.

use solana_sdk::pubkey::Pubkey;
use spl_token_2022_interface::extension::{
    self, BaseStateWithExtensions, ExtensionType, StateWithExtensions,
};
use spl_token_2022_interface::state::Mint;

/// A Token-2022 extension that matters to a buyer, and who can still change it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtensionFact {
    TransferFee {
        bps: u16,
        authority: Option<Pubkey>,
    },
    PermanentDelegate {
        delegate: Option<Pubkey>,
    },
    TransferHook {
        program: Option<Pubkey>,
        authority: Option<Pubkey>,
    },
    DefaultAccountState {
        frozen: bool,
    },
    NonTransferable,
    Pausable {
        paused: bool,
        authority: Option<Pubkey>,
    },
    /// Token metadata kept in the mint; mutable while it has an update authority.
    TokenMetadata {
        update_authority: Option<Pubkey>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MintFacts {
    pub token_program: Pubkey,
    pub decimals: u8,
    pub supply: u64,
    pub mint_authority: Option<Pubkey>,
    pub freeze_authority: Option<Pubkey>,
    pub extensions: Vec<ExtensionFact>,
}

fn opt(k: spl_pod::optional_keys::OptionalNonZeroPubkey) -> Option<Pubkey> {
    Option::<Pubkey>::from(k)
}

/// Reads a mint of SPL Token or Token-2022.
pub fn mint_facts(owner: &Pubkey, data: &[u8]) -> Result<MintFacts, String> {
    let is_2022 = *owner == spl_token_2022_interface::ID;
    if !is_2022 && *owner != spl_token_interface::ID {
        return Err(format!("account owned by {owner} is not a mint"));
    }
    let state =
        StateWithExtensions::<Mint>::unpack(data).map_err(|e| format!("not a mint: {e}"))?;
    let m = state.base;
    let mut extensions = Vec::new();
    if is_2022 {
        for t in state.get_extension_types().map_err(|e| e.to_string())? {
            match t {
                ExtensionType::TransferFeeConfig => {
                    let c = state
                        .get_extension::<extension::transfer_fee::TransferFeeConfig>()
                        .map_err(|e| e.to_string())?;
                    let newer = u16::from(c.newer_transfer_fee.transfer_fee_basis_points);
                    let older = u16::from(c.older_transfer_fee.transfer_fee_basis_points);
                    extensions.push(ExtensionFact::TransferFee {
                        bps: newer.max(older),
                        authority: opt(c.transfer_fee_config_authority),
                    });
                }
                ExtensionType::PermanentDelegate => {
                    let d = state
                        .get_extension::<extension::permanent_delegate::PermanentDelegate>()
                        .map_err(|e| e.to_string())?;
                    extensions.push(ExtensionFact::PermanentDelegate {
                        delegate: opt(d.delegate),
                    });
                }
                ExtensionType::TransferHook => {
                    let h = state
                        .get_extension::<extension::transfer_hook::TransferHook>()
                        .map_err(|e| e.to_string())?;
                    extensions.push(ExtensionFact::TransferHook {
                        program: opt(h.program_id),
                        authority: opt(h.authority),
                    });
                }
                ExtensionType::DefaultAccountState => {
                    let d = state
                        .get_extension::<extension::default_account_state::DefaultAccountState>()
                        .map_err(|e| e.to_string())?;
                    extensions.push(ExtensionFact::DefaultAccountState {
                        frozen: d.state
                            == spl_token_2022_interface::state::AccountState::Frozen as u8,
                    });
                }
                ExtensionType::NonTransferable => extensions.push(ExtensionFact::NonTransferable),
                ExtensionType::Pausable => {
                    let p = state
                        .get_extension::<extension::pausable::PausableConfig>()
                        .map_err(|e| e.to_string())?;
                    extensions.push(ExtensionFact::Pausable {
                        paused: bool::from(p.paused),
                        authority: opt(p.authority),
                    });
                }
                ExtensionType::TokenMetadata | ExtensionType::MetadataPointer => {
                    let authority = state
                        .get_extension::<extension::metadata_pointer::MetadataPointer>()
                        .ok()
                        .and_then(|p| opt(p.authority));
                    if !extensions
                        .iter()
                        .any(|e| matches!(e, ExtensionFact::TokenMetadata { .. }))
                    {
                        extensions.push(ExtensionFact::TokenMetadata {
                            update_authority: authority,
                        });
                    }
                }
                _ => {}
            }
        }
    }
    Ok(MintFacts {
        token_program: *owner,
        decimals: m.decimals,
        supply: m.supply,
        mint_authority: Option::from(m.mint_authority),
        freeze_authority: Option::from(m.freeze_authority),
        extensions,
    })
}

/// Metaplex token metadata: who may still change it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataFacts {
    pub update_authority: Pubkey,
    pub mint: Pubkey,
    pub name: String,
    pub is_mutable: bool,
}

/// The Metaplex token-metadata program.
pub const METADATA_PROGRAM: Pubkey =
    Pubkey::from_str_const("metaqbxxUerdq28cj1RbAWkYQm3ybzjb6a8bt518x1s");

/// Address of a mint's Metaplex metadata account.
pub fn metadata_address(mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[b"metadata", METADATA_PROGRAM.as_ref(), mint.as_ref()],
        &METADATA_PROGRAM,
    )
    .0
}

/// Reads a Metaplex metadata account (key, update authority, mint, name, symbol, uri,
/// seller fee, creators, primary sale, is_mutable).
pub fn metaplex_metadata(data: &[u8]) -> Result<MetadataFacts, String> {
    struct R<'a>(&'a [u8]);
    impl R<'_> {
        fn take(&mut self, n: usize) -> Result<&[u8], String> {
            if self.0.len() < n {
                return Err("metadata account is truncated".into());
            }
            let (h, t) = self.0.split_at(n);
            self.0 = t;
            Ok(h)
        }
        fn key(&mut self) -> Result<Pubkey, String> {
            Ok(Pubkey::new_from_array(
                self.take(32)?.try_into().map_err(|_| "key")?,
            ))
        }
        fn string(&mut self) -> Result<String, String> {
            let n = u32::from_le_bytes(self.take(4)?.try_into().map_err(|_| "len")?) as usize;
            Ok(String::from_utf8_lossy(self.take(n)?)
                .trim_end_matches('\0')
                .to_owned())
        }
    }
    let mut r = R(data);
    if r.take(1)?[0] != 4 {
        return Err("not a metadata account".into());
    }
    let update_authority = r.key()?;
    let mint = r.key()?;
    let name = r.string()?;
    let _symbol = r.string()?;
    let _uri = r.string()?;
    r.take(2)?;
    if r.take(1)?[0] == 1 {
        let n = u32::from_le_bytes(r.take(4)?.try_into().map_err(|_| "len")?) as usize;
        r.take(n.checked_mul(34).ok_or("creators")?)?;
    }
    let _primary_sale = r.take(1)?;
    let is_mutable = r.take(1)?[0] == 1;
    Ok(MetadataFacts {
        update_authority,
        mint,
        name,
        is_mutable,
    })
}
