//! A Dioxus fullstack page in the test page: what dioxus-server 0.7 sends for a route (its SSR
//! renderer pool's `render_to`, without the HTTP and the streaming of suspense) and its wasm
//! client hydrating it (what `dioxus::launch` does on the web with the `fullstack` feature).
//!
//! With dioxus-web's `hydrate` feature, which this test build enables, dioxus-web hydrates
//! every app it runs: the page must hold the server's HTML and data before the app starts.
#![allow(dead_code)]

use dioxus::prelude::*;
use dioxus_fullstack_core::HydrationContext;
use futures::future::AbortHandle;

/// The HTML the server puts in the page's `<div id="main">` for `app`: the app built once, then
/// pre-rendered with the hydration markers (`data-node-hydration` attributes and node-id
/// comments) the client matches.
///
/// This is dioxus-ssr's code, run here in the test's wasm rather than on a native server: the
/// HTML is the same, and the app is dropped at once, before any task it queued runs, so it
/// touches the page no more than a server does (the tests check that no script appears).
pub fn server_html(mut app: VirtualDom) -> String {
    app.in_scope(ScopeId::ROOT, || {
        // As the server does: errors inside the app serialize for the client.
        dioxus::core::provide_create_error_boundary(dioxus_fullstack_core::init_error_boundary);
    });
    app.rebuild_in_place();
    dioxus::ssr::pre_render(&app)
}

/// Serves a page: a new `<div>` at the end of the body with the server's HTML in it, and the
/// page's two scripts run as the browser runs them before the app's wasm starts: the streaming
/// bootstrap from the `<head>`, and the serialized hydration data after the main `<div>`.
pub fn serve(html: &str) -> web_sys::Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let main = document.create_element("div").unwrap();
    main.set_inner_html(html);
    document.body().unwrap().append_child(&main).unwrap();
    js_sys::eval(dioxus_interpreter_js::INITIALIZE_STREAMING_JS).unwrap();
    js_sys::eval(&data_script()).unwrap();
    main
}

/// The script dioxus-server writes after the main `<div>` (`render_after_main`) for an app that
/// resolved no server futures: the data holds only the root's error entry (no error).
fn data_script() -> String {
    let data = HydrationContext::default();
    let no_error: Option<dioxus::core::CapturedError> = None;
    data.error_entry()
        .insert(&no_error, std::panic::Location::caller());
    let serialized = data.serialized();
    #[allow(unused_mut)]
    let mut script = format!(
        r#"window.initial_dioxus_hydration_data="{}";"#,
        serialized.data
    );
    #[cfg(debug_assertions)]
    {
        script.push_str(&format!(
            "window.initial_dioxus_hydration_debug_types={};window.initial_dioxus_hydration_debug_locations={};",
            serialized.debug_types, serialized.debug_locations
        ));
    }
    script
}

/// Starts the client on `main` (the server's `<div>`): dioxus-web hydrates the server's nodes
/// in place, then runs the app. The app runs as an abortable task: abort the returned handle
/// to stop it (dropping its VirtualDom unmounts every component), because an app left running
/// keeps waking on the page's main thread and can starve the test runner.
pub fn hydrate(app: VirtualDom, main: &web_sys::Element) -> AbortHandle {
    let config = dioxus::web::Config::new()
        .hydrate(true)
        .rootelement(main.clone());
    let (running, stop) = futures::future::abortable(dioxus::web::run(app, config));
    wasm_bindgen_futures::spawn_local(async move {
        let _ = running.await;
    });
    stop
}
