//! The Flashforge keeper: detects new pools, scores their safety, and trades through the
//! vault inside the limits the vault enforces.

pub mod accounts;
pub mod bench;
pub mod chain;
pub mod detect;
pub mod execute;
pub mod gather;
pub mod journal;
pub mod pipeline;
pub mod score;
pub mod sim;
pub mod strategy;
