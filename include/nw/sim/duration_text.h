#pragma once
// Durations as operators type them on the simulator's command line: "250ms", "2s", "10m",
// "1h". The watchdog core has its own parser, but the simulator must not depend on the
// watchdog's libraries: it is the thing the watchdog is tested against.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <utility>

namespace nw::sim {

// A unit the text may end in, and how many of the base unit it stands for.
using UnitScale = std::pair<std::string_view, std::int64_t>;

// "<digits><unit>" to `digits * scale` of the unit (an empty unit must be listed to be
// allowed). A sign, a fraction, an unknown unit or a result above `max` is rejected.
std::optional<std::int64_t> parse_scaled(std::string_view text,
                                         std::initializer_list<UnitScale> units, std::int64_t max);

// "<digits><ms|s|m|h>" to milliseconds. A sign, a fraction, a bare number or an unknown
// suffix is rejected, as is anything over ten years (keeps later arithmetic in range).
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

}  // namespace nw::sim
