//! Venue decoders. Each venue is a program id and a list of pool-creating instructions, each
//! identified by its discriminator and mapping account positions to the pool's fields. Several
//! programs share discriminators (Anchor derives them from the instruction name), so a
//! decoder only runs for its own program id.

use super::tx::{Ix, Tx};
use super::{DetectError, DetectedPool};
use solana_sdk::pubkey::Pubkey;
use std::str::FromStr;

/// Wrapped SOL: the quote of bonding-curve launches.
pub const WSOL: Pubkey = Pubkey::from_str_const("So11111111111111111111111111111111111111112");

/// Where the pool's fields sit among an instruction's accounts.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub pool: usize,
    pub base: usize,
    /// `None`: the quote is wrapped SOL (bonding curves).
    pub quote: Option<usize>,
    pub lp: Option<usize>,
    pub creator: Option<usize>,
}

/// A pool-creating instruction of one venue.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub name: &'static str,
    /// Leading bytes of the instruction data that identify it.
    pub discriminator: &'static [u8],
    /// Exact data length, for venues without Anchor discriminators.
    pub data_len: Option<usize>,
    pub layout: Layout,
}

#[derive(Clone, Copy, Debug)]
pub struct Venue {
    pub name: &'static str,
    pub program: Pubkey,
    pub rules: &'static [Rule],
}

const fn l(
    pool: usize,
    base: usize,
    quote: Option<usize>,
    lp: Option<usize>,
    creator: Option<usize>,
) -> Layout {
    Layout {
        pool,
        base,
        quote,
        lp,
        creator,
    }
}

const fn anchor(name: &'static str, discriminator: &'static [u8], layout: Layout) -> Rule {
    Rule {
        name,
        discriminator,
        data_len: None,
        layout,
    }
}

// Discriminators are `sha256("global:<instruction>")[..8]`, as in the venues' published IDLs.
const CREATE_POOL: &[u8] = &[233, 146, 209, 142, 207, 104, 64, 188];
const INITIALIZE: &[u8] = &[175, 175, 109, 31, 13, 152, 155, 237];
const INITIALIZE_POOL: &[u8] = &[95, 180, 10, 172, 84, 174, 232, 40];

pub static VENUES: &[Venue] = &[
    Venue {
        name: "raydium_amm_v4",
        program: Pubkey::from_str_const("675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"),
        // initialize2: tag 1, nonce u8, open_time u64, init_pc u64, init_coin u64.
        rules: &[Rule {
            name: "initialize2",
            discriminator: &[1],
            data_len: Some(26),
            layout: l(4, 8, Some(9), Some(7), Some(17)),
        }],
    },
    Venue {
        name: "raydium_cpmm",
        program: Pubkey::from_str_const("CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C"),
        rules: &[anchor(
            "initialize",
            INITIALIZE,
            l(3, 4, Some(5), Some(6), Some(0)),
        )],
    },
    Venue {
        name: "raydium_clmm",
        program: Pubkey::from_str_const("CAMMCzo5YL8w4VFF8KVHrK22GGUsp5VTaW7grrKgrWqK"),
        rules: &[anchor(
            "create_pool",
            CREATE_POOL,
            l(2, 3, Some(4), None, Some(0)),
        )],
    },
    Venue {
        name: "orca_whirlpool",
        program: Pubkey::from_str_const("whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc"),
        rules: &[
            anchor(
                "initialize_pool",
                INITIALIZE_POOL,
                l(4, 1, Some(2), None, Some(3)),
            ),
            anchor(
                "initialize_pool_v2",
                &[207, 45, 87, 242, 27, 63, 204, 67],
                l(6, 1, Some(2), None, Some(5)),
            ),
        ],
    },
    Venue {
        name: "meteora_dlmm",
        program: Pubkey::from_str_const("LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo"),
        rules: &[
            anchor(
                "initialize_lb_pair",
                &[45, 154, 237, 210, 221, 15, 166, 92],
                l(0, 2, Some(3), None, Some(8)),
            ),
            anchor(
                "initialize_lb_pair2",
                &[73, 59, 36, 120, 237, 83, 108, 198],
                l(0, 2, Some(3), None, Some(8)),
            ),
            anchor(
                "initialize_permission_lb_pair",
                &[108, 102, 213, 85, 251, 3, 53, 21],
                l(1, 3, Some(4), None, Some(8)),
            ),
            anchor(
                "initialize_customizable_permissionless_lb_pair",
                &[46, 39, 41, 135, 111, 183, 200, 64],
                l(0, 2, Some(3), None, Some(8)),
            ),
            anchor(
                "initialize_customizable_permissionless_lb_pair2",
                &[243, 73, 129, 126, 51, 19, 241, 107],
                l(0, 2, Some(3), None, Some(8)),
            ),
        ],
    },
    Venue {
        name: "meteora_damm_v2",
        program: Pubkey::from_str_const("cpamdpZCGKUy5JxQXB4dcpGPiikHawvSWAd6mEn1sGG"),
        rules: &[
            anchor(
                "initialize_pool",
                INITIALIZE_POOL,
                l(6, 8, Some(9), None, Some(0)),
            ),
            anchor(
                "initialize_customizable_pool",
                &[20, 161, 241, 24, 189, 221, 180, 2],
                l(5, 7, Some(8), None, Some(0)),
            ),
            anchor(
                "initialize_pool_with_dynamic_config",
                &[149, 82, 72, 197, 253, 252, 68, 15],
                l(7, 9, Some(10), None, Some(0)),
            ),
        ],
    },
    Venue {
        name: "pumpfun",
        program: Pubkey::from_str_const("6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"),
        // The pool of a bonding-curve launch is the curve account. Migrations to PumpSwap
        // are found by the PumpSwap `create_pool` they run as an inner instruction (a
        // `migrate` of an already-migrated curve creates nothing).
        rules: &[
            anchor(
                "create",
                &[24, 30, 200, 40, 5, 28, 7, 119],
                l(2, 0, None, None, Some(7)),
            ),
            anchor(
                "create_v2",
                &[214, 144, 76, 236, 95, 139, 49, 180],
                l(2, 0, None, None, Some(5)),
            ),
        ],
    },
    Venue {
        name: "pumpswap",
        program: Pubkey::from_str_const("pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA"),
        rules: &[anchor(
            "create_pool",
            CREATE_POOL,
            l(0, 3, Some(4), Some(5), Some(2)),
        )],
    },
    Venue {
        name: "raydium_launchlab",
        program: Pubkey::from_str_const("LanMV9sAd7wArD4vJFi2qDdfnVhFxYSUg6eADduJ3uj"),
        rules: &[
            anchor("initialize", INITIALIZE, l(5, 6, Some(7), None, Some(1))),
            anchor(
                "initialize_v2",
                &[67, 153, 175, 39, 218, 16, 38, 32],
                l(5, 6, Some(7), None, Some(1)),
            ),
            anchor(
                "initialize_with_token_2022",
                &[37, 190, 126, 222, 44, 154, 171, 17],
                l(5, 6, Some(7), None, Some(1)),
            ),
        ],
    },
    Venue {
        name: "local_amm",
        program: local_amm::ID,
        rules: &[anchor(
            "create_pool",
            CREATE_POOL,
            l(1, 2, Some(3), Some(6), Some(0)),
        )],
    },
];

/// The venue of `program`, if it is watched.
pub fn venue(program: &Pubkey) -> Option<&'static Venue> {
    VENUES.iter().find(|v| v.program == *program)
}

/// Parses a base58 program id (for configuration files).
pub fn program_from_str(s: &str) -> Option<Pubkey> {
    Pubkey::from_str(s).ok()
}

/// Decodes one instruction of `program`, if it creates a pool.
pub fn decode(tx: &Tx, program: &Pubkey, ix: &Ix) -> Result<Option<DetectedPool>, DetectError> {
    let Some(venue) = venue(program) else {
        return Ok(None);
    };
    let Some(rule) = venue.rules.iter().find(|r| {
        ix.data.starts_with(r.discriminator) && r.data_len.is_none_or(|n| ix.data.len() == n)
    }) else {
        return Ok(None);
    };
    let lay = rule.layout;
    let needed = [
        Some(lay.pool),
        Some(lay.base),
        lay.quote,
        lay.lp,
        lay.creator,
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(0);
    if ix.accounts.len() <= needed {
        return Err(DetectError::Message(
            "a pool-creating instruction has too few accounts",
        ));
    }
    let get = |i: usize| -> Result<Pubkey, DetectError> {
        tx.account(ix, i)?.copied().ok_or(DetectError::Message(
            "a pool-creating instruction has too few accounts",
        ))
    };
    let opt = |i: Option<usize>| -> Result<Option<Pubkey>, DetectError> { i.map(get).transpose() };
    Ok(Some(DetectedPool {
        venue: venue.name,
        program_id: venue.program,
        pool: get(lay.pool)?,
        base_mint: get(lay.base)?,
        quote_mint: Some(match lay.quote {
            Some(i) => get(i)?,
            None => WSOL,
        }),
        lp_mint: opt(lay.lp)?,
        creator: opt(lay.creator)?,
        signature: tx.signature.clone(),
    }))
}
