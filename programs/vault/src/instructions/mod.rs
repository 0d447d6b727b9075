pub mod admin;
pub mod shared;
pub mod crank;
pub mod investor;

pub use admin::*;
pub use crank::*;
pub use investor::*;
