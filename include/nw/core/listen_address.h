#pragma once
// The address a local server listens on, as an operator writes it in the configuration:
// "127.0.0.1:9464", "[::1]:9464", "localhost:0" (port 0 picks a free one).
//
// Parsed when the configuration is loaded, so that a malformed address is a configuration
// error (reported by --check-config and by a reload) rather than something found only when
// the daemon binds. Whether the address can be bound is a runtime question, not this one's.
// Pure: no I/O, no name resolution.
#include <cstdint>
#include <string>
#include <variant>

namespace nw {

struct ListenAddress {
  std::string host;  // without the brackets of an IPv6 address
  std::uint16_t port = 0;
};

// The address, or a message saying what is wrong and giving an example.
std::variant<ListenAddress, std::string> parse_listen_address(const std::string& text);

}  // namespace nw
