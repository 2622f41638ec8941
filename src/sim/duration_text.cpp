#include "nw/sim/duration_text.h"

#include <charconv>

namespace nw::sim {

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec != std::errc() || end != text.data() + digits) return std::nullopt;

  const std::string_view unit = text.substr(digits);
  std::int64_t scale = 0;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else
    return std::nullopt;

  constexpr std::int64_t kMaxMillis = 10LL * 365 * 24 * 3'600'000;
  if (value > kMaxMillis / scale) return std::nullopt;
  return value * scale;
}

}  // namespace nw::sim
