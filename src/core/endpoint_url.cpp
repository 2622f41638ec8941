#include "nw/core/endpoint_url.h"

#include <charconv>

namespace nw {

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
