pub mod collect_fees;
pub mod crystallize_fees;

pub use collect_fees::*;
pub use crystallize_fees::*;
