pub mod create_pool;
pub mod liquidity;
pub mod swap;

pub use create_pool::*;
pub use liquidity::*;
pub use swap::*;
