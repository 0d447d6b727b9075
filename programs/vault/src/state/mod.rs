pub mod allowlist;
pub mod depositor;
pub mod governance;
pub mod ledger;
pub mod leverage;
pub mod position;
pub mod proposal;
pub mod risk;
pub mod vault;

pub use allowlist::*;
pub use depositor::*;
pub use governance::*;
pub use ledger::*;
pub use leverage::*;
pub use position::*;
pub use proposal::*;
pub use risk::*;
pub use vault::*;

#[cfg(test)]
mod ledger_props;
