#pragma once
// Durations as operators write them in the config file: "250ms", "5s", "2m", "1h".
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace nw {

using Millis = std::chrono::milliseconds;

// Parses "<digits><ms|s|m|h>". A bare number, a sign, a fraction or an unknown suffix is
// rejected: a watchdog that cancels queries must not guess what "5" means.
std::optional<Millis> parse_duration(std::string_view text);

// The shortest exact form: 300000ms -> "5m", 1500ms -> "1500ms".
std::string format_duration(Millis d);

}  // namespace nw
