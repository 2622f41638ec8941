#include "nw/core/listen_address.h"

namespace nw {

std::variant<ListenAddress, std::string> parse_listen_address(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return std::string("expected host:port, e.g. 127.0.0.1:9464");
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string::npos)
    return std::string("write an IPv6 address in brackets, e.g. [::1]:9464");
  if (host.empty()) return std::string("missing host, e.g. 127.0.0.1:9464");
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port_text) > 65535)
    return std::string("port must be a number from 0 to 65535");
  return ListenAddress{host, static_cast<std::uint16_t>(std::stoul(port_text))};
}

}  // namespace nw
