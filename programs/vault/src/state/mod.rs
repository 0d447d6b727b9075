pub mod depositor;
pub mod ledger;
pub mod vault;

pub use depositor::*;
pub use ledger::*;
pub use vault::*;

#[cfg(test)]
mod ledger_props;
