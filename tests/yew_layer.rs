//! The Yew layer mounted in headless Chromium against the dev backend: what users see, and
//! render counts where no re-render is promised.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::Cell;
use std::rc::Rc;

use convex_yew::core::sync::TokenFetch;
use convex_yew::prelude::*;
use convex_yew::{ConvexClient, Mutation, Query};
use serde::{Deserialize, Serialize};
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Serialize, Clone, PartialEq)]
struct ListArgs {
    count: u32,
}
#[derive(Deserialize, Debug, Clone, PartialEq)]
struct List {
    viewer: Option<String>,
    numbers: Vec<f64>,
}
#[derive(Serialize)]
struct AddArgs {
    value: f64,
}
#[derive(Deserialize, Debug, Clone, PartialEq)]
struct Who {
    name: Option<String>,
}

const LIST: Query<ListArgs, List> = Query::new("myFunctions:listNumbers");
const ADD: Mutation<AddArgs, ()> = Mutation::new("myFunctions:addNumber");
const WHOAMI: Query<(), Option<Who>> = Query::new("testing:whoami");

/// A shared counter, compared by identity so props stay equal.
#[derive(Clone, Default)]
struct Counter(Rc<Cell<u32>>);
impl PartialEq for Counter {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}
impl Counter {
    fn bump(&self) {
        self.0.set(self.0.get() + 1)
    }
    fn get(&self) -> u32 {
        self.0.get()
    }
}

#[derive(Properties, PartialEq)]
struct CountedProps {
    renders: Counter,
    #[prop_or_default]
    count: Option<u32>,
}

#[component]
fn Latest(props: &CountedProps) -> Html {
    props.renders.bump();
    let list = use_query(&LIST, props.count.map(|count| ListArgs { count }));
    let add = use_mutation(&ADD);
    let onclick = Callback::from(move |_| {
        let done = add.call(&AddArgs {
            value: common::marker(),
        });
        wasm_bindgen_futures::spawn_local(async move { done.await.expect("mutation") });
    });
    html! {
        <div>
            <span class="state">{ match &list { QueryState::Loading | QueryState::Skipped => "loading".to_string(), QueryState::Ok(l) => format!("{:?}", l.numbers), QueryState::Err(e) => e.to_string() } }</span>
            <button {onclick}>{ "add" }</button>
        </div>
    }
}

#[component]
fn Viewer(props: &CountedProps) -> Html {
    props.renders.bump();
    let who = use_query(&WHOAMI, Some(()));
    html! { <span class="viewer">{ match who.data() { Some(Some(w)) => w.name.clone().unwrap_or_default(), Some(None) => "anonymous".into(), None => "loading".into() } }</span> }
}

#[derive(Properties, PartialEq)]
struct AppProps {
    client: ConvexClient,
    list_renders: Counter,
    viewer_renders: Counter,
    count: Option<u32>,
}

#[component]
fn App(props: &AppProps) -> Html {
    html! {
        <ConvexProvider client={props.client.clone()}>
            <Latest renders={props.list_renders.clone()} count={props.count} />
            <Viewer renders={props.viewer_renders.clone()} />
        </ConvexProvider>
    }
}

fn text(root: &web_sys::Element, selector: &str) -> String {
    common::query(root, selector)
        .map(|e| e.inner_text())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn use_query_and_use_mutation_update_live_and_only_the_changed_query_re_renders() {
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let root = common::fresh_root();
    let (list_renders, viewer_renders) = (Counter::default(), Counter::default());
    yew::Renderer::<App>::with_root_and_props(
        root.clone(),
        AppProps {
            client: client.clone(),
            list_renders: list_renders.clone(),
            viewer_renders: viewer_renders.clone(),
            count: Some(3),
        },
    )
    .render();
    common::wait_until(|| {
        text(&root, ".state").starts_with('[') && text(&root, ".viewer") == "anonymous"
    })
    .await;
    let before = text(&root, ".state");
    let viewer_before = viewer_renders.get();
    let list_before = list_renders.get();
    common::query(&root, "button").unwrap().click();
    common::wait_until(|| text(&root, ".state") != before).await;
    common::settle().await;
    assert_eq!(
        viewer_renders.get(),
        viewer_before,
        "the unchanged query's component did not re-render"
    );
    assert!(list_renders.get() > list_before);
    assert!(
        list_renders.get() <= list_before + 2,
        "one re-render per change: {} -> {}",
        list_before,
        list_renders.get()
    );
    client.close();
}

#[wasm_bindgen_test]
async fn a_skipped_query_sends_nothing() {
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let root = common::fresh_root();
    yew::Renderer::<App>::with_root_and_props(
        root.clone(),
        AppProps {
            client: client.clone(),
            list_renders: Counter::default(),
            viewer_renders: Counter::default(),
            count: None,
        },
    )
    .render();
    common::wait_until(|| text(&root, ".viewer") == "anonymous").await;
    assert_eq!(text(&root, ".state"), "loading");
    assert_eq!(
        client.connection_state().subscribed_queries,
        1,
        "only the viewer query"
    );
    client.close();
}

#[derive(Properties, PartialEq)]
struct GatedProps {
    client: ConvexClient,
    auth: AuthSource,
    unauthenticated_renders: Counter,
}

#[component]
fn Gated(props: &GatedProps) -> Html {
    html! {
        <ConvexProviderWithAuth client={props.client.clone()} auth={props.auth.clone()}>
            <AuthLoading><p class="gate">{ "loading" }</p></AuthLoading>
            <Authenticated><p class="gate">{ "in" }</p><Viewer renders={Counter::default()} /></Authenticated>
            <Unauthenticated><Probe renders={props.unauthenticated_renders.clone()} /></Unauthenticated>
        </ConvexProviderWithAuth>
    }
}

#[component]
fn Probe(props: &CountedProps) -> Html {
    props.renders.bump();
    html! { <p class="gate">{ "out" }</p> }
}

fn fetcher_for(email: &'static str) -> TokenFetcher {
    TokenFetcher::new(move |_force| {
        Box::pin(async move { TokenFetch::Token(common::issue_token(email, None).await) })
    })
}

#[wasm_bindgen_test]
async fn convex_provider_with_auth_gates_on_server_confirmation() {
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let root = common::fresh_root();
    let unauth = Counter::default();
    let fetch = fetcher_for("grace@example.com");
    let mut handle = yew::Renderer::<Gated>::with_root_and_props(
        root.clone(),
        GatedProps {
            client: client.clone(),
            auth: AuthSource {
                is_loading: true,
                is_authenticated: false,
                identity: None,
                fetch_access_token: fetch.clone(),
            },
            unauthenticated_renders: unauth.clone(),
        },
    )
    .render();
    common::settle().await;
    assert_eq!(text(&root, ".gate"), "loading");
    // The provider finishes restoring a session: Convex is asked, and only the server's
    // confirmation shows the signed-in UI. "out" never flashes.
    handle.update(GatedProps {
        client: client.clone(),
        auth: AuthSource {
            is_loading: false,
            is_authenticated: true,
            identity: Some("grace".into()),
            fetch_access_token: fetch.clone(),
        },
        unauthenticated_renders: unauth.clone(),
    });
    common::wait_until(|| text(&root, ".gate") == "in").await;
    common::wait_until(|| text(&root, ".viewer") == "Grace Hopper").await;
    assert_eq!(
        unauth.get(),
        0,
        "no flash of Unauthenticated while the session was being confirmed"
    );
    assert!(client.is_authenticated());
    // Sign-out: the gate flips and the client goes back to anonymous.
    handle.update(GatedProps {
        client: client.clone(),
        auth: AuthSource {
            is_loading: false,
            is_authenticated: false,
            identity: None,
            fetch_access_token: fetch,
        },
        unauthenticated_renders: unauth.clone(),
    });
    common::wait_until(|| text(&root, ".gate") == "out").await;
    common::wait_until(|| !client.is_authenticated()).await;
    client.close();
}

#[derive(Properties, PartialEq)]
struct KitProps {
    client: ConvexClient,
    port: u16,
    auth_renders: Counter,
    unauthenticated_renders: Counter,
}

#[component]
fn AuthConsumer(props: &CountedProps) -> Html {
    props.renders.bump();
    let auth = use_auth();
    let convex = use_convex_auth();
    let token = {
        let auth = auth.clone();
        Callback::from(move |_| {
            let t = auth.get_access_token(true);
            wasm_bindgen_futures::spawn_local(async move {
                t.await.expect("refresh");
            });
        })
    };
    html! {
        <div>
            <span class="email">{ auth.user().map(|u| u.email.clone()).unwrap_or_default() }</span>
            <span class="convex">{ format!("{}/{}", convex.is_loading, convex.is_authenticated) }</span>
            <button class="refresh" onclick={token}>{ "refresh" }</button>
        </div>
    }
}

#[component]
fn Kit(props: &KitProps) -> Html {
    html! {
        <AuthKitProvider client_id="client_local_dev" api_hostname="127.0.0.1" https={false} port={props.port} dev_mode={true}>
            <ConvexProviderWithAuthKit client={props.client.clone()}>
                <AuthConsumer renders={props.auth_renders.clone()} />
                <Authenticated><Viewer renders={Counter::default()} /></Authenticated>
                <Unauthenticated><Probe renders={props.unauthenticated_renders.clone()} /></Unauthenticated>
            </ConvexProviderWithAuthKit>
        </AuthKitProvider>
    }
}

#[wasm_bindgen_test]
async fn authkit_provider_restores_a_session_without_a_flash_and_refreshes_without_re_rendering() {
    common::stored_session("ada@example.com").await;
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let port = common::backend_port();
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let root = common::fresh_root();
    let (auth_renders, unauth) = (Counter::default(), Counter::default());
    yew::Renderer::<Kit>::with_root_and_props(
        root.clone(),
        KitProps {
            client: client.clone(),
            port,
            auth_renders: auth_renders.clone(),
            unauthenticated_renders: unauth.clone(),
        },
    )
    .render();
    common::wait_until(|| text(&root, ".viewer") == "Ada Lovelace").await;
    assert_eq!(text(&root, ".email"), "ada@example.com");
    assert_eq!(text(&root, ".convex"), "false/true");
    assert_eq!(
        unauth.get(),
        0,
        "the restored session never showed the signed-out UI"
    );
    common::settle().await;
    let renders = auth_renders.get();
    let rt = storage
        .get_item("workos:refresh-token:client_local_dev")
        .unwrap();
    common::query(&root, ".refresh").unwrap().click();
    common::wait_until(|| {
        storage
            .get_item("workos:refresh-token:client_local_dev")
            .unwrap()
            != rt
    })
    .await;
    common::sleep_ms(300).await;
    assert_eq!(
        auth_renders.get(),
        renders,
        "a token refresh re-renders no consumer"
    );
    client.close();
    storage.clear().unwrap();
}

#[derive(Properties, PartialEq)]
struct LateProps {
    client: ConvexClient,
    show_second: bool,
    loading_renders: Counter,
}

#[component]
fn LoadingProbe(props: &CountedProps) -> Html {
    let list = use_query(&LIST, Some(ListArgs { count: 3 }));
    if list.is_loading() {
        props.renders.bump();
    }
    html! { <span class="second">{ list.data().map(|l| format!("{:?}", l.numbers)).unwrap_or_default() }</span> }
}

#[component]
fn Late(props: &LateProps) -> Html {
    let first = use_query(&LIST, Some(ListArgs { count: 3 }));
    html! {
        <ConvexProvider client={props.client.clone()}>
            <span class="first">{ first.data().map(|l| format!("{:?}", l.numbers)).unwrap_or_default() }</span>
            if props.show_second { <LoadingProbe renders={props.loading_renders.clone()} /> }
        </ConvexProvider>
    }
}

#[component]
fn LateRoot(props: &LateProps) -> Html {
    html! {
        <ConvexProvider client={props.client.clone()}>
            <Late client={props.client.clone()} show_second={props.show_second} loading_renders={props.loading_renders.clone()} />
        </ConvexProvider>
    }
}

#[wasm_bindgen_test]
async fn a_query_the_client_already_holds_renders_its_value_on_the_first_render() {
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let root = common::fresh_root();
    let loading = Counter::default();
    let props = |show_second| LateProps {
        client: client.clone(),
        show_second,
        loading_renders: loading.clone(),
    };
    let mut handle =
        yew::Renderer::<LateRoot>::with_root_and_props(root.clone(), props(false)).render();
    common::wait_until(|| !text(&root, ".first").is_empty()).await;
    handle.update(props(true));
    common::wait_until(|| !text(&root, ".second").is_empty()).await;
    assert_eq!(text(&root, ".second"), text(&root, ".first"));
    assert_eq!(
        loading.get(),
        0,
        "the second subscriber showed a loading frame"
    );
    client.close();
}

#[component]
fn Unwrapped() -> Html {
    html! {
        <div id="unwrapped">
            <Authenticated><p id="in">{ "in" }</p></Authenticated>
            <Unauthenticated><p id="out">{ "out" }</p></Unauthenticated>
            <AuthLoading><p id="loading">{ "loading" }</p></AuthLoading>
            <AuthRefreshing><p id="refreshing">{ "refreshing" }</p></AuthRefreshing>
        </div>
    }
}

/// A gate outside a Convex auth provider renders a message saying where it belongs (and
/// shows none of its children) instead of panicking the app.
#[wasm_bindgen_test]
async fn a_gate_outside_a_provider_says_so_instead_of_panicking() {
    let root = common::fresh_root();
    let handle = yew::Renderer::<Unwrapped>::with_root(root.clone()).render();
    common::settle().await;
    let messages = root
        .query_selector_all(".convex-yew-missing-provider")
        .unwrap();
    assert_eq!(messages.length(), 4, "each gate says so");
    let first = messages.item(0).unwrap().text_content().unwrap_or_default();
    assert!(
        first.contains("<Authenticated> must be inside <ConvexProviderWithAuthKit>"),
        "{first}"
    );
    for child in ["#in", "#out", "#loading", "#refreshing"] {
        assert!(
            common::query(&root, child).is_none(),
            "{child} is not shown"
        );
    }
    handle.destroy();
}

#[derive(Properties, PartialEq)]
struct NestedProps {
    client: ConvexClient,
    port: u16,
}

/// Reads every provider above it.
#[component]
fn NestedProbe() -> Html {
    let convex = use_convex();
    let auth = use_auth();
    let list = use_query(&LIST, Some(ListArgs { count: 1 }));
    html! {
        <p id="nested">{ format!("{}/{}/{}", convex.url().is_empty(), auth.is_loading, list.is_loading()) }</p>
    }
}

#[component]
fn Nested(props: &NestedProps) -> Html {
    html! {
        <ConvexProvider client={props.client.clone()}>
            <AuthKitProvider client_id="client_local_dev" api_hostname="127.0.0.1" https={false} port={props.port} dev_mode={true}>
                <NestedProbe />
                <Authenticated><p id="in">{ "in" }</p></Authenticated>
            </AuthKitProvider>
        </ConvexProvider>
    }
}

/// The providers share one context, each passing on what an outer one put there: a Convex
/// provider outside `<AuthKitProvider>` still reaches the hooks inside it, and a gate under a
/// Convex provider without auth still says it needs one.
#[wasm_bindgen_test]
async fn providers_nest_in_either_order() {
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .clear()
        .unwrap();
    let port = common::backend_port();
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let root = common::fresh_root();
    let handle =
        yew::Renderer::<Nested>::with_root_and_props(root.clone(), NestedProps { client, port })
            .render();
    common::settle().await;
    let mut shown = String::new();
    for _ in 0..100 {
        shown = common::query(&root, "#nested")
            .and_then(|e| e.text_content())
            .unwrap_or_default();
        if shown == "false/false/false" {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    assert_eq!(
        shown, "false/false/false",
        "client, AuthKit and a query result all reached"
    );
    let message = root
        .query_selector(".convex-yew-missing-provider")
        .unwrap()
        .and_then(|e| e.text_content())
        .unwrap_or_default();
    assert!(
        message.contains("<Authenticated> must be inside"),
        "{message}"
    );
    assert!(common::query(&root, "#in").is_none());
    handle.destroy();
}

#[component]
fn InnerGates() -> Html {
    html! {
        <div id="inner">
            <Authenticated><p id="inner-in">{ "in" }</p></Authenticated>
            <Unauthenticated><p id="inner-out">{ "out" }</p></Unauthenticated>
        </div>
    }
}

/// A plain `ConvexProvider` (a library re-providing the same client, say) inside
/// `ConvexProviderWithAuthKit`.
#[component]
fn InnerPlain(props: &NestedProps) -> Html {
    html! {
        <AuthKitProvider client_id="client_local_dev" api_hostname="127.0.0.1" https={false} port={props.port} dev_mode={true}>
            <ConvexProviderWithAuthKit client={props.client.clone()}>
                <Authenticated><p id="outer-in">{ "in" }</p></Authenticated>
                <ConvexProvider client={props.client.clone()}>
                    <InnerGates />
                </ConvexProvider>
            </ConvexProviderWithAuthKit>
        </AuthKitProvider>
    }
}

/// A plain `ConvexProvider` inside a provider with auth replaces the client only: the gates
/// under it still see the outer auth state, as React's `ConvexProvider` sets only the client
/// context. (Found in review: the shared context first dropped the auth state there.)
#[wasm_bindgen_test]
async fn a_convex_provider_inside_one_with_auth_keeps_the_auth_state() {
    common::stored_session("ada@example.com").await;
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let root = common::fresh_root();
    let handle = yew::Renderer::<InnerPlain>::with_root_and_props(
        root.clone(),
        NestedProps {
            client: client.clone(),
            port: common::backend_port(),
        },
    )
    .render();
    common::wait_until(|| common::query(&root, "#outer-in").is_some()).await;
    common::settle().await;
    let inner = common::query(&root, "#inner")
        .and_then(|e| e.text_content())
        .unwrap_or_default();
    handle.destroy();
    client.close();
    storage.clear().unwrap();
    assert_eq!(inner, "in", "the gates under the plain ConvexProvider");
}

#[derive(Properties, PartialEq)]
struct RerenderProps {
    client: ConvexClient,
    port: u16,
    /// Bumped by the test: each bump re-renders the providers with new children.
    bump: Rc<Cell<u32>>,
}

/// A parent that re-renders `ConvexProviderWithAuthKit` on demand, with different children.
#[component]
fn Rerendering(props: &RerenderProps) -> Html {
    let tick = use_state(|| 0u32);
    {
        let (tick, bump) = (tick.clone(), props.bump.clone());
        use_effect_with((), move |_| {
            let interval = gloo_timers::callback::Interval::new(20, move || {
                if bump.get() > *tick {
                    tick.set(bump.get());
                }
            });
            move || drop(interval)
        });
    }
    html! {
        <AuthKitProvider client_id="client_local_dev" api_hostname="127.0.0.1" https={false} port={props.port} dev_mode={true}>
            <ConvexProviderWithAuthKit client={props.client.clone()}>
                <p id="tick">{ *tick }</p>
                <Authenticated><p id="authed">{ "in" }</p></Authenticated>
            </ConvexProviderWithAuthKit>
        </AuthKitProvider>
    }
}

async fn authenticate_count() -> u64 {
    let response = gloo_net::http::Request::get(&format!(
        "{}/_test/authenticate_count",
        common::backend_url()
    ))
    .send()
    .await
    .unwrap();
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    body["count"].as_u64().unwrap()
}

/// Re-rendering `ConvexProviderWithAuthKit` (a parent's state change) keeps the token fetcher
/// it handed to Convex: no new `set_auth`, so no new Authenticate on the socket.
#[wasm_bindgen_test]
async fn re_rendering_the_authkit_provider_sends_no_new_authenticate() {
    common::stored_session("ada@example.com").await;
    let client = ConvexClient::new(common::backend_url()).unwrap();
    let root = common::fresh_root();
    let bump = Rc::new(Cell::new(0));
    let handle = yew::Renderer::<Rerendering>::with_root_and_props(
        root.clone(),
        RerenderProps {
            client: client.clone(),
            port: common::backend_port(),
            bump: bump.clone(),
        },
    )
    .render();
    common::wait_until(|| common::query(&root, "#authed").is_some()).await;
    common::sleep_ms(200).await;
    let before = authenticate_count().await;
    for i in 1..=5 {
        bump.set(i);
        let shown = i.to_string();
        common::wait_until(|| {
            common::query(&root, "#tick").and_then(|e| e.text_content()) == Some(shown.clone())
        })
        .await;
    }
    common::sleep_ms(300).await;
    assert_eq!(
        authenticate_count().await,
        before,
        "five re-renders of the provider sent new Authenticate messages"
    );
    handle.destroy();
    client.close();
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .clear()
        .unwrap();
}
