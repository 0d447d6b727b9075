//! Where the keeper may trade: venue programs, pools and mints chosen by governance.

use crate::constants::*;
use crate::error::VaultError;
use anchor_lang::prelude::*;

/// A venue program the keeper may trade through.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct VenueEntry {
    pub program: Pubkey,
    /// Any pool of this venue may be traded (new-pool strategies); otherwise only listed pools.
    pub any_pool: bool,
    /// Any mint may be bought on this venue; otherwise only listed mints.
    pub any_mint: bool,
}

/// A vault's allowlist. Adding an entry loosens the vault's limits (it waits the adverse
/// delay); removing one tightens them (immediate, and open to guardians).
#[account]
#[derive(InitSpace, Debug)]
pub struct Allowlist {
    pub version: u8,
    pub bump: u8,
    pub vault: Pubkey,
    #[max_len(MAX_ALLOWED_VENUES)]
    pub venues: Vec<VenueEntry>,
    #[max_len(MAX_ALLOWED_POOLS)]
    pub pools: Vec<Pubkey>,
    #[max_len(MAX_ALLOWED_MINTS)]
    pub mints: Vec<Pubkey>,
}

/// The plain key lists of an allowlist (venues carry flags and have their own methods).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyList {
    Pool,
    Mint,
}

impl Allowlist {
    pub fn venue(&self, program: &Pubkey) -> Option<&VenueEntry> {
        self.venues.iter().find(|v| v.program == *program)
    }

    pub fn add_venue(&mut self, entry: VenueEntry) -> Result<()> {
        require!(
            self.venue(&entry.program).is_none(),
            VaultError::AlreadyAllowlisted
        );
        require!(
            self.venues.len() < MAX_ALLOWED_VENUES,
            VaultError::AllowlistFull
        );
        self.venues.push(entry);
        Ok(())
    }

    pub fn remove_venue(&mut self, program: &Pubkey) -> Result<()> {
        let i = self
            .venues
            .iter()
            .position(|v| v.program == *program)
            .ok_or(VaultError::NotAllowlisted)?;
        self.venues.remove(i);
        Ok(())
    }

    fn list(&mut self, kind: KeyList) -> (&mut Vec<Pubkey>, usize) {
        match kind {
            KeyList::Pool => (&mut self.pools, MAX_ALLOWED_POOLS),
            KeyList::Mint => (&mut self.mints, MAX_ALLOWED_MINTS),
        }
    }

    /// Adds a pool or mint.
    pub fn add(&mut self, kind: KeyList, key: Pubkey) -> Result<()> {
        let (list, max) = self.list(kind);
        require!(!list.contains(&key), VaultError::AlreadyAllowlisted);
        require!(list.len() < max, VaultError::AllowlistFull);
        list.push(key);
        Ok(())
    }

    /// Removes a pool or mint.
    pub fn remove(&mut self, kind: KeyList, key: &Pubkey) -> Result<()> {
        let (list, _) = self.list(kind);
        let i = list
            .iter()
            .position(|k| k == key)
            .ok_or(VaultError::NotAllowlisted)?;
        list.remove(i);
        Ok(())
    }

    /// Whether the keeper may trade `mint` in `pool` of venue `program`.
    pub fn permits(&self, program: &Pubkey, pool: &Pubkey, mint: &Pubkey) -> bool {
        match self.venue(program) {
            None => false,
            Some(v) => {
                (v.any_pool || self.pools.contains(pool))
                    && (v.any_mint || self.mints.contains(mint))
            }
        }
    }
}
