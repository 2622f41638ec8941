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

// Whether `host` names this machine whatever the resolver says: `localhost`, an IPv4 address
// in 127.0.0.0/8, or the IPv6 loopback ::1 (in any spelling, also as ::ffff:127.x.x.x). Plain
// http:// is tolerated with auth = iam only for such a host, since its traffic never leaves the
// machine; a name that merely resolves to 127.0.0.1 today is not trusted, as DNS can change.
bool is_loopback_host(std::string_view host);

// Accepts "http[s]://host[:port][/]". The port defaults to the scheme's (80/443).
// On failure returns nullopt and a reason in `error`.
std::optional<EndpointUrl> parse_endpoint_url(std::string_view text, std::string& error);

}  // namespace nw
