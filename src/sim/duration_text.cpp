#include "nw/sim/duration_text.h"

#include <charconv>

namespace nw::sim {

std::optional<std::int64_t> parse_scaled(std::string_view text, std::initializer_list<UnitScale> units,
                                         std::int64_t max) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec != std::errc() || end != text.data() + digits) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  for (const auto& [name, scale] : units) {
    if (name != unit) continue;
    if (value > max / scale) return std::nullopt;
    return value * scale;
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  constexpr std::int64_t kMaxMillis = 10LL * 365 * 24 * 3'600'000;  // keeps later arithmetic in range
  return parse_scaled(text, {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}}, kMaxMillis);
}

}  // namespace nw::sim
