pub mod collect_fees;
pub mod crystallize_fees;
pub mod mark_nav;

pub use collect_fees::*;
pub use crystallize_fees::*;
pub use mark_nav::*;
