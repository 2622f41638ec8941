#pragma once
// Durations as operators type them on the simulator's command line: "250ms", "2s", "10m",
// "1h". The watchdog core has its own parser, but the simulator must not depend on the
// watchdog's libraries: it is the thing the watchdog is tested against.
#include <cstdint>
#include <optional>
#include <string_view>

namespace nw::sim {

// "<digits><ms|s|m|h>" to milliseconds. A sign, a fraction, a bare number or an unknown
// suffix is rejected, as is anything over ten years (keeps later arithmetic in range).
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

}  // namespace nw::sim
