//! The convex-yew demo: the Convex + AuthKit template app in Yew.
//!
//! Sign in through AuthKit, then see "Welcome {viewer}!", the latest ten numbers (live), add a
//! random number (a mutation) or run an action. Configuration: see [`config`].

mod config;

use convex_yew::yew::*;
use convex_yew::{Action, ConvexClient, Mutation, Query};
use serde::{Deserialize, Serialize};
use yew::prelude::*;

#[derive(Serialize, Clone, PartialEq)]
struct ListArgs {
    count: u32,
}

#[derive(Deserialize, Clone, PartialEq)]
struct NumberList {
    viewer: Option<String>,
    numbers: Vec<f64>,
}

#[derive(Serialize)]
struct AddArgs {
    value: f64,
}

#[derive(Serialize)]
struct ActionArgs {
    first: f64,
    second: String,
}

const LIST_NUMBERS: Query<ListArgs, NumberList> = Query::new("myFunctions:listNumbers");
const ADD_NUMBER: Mutation<AddArgs, ()> = Mutation::new("myFunctions:addNumber");
const MY_ACTION: Action<ActionArgs, NumberList> = Action::new("myFunctions:myAction");

fn random_number() -> f64 {
    (js_sys::Math::random() * 10.0).floor()
}

#[component]
fn Header() -> Html {
    let auth = use_auth();
    let convex = use_convex_auth();
    let sign_in = {
        let auth = auth.clone();
        Callback::from(move |_| {
            let _ = auth.sign_in(Default::default());
        })
    };
    let sign_up = {
        let auth = auth.clone();
        Callback::from(move |_| {
            let _ = auth.sign_up(Default::default());
        })
    };
    let sign_out = {
        let auth = auth.clone();
        Callback::from(move |_| {
            let origin = web_sys::window().and_then(|w| w.location().origin().ok());
            let done = auth.sign_out(origin.map(|o| format!("{o}/")));
            wasm_bindgen_futures::spawn_local(async move {
                let _ = done.await;
            });
        })
    };
    let actions = if convex.is_loading {
        html! {}
    } else if let Some(user) = &auth.user {
        html! {
            <div class="account">
                <span class="who">{ &user.email }</span>
                <button id="sign-out" class="secondary" onclick={sign_out}>{ "Sign out" }</button>
            </div>
        }
    } else {
        html! {
            <div class="account">
                <button id="sign-in" class="secondary" onclick={sign_in}>{ "Sign in" }</button>
                <button id="sign-up" onclick={sign_up}>{ "Sign up" }</button>
            </div>
        }
    };
    html! {
        <header class="topbar">
            <h1>{ "Convex + AuthKit + Yew" }</h1>
            { actions }
        </header>
    }
}

#[component]
fn SignInPrompt() -> Html {
    let auth = use_auth();
    let sign_in = Callback::from(move |_| {
        let _ = auth.sign_in(Default::default());
    });
    html! {
        <section class="card prompt">
            <h2>{ "Sign in to see the numbers" }</h2>
            <p>{ "This demo keeps a shared list of numbers in Convex. Sign in with AuthKit to read and add to it." }</p>
            <button id="prompt-sign-in" onclick={sign_in}>{ "Sign in" }</button>
        </section>
    }
}

#[component]
fn Content() -> Html {
    let list = use_query(&LIST_NUMBERS, Some(ListArgs { count: 10 }));
    let add = use_mutation(&ADD_NUMBER);
    let action = use_action(&MY_ACTION);
    let adding = use_state(|| false);
    let action_result = use_state(|| None::<String>);
    let on_add = {
        let adding = adding.clone();
        Callback::from(move |_| {
            let done = add.call(&AddArgs {
                value: random_number(),
            });
            let adding = adding.clone();
            adding.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = done.await {
                    web_sys::console::error_1(&e.to_string().into());
                }
                adding.set(false);
            });
        })
    };
    let on_action = {
        let action_result = action_result.clone();
        Callback::from(move |_| {
            let done = action.call(&ActionArgs {
                first: random_number(),
                second: "hello".into(),
            });
            let action_result = action_result.clone();
            wasm_bindgen_futures::spawn_local(async move {
                action_result.set(Some(match done.await {
                    Ok(list) => format!(
                        "The action read {} numbers, then added one.",
                        list.numbers.len()
                    ),
                    Err(e) => format!("The action failed: {e}"),
                }));
            });
        })
    };
    match list {
        QueryState::Loading => {
            html! { <section class="card"><p class="muted" id="loading">{ "Loading…" }</p></section> }
        }
        QueryState::Err(e) => {
            html! { <section class="card error"><p>{ e.to_string() }</p></section> }
        }
        QueryState::Ok(list) => {
            let viewer = list.viewer.clone().unwrap_or_else(|| "Anonymous".into());
            let numbers = if list.numbers.is_empty() {
                html! { <p class="muted" id="numbers">{ "No numbers yet: add one." }</p> }
            } else {
                html! { <ul class="numbers" id="numbers">{ for list.numbers.iter().map(|n| html! { <li>{ n }</li> }) }</ul> }
            };
            html! {
                <section class="card">
                    <h2 id="welcome">{ format!("Welcome {viewer}!") }</h2>
                    <p>{ "Click the button below and open this page in another window: the data is persisted in Convex and updates live." }</p>
                    <div class="row">
                        <button id="add" onclick={on_add} disabled={*adding}>{ if *adding { "Adding…" } else { "Add a random number" } }</button>
                        <button id="run-action" class="secondary" onclick={on_action}>{ "Run an action" }</button>
                    </div>
                    <h3>{ "Latest numbers" }</h3>
                    { numbers }
                    if let Some(r) = &*action_result { <p class="muted" id="action-result">{ r }</p> }
                </section>
            }
        }
    }
}

#[component]
fn App() -> Html {
    let cfg = config::config();
    let client = use_memo((), |_| ConvexClient::new(config::config().convex_url));
    let client = match &*client {
        Ok(c) => c.clone(),
        Err(e) => {
            return html! { <main class="page"><p class="card error">{ format!("Bad CONVEX_URL: {e}") }</p></main> }
        }
    };
    html! {
        <AuthKitProvider
            client_id={cfg.client_id}
            api_hostname={AttrValue::from(cfg.api_hostname.clone())}
            https={cfg.api_https}
            port={cfg.api_port}
            redirect_uri={cfg.redirect_uri.map(AttrValue::from)}
        >
            <ConvexProviderWithAuthKit client={client}>
                <Header />
                <main class="content">
                    <AuthLoading><section class="card"><p class="muted">{ "Loading…" }</p></section></AuthLoading>
                    <Unauthenticated><SignInPrompt /></Unauthenticated>
                    <Authenticated><Content /></Authenticated>
                </main>
            </ConvexProviderWithAuthKit>
        </AuthKitProvider>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
