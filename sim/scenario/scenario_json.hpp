// Scenario <-> JSON: the strict reader behind load_scenario_text() (also used for the scenario
// a repro file embeds under "/scenario"), the canonical writer, and the strict JSON parsing
// helpers both file kinds share (duplicate keys, nesting depth, NUL bytes, invalid UTF-8,
// line and column of every error).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "scenario/scenario.hpp"

namespace rcusim::scenario {

// The canonical, fully defaulted form: durations as format_duration(), CPU sets as their spec
// strings, `kernel.switches` holding only the overrides as written, `explore.decisions` only
// when non-empty, `expect` only when present. scenario_from_json() of it gives back an equal
// Scenario.
nlohmann::json scenario_to_json(const Scenario& s);

// Validates and loads a scenario document. Errors are ConfigError(origin, pointer_prefix +
// pointer, ...) without line and column; add them with locate_error() when the text is at hand.
Scenario scenario_from_json(const nlohmann::json& j, const std::string& origin,
                            const std::string& pointer_prefix = "");

// Reads a whole file, at most `max_bytes`. Missing, unreadable, a directory or too large:
// ConfigError(path, "", reason).
std::string read_input_file(const std::string& path, std::size_t max_bytes = kMaxFileBytes);
// How errors name an input: "<stdin>" for "-", else the path.
std::string input_name(const std::string& path);

// Parses JSON text strictly: NUL bytes, invalid UTF-8, syntax errors (with line and column),
// duplicate keys and nesting deeper than kMaxJsonDepth are ConfigErrors naming `origin`.
nlohmann::json parse_json_strict(const std::string& text, const std::string& origin);

// Line and column (1-based; the column counts UTF-8 characters) of the value `pointer` names
// in `text`, or of its nearest ancestor that exists. {0, 0} when the text does not parse.
std::pair<int, int> locate_pointer(const std::string& text, const std::string& pointer);

// `e` with line and column of its pointer filled in from `text` (unchanged if it has them).
ConfigError locate_error(const ConfigError& e, const std::string& text);

// "/a~1b" for the key "a/b" (RFC 6901).
std::string pointer_token(const std::string& key);

// A user string quoted for a one-line message: "...", control characters escaped, long strings
// cut after 60 characters.
std::string quote_value(const std::string& s);

}  // namespace rcusim::scenario
