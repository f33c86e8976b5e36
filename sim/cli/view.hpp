// rcusim view: the built-in trace viewer (CONTRACT.md "Commands").
//
// Serves the viewer page (sim/trace/viewer.html, embedded at build time) and one trace on
// 127.0.0.1 only, or writes both as one self-contained HTML page. The trace may be in the
// chrome format (served as it is on disk) or jsonl (converted to the chrome format once,
// at start-up, by the same writer as `--format chrome`).
#pragma once

#include <string>
#include <string_view>

namespace rcusim::cli {

// Serves TRACE at http://127.0.0.1:PORT/ (port 0: chosen by the OS; the URL is printed)
// until SIGINT/SIGTERM, or with `html_out` non-empty writes the page there and returns.
// Only "/" (or "/index.html") and "/trace.json" exist; any other path is a 404. Requests
// are bounded (8 KiB of headers, no body), time out after 15 s, and at most 64 connections
// are served at once. Returns 0, or 2 when the trace cannot be read or the port not bound.
int cmd_view(const std::string& trace, int port, const std::string& html_out);

// The viewer page with `trace_json` (a chrome-format trace) embedded and `name` shown in
// its title bar: one self-contained HTML document (no network). Every '<' inside the JSON
// is written as \u003c, so the embedded text can never close its <script> element.
std::string viewer_page(std::string_view trace_json, std::string_view name);

}  // namespace rcusim::cli
