#include "nw/core/endpoint_url.h"

#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace nw {
namespace {

// A dotted quad of decimal octets, each 0-255.
std::optional<std::array<unsigned, 4>> parse_ipv4(std::string_view text) {
  std::array<unsigned, 4> octets{};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto dot = text.find('.');
    if ((i < 3) != (dot != std::string_view::npos)) return std::nullopt;
    const std::string_view part = text.substr(0, dot);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || part.size() > 3 || ec != std::errc() || end != part.data() + part.size() ||
        value > 255)
      return std::nullopt;
    octets[i] = value;
    text = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  }
  return octets;
}

// Eight 16-bit groups; "::" stands for one run of zero groups, and the last two groups may be
// written as a dotted quad.
std::optional<std::array<unsigned, 8>> parse_ipv6(std::string_view text) {
  const auto groups_of = [](std::string_view part, std::vector<unsigned>& out) -> bool {
    if (part.empty()) return true;
    for (;;) {
      const auto colon = part.find(':');
      const std::string_view group = part.substr(0, colon);
      if (colon == std::string_view::npos && group.find('.') != std::string_view::npos) {
        const auto v4 = parse_ipv4(group);
        if (!v4) return false;
        out.push_back((*v4)[0] << 8 | (*v4)[1]);
        out.push_back((*v4)[2] << 8 | (*v4)[3]);
        return true;
      }
      unsigned value = 0;
      auto [end, ec] = std::from_chars(group.data(), group.data() + group.size(), value, 16);
      if (group.empty() || group.size() > 4 || ec != std::errc() ||
          end != group.data() + group.size())
        return false;
      out.push_back(value);
      if (colon == std::string_view::npos) return true;
      part = part.substr(colon + 1);
    }
  };
  std::vector<unsigned> head, tail;
  const auto gap = text.find("::");
  if (gap == std::string_view::npos) {
    if (!groups_of(text, head) || head.size() != 8) return std::nullopt;
  } else {
    if (!groups_of(text.substr(0, gap), head) || !groups_of(text.substr(gap + 2), tail) ||
        head.size() + tail.size() > 7)
      return std::nullopt;
  }
  std::array<unsigned, 8> out{};
  for (std::size_t i = 0; i < head.size(); ++i) out[i] = head[i];
  for (std::size_t i = 0; i < tail.size(); ++i) out[8 - tail.size() + i] = tail[i];
  return out;
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  std::string lower;
  for (char c : host) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "localhost" || lower == "localhost.") return true;
  if (const auto v4 = parse_ipv4(lower)) return (*v4)[0] == 127;
  if (const auto v6 = parse_ipv6(lower)) {
    const auto& g = *v6;
    const bool zero_prefix = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0;
    if (zero_prefix && g[5] == 0 && g[6] == 0 && g[7] == 1) return true;   // ::1
    if (zero_prefix && g[5] == 0xffff && (g[6] >> 8) == 127) return true;  // ::ffff:127.x.x.x
  }
  return false;
}

std::string EndpointUrl::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(https ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

std::optional<EndpointUrl> parse_endpoint_url(std::string_view text, std::string& error) {
  EndpointUrl url;
  if (text.rfind("https://", 0) == 0) {
    url.https = true;
    text.remove_prefix(8);
  } else if (text.rfind("http://", 0) == 0) {
    text.remove_prefix(7);
  } else {
    error = "must start with http:// or https://";
    return std::nullopt;
  }
  if (!text.empty() && text.back() == '/') text.remove_suffix(1);
  if (text.find_first_of("/?#") != std::string_view::npos) {
    error = "must be scheme://host:port only: the status paths are fixed";
    return std::nullopt;
  }
  if (text.find('@') != std::string_view::npos) {
    error = "must not contain credentials";
    return std::nullopt;
  }

  std::string_view port_text;
  bool has_port = false;  // "host:" with nothing after it is an error, not the default port
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 literal";
      return std::nullopt;
    }
    url.host = std::string(text.substr(1, close - 1));
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "unexpected text after IPv6 literal";
        return std::nullopt;
      }
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    const auto colon = text.find(':');
    url.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = text.substr(colon + 1);
      has_port = true;
    }
  }
  if (url.host.empty()) {
    error = "missing host";
    return std::nullopt;
  }
  if (!has_port) {
    url.port = url.https ? 443 : 80;
  } else {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      error = "bad port '" + std::string(port_text) + "'";
      return std::nullopt;
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  return url;
}

}  // namespace nw
