pub mod flash;
pub mod liquidate;
pub mod liquidity;
pub mod market;
pub mod obligation;

pub use flash::*;
pub use liquidate::*;
pub use liquidity::*;
pub use market::*;
pub use obligation::*;
