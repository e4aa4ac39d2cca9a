//! The convex-yew demo: the Convex + AuthKit template app in Yew.
//!
//! Sign in through AuthKit, then see "Welcome {viewer}!", the latest ten numbers (live), add a
//! random number (a mutation with an optimistic update: it shows at once), run an action, and
//! page through every number ("Load more"). Configuration: see [`config`].

mod all_numbers;
mod api;
mod config;

use convex_yew::core::pagination::optimistic::insert_at_top;
use convex_yew::prelude::*;
use convex_yew::{ConvexClient, LocalStore};
use yew::prelude::*;

use all_numbers::AllNumbers;
use api::my_functions::{
    AddNumberArgs, ListNumbersArgs, MyActionArgs, ADD_NUMBER, LIST_NUMBERS, LIST_NUMBERS_PAGINATED,
    MY_ACTION,
};

/// Shows a new number at once, in the latest ten and at the top of the full list; the
/// server's answer replaces it (or, if the mutation fails, it goes away again).
fn add_locally(store: &mut LocalStore<'_>, args: &AddNumberArgs) {
    let latest = ListNumbersArgs { count: 10.0 };
    if let Some(mut list) = store.get_query(&LIST_NUMBERS, &latest) {
        list.numbers.push(args.value);
        if list.numbers.len() > 10 {
            list.numbers.remove(0);
        }
        let _ = store.set_query(&LIST_NUMBERS, &latest, Some(&list));
    }
    let _ = insert_at_top(
        store,
        &LIST_NUMBERS_PAGINATED,
        &api::my_functions::ListNumbersPaginatedArgs {},
        &args.value,
    );
}

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
    } else if let Some(user) = auth.user() {
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
    let list = use_query(&LIST_NUMBERS, Some(ListNumbersArgs { count: 10.0 }));
    // The mutation's state (its last error) re-renders this component; the button stays
    // clickable while a call runs or after one failed.
    let add = use_mutation_state(&ADD_NUMBER).with_optimistic_update(add_locally);
    let action = use_action(&MY_ACTION);
    let action_result = use_state(|| None::<String>);
    let add_error = add
        .state
        .error
        .as_ref()
        .map(|e| format!("Could not add the number: {}", convex_yew::report(e)));
    let on_add = {
        let add = add.clone();
        Callback::from(move |_| {
            add.mutate(&AddNumberArgs {
                value: random_number(),
            })
        })
    };
    let on_action = {
        let action_result = action_result.clone();
        Callback::from(move |_| {
            let done = action.call(&MyActionArgs {
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
                    Err(e) => format!("The action failed: {}", convex_yew::report(&e)),
                }));
            });
        })
    };
    match list {
        QueryState::Loading | QueryState::Skipped => {
            html! { <section class="card"><p class="muted" id="loading">{ "Loading…" }</p></section> }
        }
        QueryState::Err(e) => {
            html! { <section class="card error"><p>{ convex_yew::report(&e) }</p></section> }
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
                        <button id="add" onclick={on_add}>{ "Add a random number" }</button>
                        <button id="run-action" class="secondary" onclick={on_action}>{ "Run an action" }</button>
                    </div>
                    if let Some(e) = &add_error { <p class="error" id="add-error">{ e }</p> }
                    <h3>{ "Latest numbers" }</h3>
                    { numbers }
                    if let Some(r) = &*action_result { <p class="muted" id="action-result">{ r }</p> }
                    <AllNumbers />
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
