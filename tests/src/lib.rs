// solana-program-test 3.x marks its API "unstable" through deprecation warnings; it is still
// the runtime this harness exists to drive.
#![allow(deprecated)]
//! Native test harness.
//!
//! Boots `solana-program-test` with our programs as native builtins beside the real SPL Token
//! and Token-2022 programs (the BPF binaries that ship with solana-program-test), and offers the
//! helpers every test needs: mints of both token programs (with Token-2022 extensions), token
//! accounts, funding, clock warps, transaction outcomes with logs and decoded events, and
//! assertions on the exact program error.

use anchor_lang::prelude::{AccountInfo, Pubkey};
use anchor_lang::solana_program::entrypoint::ProgramResult;
use anchor_lang::solana_program::system_instruction;
use anchor_lang::{AccountDeserialize, AnchorDeserialize};
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::clock::Clock;
use solana_sdk::instruction::{Instruction, InstructionError};
use solana_sdk::program_pack::Pack;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::{Transaction, TransactionError};
use spl_token_2022_interface::extension::ExtensionType;
use std::collections::HashSet;

pub mod amm_fixture;
pub mod lender_fixture;
pub mod leverage_fixture;
pub mod trading_fixture;
pub mod vault_fixture;

pub use solana_program_test;
pub use solana_sdk;
pub use solana_sdk::instruction::InstructionError as RuntimeError;

/// Entry shim for the vault program. Anchor's `entry` ties the account slice's lifetime to the
/// lifetime inside each `AccountInfo`; `processor!` hands us independent ones. The runtime keeps
/// the slice and its accounts alive for the whole call, so unifying the lifetimes is sound.
pub fn vault_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    // SAFETY: see above; only lifetimes change, never layout.
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    vault::entry(program_id, accounts, data)
}

/// Entry shim for the local AMM (see [`vault_entry`]).
pub fn local_amm_entry(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    // SAFETY: as for `vault_entry`.
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    local_amm::entry(program_id, accounts, data)
}

/// Entry shim for the local lender (see [`vault_entry`]).
pub fn local_lender_entry(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    // SAFETY: as for `vault_entry`.
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    local_lender::entry(program_id, accounts, data)
}

/// A test-only program that calls the lender's `flash_borrow` through CPI, to show the lender
/// refuses flash loans that are not top-level instructions. Accounts: the lender program, then
/// `flash_borrow`'s accounts; data: the amount (u64 LE).
pub const FLASH_CPI_PROBE_ID: Pubkey = Pubkey::new_from_array([7; 32]);

pub fn flash_cpi_probe(
    _program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    use anchor_lang::solana_program::program::invoke;
    let amount = u64::from_le_bytes(data[..8].try_into().expect("amount"));
    let r = local_lender::client::ReserveKeys {
        market: Pubkey::default(),
        reserve: *accounts[1].key,
        mint: *accounts[2].key,
        token_program: *accounts[6].key,
        liquidity_vault: *accounts[3].key,
        collateral_vault: Pubkey::default(),
        oracle: Pubkey::default(),
    };
    let ix = local_lender::client::flash_borrow(&r, accounts[4].key, amount);
    invoke(&ix, &accounts[1..])
}

static ORDER_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A fresh, ever-increasing client order id for keeper orders.
pub fn next_order_id() -> u64 {
    ORDER_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The two token programs a base mint may belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenProgram {
    Spl,
    Token2022,
}

impl TokenProgram {
    pub fn id(self) -> Pubkey {
        match self {
            TokenProgram::Spl => spl_token_interface::ID,
            TokenProgram::Token2022 => spl_token_2022_interface::ID,
        }
    }
}

/// Token-2022 mint extensions the harness can create.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MintExtension {
    TransferFee {
        bps: u16,
        max: u64,
    },
    TransferHook,
    PermanentDelegate,
    DefaultFrozen,
    NonTransferable,
    Pausable,
    /// Harmless for the vault: accepted.
    MintCloseAuthority,
}

impl MintExtension {
    fn extension_type(self) -> ExtensionType {
        match self {
            MintExtension::TransferFee { .. } => ExtensionType::TransferFeeConfig,
            MintExtension::TransferHook => ExtensionType::TransferHook,
            MintExtension::PermanentDelegate => ExtensionType::PermanentDelegate,
            MintExtension::DefaultFrozen => ExtensionType::DefaultAccountState,
            MintExtension::NonTransferable => ExtensionType::NonTransferable,
            MintExtension::Pausable => ExtensionType::Pausable,
            MintExtension::MintCloseAuthority => ExtensionType::MintCloseAuthority,
        }
    }
}

/// What a processed transaction returned: its result and its log.
#[derive(Debug)]
pub struct TxOutcome {
    pub result: Result<(), TransactionError>,
    pub logs: Vec<String>,
}

impl TxOutcome {
    /// Panics with the log when the transaction failed.
    #[track_caller]
    pub fn unwrap(self) -> Self {
        if let Err(e) = &self.result {
            panic!("transaction failed: {e:?}\n{}", self.logs.join("\n"));
        }
        self
    }

    /// Asserts the transaction failed with exactly `expected`.
    #[track_caller]
    pub fn unwrap_err_code(&self, expected: impl Into<u32> + std::fmt::Debug + Copy) {
        assert_error(self, expected);
    }

    /// Every event of type `E` in the log.
    pub fn events<E: anchor_lang::Event + AnchorDeserialize>(&self) -> Vec<E> {
        vault::client::decode_events(&self.logs)
    }

    /// The custom error code the transaction failed with, if any.
    pub fn custom_error(&self) -> Option<u32> {
        match &self.result {
            Err(TransactionError::InstructionError(_, InstructionError::Custom(code))) => {
                Some(*code)
            }
            _ => None,
        }
    }
}

/// Asserts that a transaction failed with exactly `expected` (a vault or Anchor error).
#[track_caller]
pub fn assert_error(outcome: &TxOutcome, expected: impl Into<u32> + std::fmt::Debug + Copy) {
    let code: u32 = expected.into();
    assert_eq!(
        outcome.custom_error(),
        Some(code),
        "expected {expected:?} ({code}), got {:?}\n{}",
        outcome.result,
        outcome.logs.join("\n")
    );
}

/// Asserts that a transaction failed with exactly the runtime error `expected` (errors that are
/// not custom program errors, such as a wrong program id or a missing signature).
#[track_caller]
pub fn assert_instruction_error(outcome: &TxOutcome, expected: InstructionError) {
    match &outcome.result {
        Err(TransactionError::InstructionError(_, e)) if *e == expected => {}
        other => panic!(
            "expected {expected:?}, got {other:?}\n{}",
            outcome.logs.join("\n")
        ),
    }
}

/// Serialized size of a versioned transaction: signature count, signatures, message.
pub fn versioned_size(tx: &solana_sdk::transaction::VersionedTransaction) -> usize {
    let n = tx.signatures.len();
    let sig_len_prefix = if n < 0x80 { 1 } else { 2 };
    sig_len_prefix + 64 * n + tx.message.serialize().len()
}

/// Wire bytes of a versioned transaction.
pub fn versioned_bytes(tx: &solana_sdk::transaction::VersionedTransaction) -> Vec<u8> {
    let mut v = short_vec(tx.signatures.len());
    for s in &tx.signatures {
        v.extend_from_slice(s.as_ref());
    }
    v.extend(tx.message.serialize());
    v
}

/// Wire bytes of a legacy transaction.
pub fn legacy_bytes(tx: &Transaction) -> Vec<u8> {
    let mut v = short_vec(tx.signatures.len());
    for s in &tx.signatures {
        v.extend_from_slice(s.as_ref());
    }
    v.extend(tx.message_data());
    v
}

fn short_vec(mut n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    loop {
        let mut b = (n & 0x7f) as u8;
        n >>= 7;
        if n != 0 {
            b |= 0x80;
        }
        v.push(b);
        if n == 0 {
            return v;
        }
    }
}

/// Serialized size of a legacy transaction.
pub fn legacy_size(tx: &Transaction) -> usize {
    let n = tx.signatures.len();
    let sig_len_prefix = if n < 0x80 { 1 } else { 2 };
    sig_len_prefix + 64 * n + tx.message_data().len()
}

/// A processed transaction as a block feed would deliver it: the serialized transaction,
/// its log, and whether it succeeded.
#[derive(Clone, Debug)]
pub struct FeedEntry {
    pub bytes: Vec<u8>,
    pub logs: Vec<String>,
    pub ok: bool,
}

/// A running local chain with our programs loaded.
pub struct TestChain {
    pub ctx: ProgramTestContext,
    sent: HashSet<Signature>,
    /// When set, every processed transaction is appended to `feed` (the embedded chain's
    /// stand-in for a block subscription).
    pub record: bool,
    pub feed: Vec<FeedEntry>,
}

impl TestChain {
    /// Starts a chain with the vault and the local AMM as native builtins and the real SPL
    /// Token, Token-2022 and associated-token programs.
    pub async fn start() -> Self {
        // ProgramTest turns on debug logging of every instruction, written straight to
        // stderr (test capture does not see it). Keep errors only unless RUST_LOG asks.
        let mut pt = ProgramTest::default();
        if std::env::var_os("RUST_LOG").is_none() {
            log::set_max_level(log::LevelFilter::Error);
        }
        pt.prefer_bpf(false);
        pt.add_program("vault", vault::ID, processor!(vault_entry));
        pt.add_program("local_amm", local_amm::ID, processor!(local_amm_entry));
        pt.add_program(
            "local_lender",
            local_lender::ID,
            processor!(local_lender_entry),
        );
        pt.add_program(
            "flash_cpi_probe",
            FLASH_CPI_PROBE_ID,
            processor!(flash_cpi_probe),
        );
        let ctx = pt.start_with_context().await;
        Self {
            ctx,
            sent: HashSet::new(),
            record: false,
            feed: Vec::new(),
        }
    }

    /// The fee payer funded at genesis.
    pub fn payer(&self) -> Keypair {
        self.ctx.payer.insecure_clone()
    }

    /// Sends `ixs` in one transaction paid by the genesis payer and signed by `signers`.
    /// Never fails on a duplicate: an identical transaction is re-sent on a fresh blockhash.
    pub async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> TxOutcome {
        let payer = self.payer();
        let mut all: Vec<&Keypair> = vec![&payer];
        // Only keys the instructions ask for may sign, or the transaction cannot be built.
        let wanted = |k: &Pubkey| {
            ixs.iter()
                .any(|ix| ix.accounts.iter().any(|m| m.is_signer && m.pubkey == *k))
        };
        all.extend(
            signers
                .iter()
                .copied()
                .filter(|k| k.pubkey() != payer.pubkey() && wanted(&k.pubkey())),
        );
        let mut tx = Transaction::new_signed_with_payer(
            ixs,
            Some(&payer.pubkey()),
            &all,
            self.ctx.last_blockhash,
        );
        if self.sent.contains(&tx.signatures[0]) {
            self.next_slot().await;
            tx = Transaction::new_signed_with_payer(
                ixs,
                Some(&payer.pubkey()),
                &all,
                self.ctx.last_blockhash,
            );
        }
        self.sent.insert(tx.signatures[0]);
        let bytes = if self.record {
            legacy_bytes(&tx)
        } else {
            Vec::new()
        };
        let res = self
            .ctx
            .banks_client
            .process_transaction_with_metadata(tx)
            .await
            .expect("banks client transport");
        let out = TxOutcome {
            result: res.result,
            logs: res.metadata.map(|m| m.log_messages).unwrap_or_default(),
        };
        if self.record {
            self.feed.push(FeedEntry {
                bytes,
                logs: out.logs.clone(),
                ok: out.result.is_ok(),
            });
        }
        out
    }

    /// Processes an already signed transaction as the cluster would, recording it in the feed
    /// when recording is on. Returns the outcome and the compute units it consumed.
    pub async fn process_signed(
        &mut self,
        tx: solana_sdk::transaction::VersionedTransaction,
    ) -> (TxOutcome, u64) {
        let bytes = if self.record {
            versioned_bytes(&tx)
        } else {
            Vec::new()
        };
        let res = self
            .ctx
            .banks_client
            .process_transaction_with_metadata(tx)
            .await
            .expect("banks client transport");
        let units = res
            .metadata
            .as_ref()
            .map(|m| m.compute_units_consumed)
            .unwrap_or(0);
        let out = TxOutcome {
            result: res.result,
            logs: res.metadata.map(|m| m.log_messages).unwrap_or_default(),
        };
        if self.record {
            self.feed.push(FeedEntry {
                bytes,
                logs: out.logs.clone(),
                ok: out.result.is_ok(),
            });
        }
        (out, units)
    }

    /// Simulates a signed transaction against the current state without committing it.
    /// Returns the result it would have, its log and the compute units it would consume.
    pub async fn simulate_signed(
        &mut self,
        tx: solana_sdk::transaction::VersionedTransaction,
    ) -> (TxOutcome, u64) {
        let res = self
            .ctx
            .banks_client
            .simulate_transaction(tx)
            .await
            .expect("banks client transport");
        let (logs, units) = res
            .simulation_details
            .map(|d| (d.logs, d.units_consumed))
            .unwrap_or_default();
        let result = res
            .result
            .unwrap_or(Err(TransactionError::BlockhashNotFound));
        (TxOutcome { result, logs }, units)
    }

    /// The blockhash the next transaction will use.
    pub fn blockhash(&self) -> solana_sdk::hash::Hash {
        self.ctx.last_blockhash
    }

    /// Sends `ixs` as a version-0 transaction using address lookup `tables`. Returns the
    /// outcome and the serialized size in bytes (signatures included).
    pub async fn send_v0(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        tables: &[solana_message::AddressLookupTableAccount],
    ) -> (TxOutcome, usize) {
        let payer = self.payer();
        let mut all: Vec<&Keypair> = vec![&payer];
        all.extend(
            signers
                .iter()
                .copied()
                .filter(|k| k.pubkey() != payer.pubkey()),
        );
        let mut tx = self.versioned_tx(ixs, &all, tables);
        if self.sent.contains(&tx.signatures[0]) {
            self.next_slot().await;
            tx = self.versioned_tx(ixs, &all, tables);
        }
        self.sent.insert(tx.signatures[0]);
        let size = versioned_size(&tx);
        let bytes = if self.record {
            versioned_bytes(&tx)
        } else {
            Vec::new()
        };
        let res = self
            .ctx
            .banks_client
            .process_transaction_with_metadata(tx)
            .await
            .expect("banks client transport");
        let out = TxOutcome {
            result: res.result,
            logs: res.metadata.map(|m| m.log_messages).unwrap_or_default(),
        };
        if self.record {
            self.feed.push(FeedEntry {
                bytes,
                logs: out.logs.clone(),
                ok: out.result.is_ok(),
            });
        }
        (out, size)
    }

    /// Builds (without sending) a version-0 transaction paid by the genesis payer.
    pub fn versioned_tx(
        &self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        tables: &[solana_message::AddressLookupTableAccount],
    ) -> solana_sdk::transaction::VersionedTransaction {
        let payer = self.payer();
        let msg = solana_message::v0::Message::try_compile(
            &payer.pubkey(),
            ixs,
            tables,
            self.ctx.last_blockhash,
        )
        .expect("compile v0 message");
        solana_sdk::transaction::VersionedTransaction::try_new(
            solana_message::VersionedMessage::V0(msg),
            signers,
        )
        .expect("sign v0 transaction")
    }

    /// Creates an address lookup table holding `addresses` and waits until it is usable.
    pub async fn lookup_table(
        &mut self,
        addresses: Vec<Pubkey>,
    ) -> solana_message::AddressLookupTableAccount {
        use solana_address_lookup_table_interface::instruction as alt;
        let payer = self.payer();
        // The table's seed slot must be one the SlotHashes sysvar remembers.
        self.next_slot().await;
        let hashes: solana_sdk::slot_hashes::SlotHashes = self
            .ctx
            .banks_client
            .get_sysvar()
            .await
            .expect("slot hashes");
        let slot = hashes.first().map(|(s, _)| *s).expect("a recent slot");
        let (create, table) = alt::create_lookup_table(payer.pubkey(), payer.pubkey(), slot);
        self.send(&[create], &[]).await.unwrap();
        for chunk in addresses.chunks(20) {
            let extend = alt::extend_lookup_table(
                table,
                payer.pubkey(),
                Some(payer.pubkey()),
                chunk.to_vec(),
            );
            self.send(&[extend], &[]).await.unwrap();
        }
        // Addresses added in a slot become usable in the next one.
        self.next_slot().await;
        solana_message::AddressLookupTableAccount {
            key: table,
            addresses,
        }
    }

    /// Moves to the next slot (fresh blockhash) keeping the clock's unix time.
    pub async fn next_slot(&mut self) {
        let clock = self.clock().await;
        self.ctx.warp_to_slot(clock.slot + 1).expect("warp forward");
        // A new blockhash makes every earlier signature unrepeatable; forget them so a long
        // run does not accumulate them.
        self.sent.clear();
        let mut after = self.clock().await;
        if after.unix_timestamp < clock.unix_timestamp {
            after.unix_timestamp = clock.unix_timestamp;
            self.ctx.set_sysvar(&after);
        }
    }

    pub async fn clock(&mut self) -> Clock {
        self.ctx
            .banks_client
            .get_sysvar::<Clock>()
            .await
            .expect("clock sysvar")
    }

    /// Current unix time of the chain.
    pub async fn now(&mut self) -> i64 {
        self.clock().await.unix_timestamp
    }

    /// Advances the chain by `slots` slots (one new bank, one new blockhash) and its unix
    /// time by `seconds`.
    pub async fn warp(&mut self, seconds: i64, slots: u64) {
        let before = self.clock().await;
        self.ctx
            .warp_to_slot(before.slot + slots.max(1))
            .expect("warp forward");
        self.sent.clear();
        let mut clock = self.clock().await;
        clock.unix_timestamp = before.unix_timestamp + seconds;
        self.ctx.set_sysvar(&clock);
    }

    /// Advances the chain's unix time by `seconds` (and moves to a new slot).
    pub async fn warp_seconds(&mut self, seconds: i64) {
        let before = self.now().await;
        self.next_slot().await;
        let mut clock = self.clock().await;
        clock.unix_timestamp = before + seconds;
        self.ctx.set_sysvar(&clock);
    }

    /// Sets the clock's unix time (restoring saved state; the clock may move back to it).
    pub async fn set_unix_time(&mut self, unix_time: i64) {
        let mut clock = self.clock().await;
        clock.unix_timestamp = unix_time;
        self.ctx.set_sysvar(&clock);
    }

    /// The newest blockhash the bank has registered. The harness registers one every few
    /// milliseconds of real time and keeps about 300, so a hash cached for a few seconds of
    /// real time can no longer be used.
    pub async fn newest_blockhash(&mut self) -> solana_sdk::hash::Hash {
        self.ctx
            .banks_client
            .get_latest_blockhash()
            .await
            .expect("latest blockhash")
    }

    /// Writes `account` at `key` directly into the bank (restoring saved state).
    pub fn set_account(&mut self, key: &Pubkey, account: solana_sdk::account::Account) {
        self.ctx
            .set_account(key, &solana_sdk::account::AccountSharedData::from(account));
    }

    /// A new keypair holding `lamports`.
    pub async fn funded_keypair(&mut self, lamports: u64) -> Keypair {
        let k = Keypair::new();
        self.fund(&k.pubkey(), lamports).await;
        k
    }

    /// Transfers `lamports` from the genesis payer.
    pub async fn fund(&mut self, to: &Pubkey, lamports: u64) {
        let payer = self.payer();
        let ix = system_instruction::transfer(&payer.pubkey(), to, lamports);
        self.send(&[ix], &[]).await.unwrap();
    }

    /// Creates a mint of `program` with the payer as mint and freeze authority and the given
    /// Token-2022 extensions (ignored for SPL Token, which has none).
    pub async fn create_mint(
        &mut self,
        program: TokenProgram,
        decimals: u8,
        extensions: &[MintExtension],
    ) -> Pubkey {
        use spl_token_2022_interface::extension::{
            default_account_state, pausable, transfer_fee, transfer_hook,
        };
        let payer = self.payer();
        let mint = Keypair::new();
        let program_id = program.id();
        let types: Vec<ExtensionType> = extensions.iter().map(|e| e.extension_type()).collect();
        let space = if program == TokenProgram::Spl {
            spl_token_interface::state::Mint::LEN
        } else {
            ExtensionType::try_calculate_account_len::<spl_token_2022_interface::state::Mint>(
                &types,
            )
            .expect("mint length")
        };
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let mut ixs = vec![system_instruction::create_account(
            &payer.pubkey(),
            &mint.pubkey(),
            rent.minimum_balance(space),
            space as u64,
            &program_id,
        )];
        let auth = payer.pubkey();
        for e in extensions {
            let m = &mint.pubkey();
            ixs.push(
                match *e {
                    MintExtension::TransferFee { bps, max } => {
                        transfer_fee::instruction::initialize_transfer_fee_config(
                            &program_id,
                            m,
                            Some(&auth),
                            Some(&auth),
                            bps,
                            max,
                        )
                    }
                    MintExtension::TransferHook => transfer_hook::instruction::initialize(
                        &program_id,
                        m,
                        Some(auth),
                        Some(Pubkey::new_unique()),
                    ),
                    MintExtension::PermanentDelegate => {
                        spl_token_2022_interface::instruction::initialize_permanent_delegate(
                            &program_id,
                            m,
                            &auth,
                        )
                    }
                    MintExtension::DefaultFrozen => {
                        default_account_state::instruction::initialize_default_account_state(
                            &program_id,
                            m,
                            &spl_token_2022_interface::state::AccountState::Frozen,
                        )
                    }
                    MintExtension::NonTransferable => {
                        spl_token_2022_interface::instruction::initialize_non_transferable_mint(
                            &program_id,
                            m,
                        )
                    }
                    MintExtension::Pausable => {
                        pausable::instruction::initialize(&program_id, m, &auth)
                    }
                    MintExtension::MintCloseAuthority => {
                        spl_token_2022_interface::instruction::initialize_mint_close_authority(
                            &program_id,
                            m,
                            Some(&auth),
                        )
                    }
                }
                .expect("extension instruction"),
            );
        }
        ixs.push(
            spl_token_2022_interface::instruction::initialize_mint2(
                &program_id,
                &mint.pubkey(),
                &auth,
                Some(&auth),
                decimals,
            )
            .expect("initialize mint"),
        );
        self.send(&ixs, &[&mint]).await.unwrap();
        mint.pubkey()
    }

    /// Creates (idempotently) the associated token account of `owner` for `mint`.
    pub async fn token_account(&mut self, mint: &Pubkey, owner: &Pubkey) -> Pubkey {
        let program = self.account_owner(mint).await;
        let payer = self.payer();
        let ix = spl_associated_token_account_interface::instruction::create_associated_token_account_idempotent(
            &payer.pubkey(),
            owner,
            mint,
            &program,
        );
        self.send(&[ix], &[]).await.unwrap();
        spl_associated_token_account_interface::address::get_associated_token_address_with_program_id(
            owner, mint, &program,
        )
    }

    /// Mints `amount` of `mint` (authority: the payer) into `account`.
    pub async fn mint_to(&mut self, mint: &Pubkey, account: &Pubkey, amount: u64) {
        let program = self.account_owner(mint).await;
        let payer = self.payer();
        let ix = spl_token_2022_interface::instruction::mint_to(
            &program,
            mint,
            account,
            &payer.pubkey(),
            &[],
            amount,
        )
        .expect("mint_to");
        self.send(&[ix], &[]).await.unwrap();
    }

    /// Transfers tokens between accounts outside any program (e.g. a donation).
    pub async fn transfer_tokens(
        &mut self,
        mint: &Pubkey,
        from: &Pubkey,
        to: &Pubkey,
        owner: &Keypair,
        amount: u64,
    ) -> TxOutcome {
        let program = self.account_owner(mint).await;
        let decimals = self.mint_decimals(mint).await;
        let ix = spl_token_2022_interface::instruction::transfer_checked(
            &program,
            from,
            mint,
            to,
            &owner.pubkey(),
            &[],
            amount,
            decimals,
        )
        .expect("transfer_checked");
        self.send(&[ix], &[owner]).await
    }

    /// A funded investor with a token account holding `amount` of `mint`.
    pub async fn investor(&mut self, mint: &Pubkey, amount: u64) -> (Keypair, Pubkey) {
        let k = self.funded_keypair(1_000_000_000).await;
        let ata = self.token_account(mint, &k.pubkey()).await;
        if amount > 0 {
            self.mint_to(mint, &ata, amount).await;
        }
        (k, ata)
    }

    pub async fn account_owner(&mut self, key: &Pubkey) -> Pubkey {
        self.ctx
            .banks_client
            .get_account(*key)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("account {key} does not exist"))
            .owner
    }

    /// The account at `key`, if any.
    pub async fn get_account(&mut self, key: &Pubkey) -> Option<solana_sdk::account::Account> {
        self.ctx
            .banks_client
            .get_account(*key)
            .await
            .expect("banks client transport")
    }

    pub async fn rent(&mut self) -> solana_sdk::rent::Rent {
        self.ctx.banks_client.get_rent().await.expect("rent sysvar")
    }

    pub async fn account_exists(&mut self, key: &Pubkey) -> bool {
        self.ctx
            .banks_client
            .get_account(*key)
            .await
            .unwrap()
            .is_some()
    }

    pub async fn mint_decimals(&mut self, mint: &Pubkey) -> u8 {
        let data = self.account_data(mint).await;
        spl_token_2022_interface::extension::StateWithExtensions::<
            spl_token_2022_interface::state::Mint,
        >::unpack(&data)
        .expect("mint")
        .base
        .decimals
    }

    /// Token balance of a token account of either program.
    pub async fn balance(&mut self, account: &Pubkey) -> u64 {
        let data = self.account_data(account).await;
        spl_token_2022_interface::extension::StateWithExtensions::<
            spl_token_2022_interface::state::Account,
        >::unpack(&data)
        .expect("token account")
        .base
        .amount
    }

    pub async fn account_data(&mut self, key: &Pubkey) -> Vec<u8> {
        self.ctx
            .banks_client
            .get_account(*key)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("account {key} does not exist"))
            .data
    }

    /// Deserializes an Anchor account (checking its discriminator).
    pub async fn anchor_account<T: AccountDeserialize>(&mut self, key: &Pubkey) -> T {
        let data = self.account_data(key).await;
        T::try_deserialize(&mut data.as_slice()).expect("anchor account")
    }

    pub async fn lamports(&mut self, key: &Pubkey) -> u64 {
        self.ctx.banks_client.get_balance(*key).await.unwrap()
    }
}
