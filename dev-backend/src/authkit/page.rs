//! The hosted sign-in / sign-up page (plain HTML form).

use super::seed;

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The page for one authorize request. `request` is the original query string, carried in a
/// hidden field so the POST re-validates it.
pub fn render(request: &str, sign_up: bool, login_hint: &str, error: Option<&str>) -> String {
    let title = if sign_up {
        "Create your account"
    } else {
        "Sign in"
    };
    let other = if sign_up {
        "Already have an account? <a id=\"switch\" href=\"?{q}&screen_hint=sign-in\">Sign in</a>"
    } else {
        "No account? <a id=\"switch\" href=\"?{q}&screen_hint=sign-up\">Sign up</a>"
    };
    let base_query: String = request
        .split('&')
        .filter(|kv| !kv.starts_with("screen_hint="))
        .collect::<Vec<_>>()
        .join("&");
    let other = other.replace("{q}", &escape(&base_query));
    let name_field = if sign_up {
        r#"<label>First name<input id="first_name" name="first_name" autocomplete="given-name" required></label>"#
    } else {
        ""
    };
    let error = error
        .map(|e| format!(r#"<p class="error" id="error">{}</p>"#, escape(e)))
        .unwrap_or_default();
    // The template is the page as served, byte for byte: its long lines are HTML and CSS.
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · convex-dev-backend AuthKit</title><link rel="icon" href="data:,">
<style>
body{{margin:0;font-family:system-ui,sans-serif;background:#f5f5f7;display:flex;min-height:100vh;align-items:center;justify-content:center}}
form{{background:#fff;padding:32px;border-radius:12px;box-shadow:0 4px 24px #0001;width:320px;display:flex;flex-direction:column;gap:14px}}
h1{{font-size:20px;margin:0}} label{{display:flex;flex-direction:column;gap:4px;font-size:13px;color:#444}}
input{{padding:9px;border:1px solid #ccc;border-radius:6px;font-size:15px}} button{{padding:10px;border:0;border-radius:6px;background:#6d28d9;color:#fff;font-size:15px;cursor:pointer}}
.error{{color:#b91c1c;margin:0;font-size:14px}} .hint{{font-size:12px;color:#666}}
</style></head><body>
<form method="post" action="/user_management/authorize">
<h1>{title}</h1>
<p class="hint">Local AuthKit (convex-dev-backend). Seeded users: {seeded}, password <code>{password}</code>.</p>
{error}
<input type="hidden" name="request" value="{request}">
<input type="hidden" name="mode" value="{mode}">
{name_field}
<label>Email<input id="email" name="email" type="email" autocomplete="email" value="{hint}" required></label>
<label>Password<input id="password" name="password" type="password" autocomplete="current-password" required></label>
<button id="submit" type="submit">{title}</button>
<p class="hint">{other}</p>
</form></body></html>"#,
        request = escape(request),
        mode = if sign_up { "sign-up" } else { "sign-in" },
        hint = escape(login_hint),
        seeded = seed::emails().join(" / "),
        password = seed::SEED_PASSWORD,
    )
}
