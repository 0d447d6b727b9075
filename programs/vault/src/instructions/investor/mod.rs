pub mod cancel_withdraw_request;
pub mod close_depositor;
pub mod deposit;
pub mod request_withdraw;
pub mod withdraw;

pub use cancel_withdraw_request::*;
pub use close_depositor::*;
pub use deposit::*;
pub use request_withdraw::*;
pub use withdraw::*;
