//! Where the client's messages go: the console (default), nowhere, or the app's own sink.

use std::rc::Rc;

/// How serious a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Frame-by-frame detail, only with [`ClientOptions::verbose`](super::ClientOptions).
    Debug,
    /// Log lines functions printed, and other information.
    Info,
    /// Something was wrong but the client carried on.
    Warn,
    /// Something failed.
    Error,
}

type Sink = Rc<dyn Fn(LogLevel, &str)>;

/// A log sink (the official client's `logger` option). Cheap to clone.
///
/// ```no_run
/// use convex_yew::{ClientOptions, ConvexClient, Logger, LogLevel};
/// let options = ClientOptions {
///     logger: Logger::custom(|level, message| {
///         if level >= LogLevel::Warn {
///             // send it to the app's error reporting
///             let _ = message;
///         }
///     }),
///     ..ClientOptions::default()
/// };
/// let client = ConvexClient::with_options("https://happy-otter-123.convex.cloud", options);
/// ```
#[derive(Clone)]
pub struct Logger {
    sink: Option<Sink>,
}

impl Logger {
    /// The browser console (`console.log`, `console.warn`, `console.error`).
    pub fn console() -> Logger {
        Logger {
            sink: Some(Rc::new(console)),
        }
    }

    /// Nothing is logged.
    pub fn silent() -> Logger {
        Logger { sink: None }
    }

    /// Every message goes to `sink`.
    pub fn custom(sink: impl Fn(LogLevel, &str) + 'static) -> Logger {
        Logger {
            sink: Some(Rc::new(sink)),
        }
    }

    /// Logs one message.
    pub fn log(&self, level: LogLevel, message: &str) {
        if let Some(sink) = &self.sink {
            sink(level, message);
        }
    }
}

impl Default for Logger {
    fn default() -> Self {
        Logger::console()
    }
}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.sink.is_some() {
            "Logger(sink)"
        } else {
            "Logger(silent)"
        })
    }
}

fn console(level: LogLevel, message: &str) {
    let m = wasm_bindgen::JsValue::from_str(message);
    match level {
        LogLevel::Debug | LogLevel::Info => web_sys::console::log_1(&m),
        LogLevel::Warn => web_sys::console::warn_1(&m),
        LogLevel::Error => web_sys::console::error_1(&m),
    }
}
