pub mod crank;
pub mod creator;
pub mod governance;
pub mod investor;
pub mod keeper;
pub mod leverage;
pub mod shared;

pub use crank::*;
pub use creator::*;
pub use governance::*;
pub use investor::*;
pub use keeper::*;
pub use leverage::*;
