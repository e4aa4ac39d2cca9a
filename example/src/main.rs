//! The convex-yew demo app.

use yew::prelude::*;

#[component]
fn App() -> Html {
    html! {
        <main class="page">
            <header class="topbar"><h1>{ "Convex + AuthKit + Yew" }</h1></header>
        </main>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
