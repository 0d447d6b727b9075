pub mod admin;
pub mod crank;
pub mod investor;
pub mod shared;

pub use admin::*;
pub use crank::*;
pub use investor::*;
