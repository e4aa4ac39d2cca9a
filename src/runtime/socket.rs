//! A thin WebSocket wrapper: text frames in, events out through one callback.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// What a socket reports.
#[derive(Debug, Clone, PartialEq)]
pub enum SocketEvent {
    /// The connection opened.
    Open,
    /// A text frame arrived.
    Message(String),
    /// The connection closed (or failed to open) with this code and reason.
    Closed {
        /// The close code; 1006 when the connection failed.
        code: u16,
        /// The close reason, possibly empty.
        reason: String,
    },
}

/// Why a socket could not be created or written to.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SocketError {
    /// The browser refused the URL.
    #[error("could not open WebSocket: {0}")]
    Open(String),
    /// `send` threw (the socket is not open).
    #[error("could not send on WebSocket: {0}")]
    Send(String),
}

type Handlers = (
    Closure<dyn FnMut(web_sys::Event)>,
    Closure<dyn FnMut(MessageEvent)>,
    Closure<dyn FnMut(CloseEvent)>,
);

/// One browser WebSocket. Dropping it closes the socket and detaches the handlers, so no
/// event arrives after the drop.
pub struct Socket {
    ws: WebSocket,
    _handlers: Handlers,
}

impl Socket {
    /// Opens a socket to `url`; `on_event` receives every event until the socket is dropped.
    pub fn open(
        url: &str,
        on_event: impl FnMut(SocketEvent) + 'static,
    ) -> Result<Socket, SocketError> {
        let ws = WebSocket::new(url).map_err(|e| SocketError::Open(js_error_text(&e)))?;
        let sink = Rc::new(RefCell::new(on_event));
        let s1 = sink.clone();
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            (s1.borrow_mut())(SocketEvent::Open)
        });
        let s2 = sink.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(text) = super::js_text::js_string_text(&e.data()) {
                (s2.borrow_mut())(SocketEvent::Message(text));
            }
        });
        let s3 = sink;
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            (s3.borrow_mut())(SocketEvent::Closed {
                code: e.code(),
                reason: e.reason(),
            });
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Socket {
            ws,
            _handlers: (on_open, on_message, on_close),
        })
    }

    /// Sends one text frame.
    pub fn send(&self, text: &str) -> Result<(), SocketError> {
        self.ws
            .send_with_str(text)
            .map_err(|e| SocketError::Send(js_error_text(&e)))
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

/// The message of a thrown JS value, for error reports.
pub(crate) fn js_error_text(e: &wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

convex_yew_core::debug_as_message!(SocketError);
