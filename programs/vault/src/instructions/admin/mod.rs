pub mod initialize_vault;
pub mod set_admin;
pub mod update_config;

pub use initialize_vault::*;
pub use set_admin::*;
pub use update_config::*;
