#pragma once
// An instance endpoint's address, checked at load time: scheme, host and port only, because
// Neptune's status paths are fixed and credentials never belong in a URL.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nw {

struct EndpointUrl {
  bool https = false;
  std::string host;  // without brackets for IPv6 literals
  std::uint16_t port = 0;

  std::string to_string() const;  // "https://host:8182"
};

// Accepts "http[s]://host[:port][/]". The port defaults to the scheme's (80/443).
// On failure returns nullopt and a reason in `error`.
std::optional<EndpointUrl> parse_endpoint_url(std::string_view text, std::string& error);

}  // namespace nw
