//! The size floor of the demo: the same markup, CSS and interactions on bare Yew, with static
//! data in place of Convex and AuthKit. Which screen shows is read from the URL at run time
//! (`?screen=loading|signed-out|error|empty|list`), so every branch the demo has stays in the
//! build: the compiler cannot drop one. Built like the demo (same profile, wasm-opt flags and
//! minified glue); `scripts/bench` and the size layer of `scripts/test` report the demo minus
//! this as the SDK's own bytes.

use yew::prelude::*;

/// What the page shows, chosen at run time.
#[derive(Clone, Copy, PartialEq)]
enum Screen {
    Loading,
    SignedOut,
    Error,
    Empty,
    List,
}

fn screen() -> Screen {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    match search.split("screen=").nth(1).unwrap_or("") {
        s if s.starts_with("loading") => Screen::Loading,
        s if s.starts_with("signed-out") => Screen::SignedOut,
        s if s.starts_with("error") => Screen::Error,
        s if s.starts_with("empty") => Screen::Empty,
        _ => Screen::List,
    }
}

fn random_number() -> f64 {
    (js_sys::Math::random() * 10.0).floor()
}

#[derive(Properties, PartialEq)]
struct ScreenProps {
    screen: Screen,
}

#[component]
fn Header(props: &ScreenProps) -> Html {
    let email = use_state(|| Some(String::from("ada@example.com")));
    let sign_in = Callback::from(|_| web_sys::console::log_1(&"sign in".into()));
    let sign_up = Callback::from(|_| web_sys::console::log_1(&"sign up".into()));
    let sign_out = {
        let email = email.clone();
        Callback::from(move |_| {
            let origin = web_sys::window().and_then(|w| w.location().origin().ok());
            email.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let _ = origin.map(|o| format!("{o}/"));
            });
        })
    };
    let actions = if props.screen == Screen::Loading {
        html! {}
    } else if let (Some(user), false) = (&*email, props.screen == Screen::SignedOut) {
        html! {
            <div class="account">
                <span class="who">{ user }</span>
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
    let sign_in = Callback::from(|_| web_sys::console::log_1(&"sign in".into()));
    html! {
        <section class="card prompt">
            <h2>{ "Sign in to see the numbers" }</h2>
            <p>{ "This demo keeps a shared list of numbers in Convex. Sign in with AuthKit to read and add to it." }</p>
            <button id="prompt-sign-in" onclick={sign_in}>{ "Sign in" }</button>
        </section>
    }
}

#[component]
fn Content(props: &ScreenProps) -> Html {
    let numbers = use_state(|| {
        if props.screen == Screen::Empty {
            Vec::new()
        } else {
            vec![3.0, 1.0, 4.0, 1.0, 5.0]
        }
    });
    let action_result = use_state(|| None::<String>);
    let add_error = use_state(|| None::<String>);
    let on_add = {
        let (numbers, add_error) = (numbers.clone(), add_error.clone());
        Callback::from(move |_| {
            let mut next = (*numbers).clone();
            next.push(random_number());
            if next.len() > 10 {
                next.remove(0);
            }
            if next.len() == 10 {
                add_error.set(Some(format!("Could not add the number: {}", next.len())));
            }
            numbers.set(next);
        })
    };
    let on_action = {
        let (action_result, numbers) = (action_result.clone(), numbers.clone());
        Callback::from(move |_| {
            let (action_result, count) = (action_result.clone(), numbers.len());
            wasm_bindgen_futures::spawn_local(async move {
                action_result.set(Some(format!(
                    "The action read {count} numbers, then added one."
                )));
            });
        })
    };
    if props.screen == Screen::Error {
        return html! { <section class="card error"><p>{ "myFunctions:listNumbers: the query failed" }</p></section> };
    }
    let list = if numbers.is_empty() {
        html! { <p class="muted" id="numbers">{ "No numbers yet: add one." }</p> }
    } else {
        html! { <ul class="numbers" id="numbers">{ for numbers.iter().map(|n| html! { <li>{ n }</li> }) }</ul> }
    };
    let viewer = "Ada";
    html! {
        <section class="card">
            <h2 id="welcome">{ format!("Welcome {viewer}!") }</h2>
            <p>{ "Click the button below and open this page in another window: the data is persisted in Convex and updates live." }</p>
            <div class="row">
                <button id="add" onclick={on_add}>{ "Add a random number" }</button>
                <button id="run-action" class="secondary" onclick={on_action}>{ "Run an action" }</button>
            </div>
            if let Some(e) = &*add_error { <p class="error" id="add-error">{ e }</p> }
            <h3>{ "Latest numbers" }</h3>
            { list }
            if let Some(r) = &*action_result { <p class="muted" id="action-result">{ r }</p> }
            <AllNumbers />
        </section>
    }
}

/// Items per page.
const PAGE: usize = 5;

#[component]
fn AllNumbers() -> Html {
    let shown = use_state(|| PAGE);
    let all: Vec<f64> = (0..12).map(f64::from).rev().collect();
    let status = match (*shown >= all.len(), *shown == 0) {
        (_, true) => "Loading…",
        (false, _) => "More to load",
        (true, _) => "That is every number",
    };
    let load_more = {
        let shown = shown.clone();
        Callback::from(move |_| shown.set(*shown + PAGE))
    };
    let error = (*shown > 100).then(|| String::from("the paginated query failed"));
    html! {
        <>
            <h3>{ "All numbers, newest first" }</h3>
            if let Some(e) = &error { <p class="error">{ e }</p> }
            <ol class="numbers" id="all-numbers">{ for all.iter().take(*shown).map(|n| html! { <li>{ n }</li> }) }</ol>
            <div class="row">
                <button id="load-more" class="secondary" onclick={load_more}
                    disabled={*shown >= all.len()}>{ "Load more" }</button>
                <span class="muted" id="page-status">{ if status.is_empty() { "Loading more…" } else { status } }</span>
            </div>
        </>
    }
}

#[component]
fn App() -> Html {
    let screen = use_memo((), |_| screen());
    let screen = *screen;
    let main = match screen {
        Screen::Loading => {
            html! { <section class="card"><p class="muted">{ "Loading…" }</p></section> }
        }
        Screen::SignedOut => html! { <SignInPrompt /> },
        _ => html! { <Content {screen} /> },
    };
    html! {
        <>
            <Header {screen} />
            <main class="content">{ main }</main>
        </>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
