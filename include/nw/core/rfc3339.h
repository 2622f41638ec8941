#pragma once
// RFC 3339 times, the one way the daemon reads and writes them: config (`until =`), audit
// records (`ts`), credential expirations (STS, container and metadata answers) and logs.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace nw {

// "2024-05-01T12:00:00Z", "2024-05-01t12:00:00.123+02:00": a date, "T", a time with optional
// fractional seconds (dropped), and "Z" or a numeric offset (RFC 3339's grammar; the space its
// note allows instead of "T" is refused, so that a config value means one thing). Years outside
// 1970..2200 are refused: system_clock counts nanoseconds in 64 bits and would wrap around
// (9999-12-31 became 1816, silently expiring a "forever" protection).
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

// "2024-05-01T12:00:00Z" (whole seconds, UTC).
std::string format_rfc3339(std::chrono::system_clock::time_point t);

// "2024-05-01T12:00:00.123Z" (milliseconds, UTC): audit records and logs.
std::string format_rfc3339_ms(std::chrono::system_clock::time_point t);

}  // namespace nw
