//! Transaction-log output: see the `native-log` crate for why host builds need it.

pub use native_log::log;

/// `format!`-style [`log`].
#[macro_export]
macro_rules! vlog {
    ($($arg:tt)*) => {
        native_log::log(&format!($($arg)*))
    };
}
