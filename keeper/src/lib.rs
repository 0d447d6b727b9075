//! The Flashforge keeper: detects new pools, scores their safety, and trades through the
//! vault inside the limits the vault enforces.

pub mod accounts;
pub mod detect;
pub mod score;
