#pragma once
// `connect_to = HOST[:PORT]=ADDR[:PORT], ...`, like curl's --connect-to: the watchdog dials
// ADDR:PORT for requests to HOST:PORT, while TLS verification, SNI, the Host header and the
// SigV4 signature keep the real name. For an SSH or SSM port-forward to a private cluster's
// instances, and for tests that serve discovered names from loopback. HOST may be a glob
// (`*`, `?`: `*.neptune.amazonaws.com`); a missing PORT on the left matches any port, and a
// missing one on the right keeps the port asked for. The first entry that matches applies.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nw {

struct ConnectTo {
  std::string host;           // a name or a glob
  std::uint16_t port = 0;     // 0: any port
  std::string address;        // where to dial instead
  std::uint16_t to_port = 0;  // 0: the port asked for

  std::string to_string() const;  // as written: "db-1.example:8182=127.0.0.1:18182"
};

// Parses "a=b, c=d" (entries separated by commas). On failure, nullopt and `error`.
std::optional<std::vector<ConnectTo>> parse_connect_to(std::string_view text, std::string& error);

// Where to dial for `host`:`port`: the first matching entry's address and port, or nullopt.
std::optional<std::pair<std::string, std::uint16_t>> connect_to_target(
    const std::vector<ConnectTo>& rules, const std::string& host, std::uint16_t port);

}  // namespace nw
