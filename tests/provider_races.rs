//! The providers under races, in headless Chromium against the dev backend: a restore that
//! meets a 503, a client swap, callback props that change, a config change while a refresh
//! is in flight (issue 11, defects 3, 7 and 8).
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use convex_yew::core::authkit::RefreshError;
use convex_yew::core::sync::TokenFetch;
use convex_yew::prelude::*;
use convex_yew::AuthKitClient;
use convex_yew::{ConvexClient, Query};
use serde::Deserialize;
use serde_json::json;
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Deserialize, Debug, Clone, PartialEq)]
struct Who {
    name: Option<String>,
}
const WHOAMI: Query<(), Option<Who>> = Query::new("testing:whoami");

const RT_KEY: &str = "workos:refresh-token:client_local_dev";

fn port() -> u16 {
    common::backend_port()
}

fn text(root: &web_sys::Element, selector: &str) -> String {
    common::query(root, selector)
        .map(|e| e.inner_text())
        .unwrap_or_default()
}

#[component]
fn Viewer() -> Html {
    let who = use_query(&WHOAMI, Some(()));
    html! { <span class="viewer">{ match who.data() { Some(Some(w)) => w.name.clone().unwrap_or_default(), Some(None) => "anonymous".into(), None => "loading".into() } }</span> }
}

#[derive(Clone, Default)]
struct Shared<T>(Rc<RefCell<T>>);
impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
struct KitProps {
    client: ConvexClient,
    #[prop_or(10)]
    buffer: u64,
    #[prop_or_default]
    on_refresh_failure: Option<Callback<RefreshError>>,
    /// How often the signed-out UI rendered.
    signed_out: Shared<u32>,
    /// The AuthKit client the context holds, as last rendered.
    seen_client: Shared<Option<AuthKitClient>>,
}

#[component]
fn SignedOut(props: &SharedProps) -> Html {
    *props.count.0.borrow_mut() += 1;
    html! { <p class="out">{ "signed out" }</p> }
}

#[derive(Properties, PartialEq)]
struct SharedProps {
    count: Shared<u32>,
}

#[derive(Properties, PartialEq)]
struct SeenProps {
    seen: Shared<Option<AuthKitClient>>,
}

#[component]
fn ClientProbe(props: &SeenProps) -> Html {
    let auth = use_auth();
    *props.seen.0.borrow_mut() = auth.client().cloned();
    html! {}
}

#[component]
fn Kit(props: &KitProps) -> Html {
    html! {
        <AuthKitProvider client_id="client_local_dev" api_hostname="127.0.0.1" https={false}
            port={port()} dev_mode={true} refresh_buffer_secs={props.buffer}
            on_refresh_failure={props.on_refresh_failure.clone()}>
            <ClientProbe seen={props.seen_client.clone()} />
            <ConvexProviderWithAuthKit client={props.client.clone()}>
                <Authenticated><Viewer /></Authenticated>
                <Unauthenticated><SignedOut count={props.signed_out.clone()} /></Unauthenticated>
            </ConvexProviderWithAuthKit>
        </AuthKitProvider>
    }
}

#[wasm_bindgen_test]
async fn a_restore_that_meets_a_503_shows_the_user_and_never_the_signed_out_ui() {
    common::stored_session("ada@example.com").await;
    common::post(
        "/_test/refresh_failures",
        json!({"count": 1, "status": 503}),
    )
    .await;
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let root = common::fresh_root();
    let signed_out = Shared::default();
    yew::Renderer::<Kit>::with_root_and_props(
        root.clone(),
        KitProps {
            client: client.clone(),
            buffer: 10,
            on_refresh_failure: None,
            signed_out: signed_out.clone(),
            seen_client: Shared::default(),
        },
    )
    .render();
    common::wait_until(|| text(&root, ".viewer") == "Ada Lovelace").await;
    assert_eq!(
        *signed_out.0.borrow(),
        0,
        "the signed-out UI flashed while the restore retried"
    );
    client.close();
}

#[wasm_bindgen_test]
async fn the_provider_hears_callback_props_passed_after_the_first_render() {
    common::stored_session("grace@example.com").await;
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let root = common::fresh_root();
    let (first, second) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let seen = Shared::default();
    let f = first.clone();
    let mut handle = yew::Renderer::<Kit>::with_root_and_props(
        root.clone(),
        KitProps {
            client: client.clone(),
            buffer: 10,
            on_refresh_failure: Some(Callback::from(move |_| f.set(f.get() + 1))),
            signed_out: Shared::default(),
            seen_client: seen.clone(),
        },
    )
    .render();
    common::wait_until(|| text(&root, ".viewer") == "Grace Hopper").await;
    let s = second.clone();
    handle.update(KitProps {
        client: client.clone(),
        buffer: 10,
        on_refresh_failure: Some(Callback::from(move |_| s.set(s.get() + 1))),
        signed_out: Shared::default(),
        seen_client: seen.clone(),
    });
    common::settle().await;
    common::post(
        "/_test/refresh_failures",
        json!({"count": 1, "status": 400}),
    )
    .await;
    let authkit = seen.0.borrow().clone().unwrap();
    let _ = authkit.get_access_token(true).await;
    common::settle().await;
    assert_eq!(
        (first.get(), second.get()),
        (0, 1),
        "the latest callback prop is called"
    );
    client.close();
}

#[wasm_bindgen_test]
async fn a_disposed_authkit_client_never_comes_back_into_the_context() {
    common::stored_session("ada@example.com").await;
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let root = common::fresh_root();
    let seen = Shared::default();
    let props = |buffer| KitProps {
        client: client.clone(),
        buffer,
        on_refresh_failure: None,
        signed_out: Shared::default(),
        seen_client: seen.clone(),
    };
    let mut handle = yew::Renderer::<Kit>::with_root_and_props(root.clone(), props(10)).render();
    common::wait_until(|| text(&root, ".viewer") == "Ada Lovelace").await;
    let old = seen.0.borrow().clone().unwrap();
    // A config change: the provider disposes the old client and starts a new one.
    handle.update(props(11));
    common::wait_until(|| seen.0.borrow().as_ref().is_some_and(|c| *c != old)).await;
    common::wait_until(|| text(&root, ".viewer") == "Ada Lovelace").await;
    // The old client is used after it was disposed, in a way that changes what it shows.
    let _ = old.switch_to_organization("org_globex").await;
    common::sleep_ms(200).await;
    assert!(
        seen.0.borrow().as_ref().is_some_and(|c| *c != old),
        "the disposed client was written back into the context"
    );
    client.close();
}

#[derive(Properties, PartialEq)]
struct SwapProps {
    client: ConvexClient,
    fetcher: TokenFetcher,
}

#[component]
fn Swap(props: &SwapProps) -> Html {
    let auth = AuthSource {
        is_loading: false,
        is_authenticated: true,
        identity: None,
        fetch_access_token: props.fetcher.clone(),
    };
    html! {
        <ConvexProviderWithAuth client={props.client.clone()} {auth}>
            <Authenticated><Viewer /></Authenticated>
        </ConvexProviderWithAuth>
    }
}

#[wasm_bindgen_test]
async fn swapping_the_convex_client_signs_the_old_one_out() {
    let fetcher = TokenFetcher::new(|_force| {
        Box::pin(async { TokenFetch::Token(common::issue_token("grace@example.com", None).await) })
    });
    let a = ConvexClient::new(common::backend_url()).unwrap();
    let b = ConvexClient::new(common::backend_url()).unwrap();
    let root = common::fresh_root();
    let mut handle = yew::Renderer::<Swap>::with_root_and_props(
        root.clone(),
        SwapProps {
            client: a.clone(),
            fetcher: fetcher.clone(),
        },
    )
    .render();
    common::wait_until(|| a.is_authenticated()).await;
    handle.update(SwapProps {
        client: b.clone(),
        fetcher,
    });
    common::wait_until(|| b.is_authenticated()).await;
    common::wait_until(|| !a.is_authenticated()).await;
    a.close();
    b.close();
}

#[derive(Properties, PartialEq)]
struct ActionsProps {
    out: Shared<Vec<String>>,
}

/// Uses `use_auth`'s URL getters and a background sign-out, recording what it saw.
#[component]
fn AuthActions(props: &ActionsProps) -> Html {
    let auth = use_auth();
    let out = props.out.clone();
    let onclick = {
        let auth = auth.clone();
        Callback::from(move |_| {
            let sign_in = auth.sign_in_url(Default::default()).unwrap();
            let sign_up = auth.sign_up_url(Default::default()).unwrap();
            out.0.borrow_mut().extend([sign_in, sign_up]);
            let done = auth.sign_out_with(SignOutOptions {
                return_to: None,
                navigate: false,
            });
            let out = out.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let result = format!("{:?}", done.await);
                out.0.borrow_mut().push(result);
            });
        })
    };
    html! {
        <div>
            <span class="user">{ auth.user().map(|u| u.email.clone()).unwrap_or_default() }</span>
            <button class="act" {onclick}>{ "act" }</button>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ActionsKitProps {
    out: Shared<Vec<String>>,
}

#[component]
fn ActionsKit(props: &ActionsKitProps) -> Html {
    html! {
        <AuthKitProvider client_id="client_local_dev" api_hostname="127.0.0.1" https={false} port={port()} dev_mode={true}>
            <AuthActions out={props.out.clone()} />
        </AuthKitProvider>
    }
}

#[wasm_bindgen_test]
async fn use_auth_builds_sign_in_and_sign_up_urls_and_signs_out_without_navigating() {
    common::stored_session("grace@example.com").await;
    let root = common::fresh_root();
    let out = Shared::default();
    yew::Renderer::<ActionsKit>::with_root_and_props(
        root.clone(),
        ActionsKitProps { out: out.clone() },
    )
    .render();
    common::wait_until(|| text(&root, ".user") == "grace@example.com").await;
    // The restore rotated the stored token: this one is live until the sign-out.
    let rt = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item(RT_KEY)
        .unwrap()
        .unwrap();
    let href = web_sys::window().unwrap().location().href().unwrap();
    common::query(&root, ".act").unwrap().click();
    common::wait_until(|| out.0.borrow().len() == 3).await;
    let seen = out.0.borrow().clone();
    assert!(seen[0].contains("/user_management/authorize?") && !seen[0].contains("screen_hint"));
    assert!(seen[1].contains("screen_hint=sign-up"));
    assert_eq!(seen[2], "Ok(())");
    common::wait_until(|| text(&root, ".user").is_empty()).await;
    assert_eq!(
        web_sys::window().unwrap().location().href().unwrap(),
        href,
        "the page did not navigate"
    );
    // The session is over at the backend too: its refresh token no longer works.
    assert_eq!(common::authkit::backend_refresh(&rt).await["status"], 400);
}
