#include "nw/core/connect_to.h"

#include <algorithm>
#include <cctype>

#include "nw/core/policy.h"

namespace nw {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "host", "host:port", "[v6]:port". The port, when given, is 1..65535.
bool split_host_port(std::string_view text, std::string& host, std::uint16_t& port,
                     std::string& error) {
  port = 0;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      error = "unclosed '[' in '" + std::string(text) + "'";
      return false;
    }
    host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      error = "expected ':' after ']' in '" + std::string(text) + "'";
      return false;
    }
  } else {
    const auto colon = text.rfind(':');
    host = std::string(text.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  if (host.empty()) {
    error = "no host in '" + std::string(text) + "'";
    return false;
  }
  const bool host_ok = std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == ':' || c == '*' || c == '?';
  });
  if (!host_ok) {
    error = "bad host '" + host + "'";
    return false;
  }
  if (rest.empty()) return true;
  rest.remove_prefix(1);
  if (rest.empty() || rest.size() > 5 ||
      !std::all_of(rest.begin(), rest.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      std::stol(std::string(rest)) < 1 || std::stol(std::string(rest)) > 65535) {
    error = "bad port '" + std::string(rest) + "' in '" + std::string(text) + "'";
    return false;
  }
  port = static_cast<std::uint16_t>(std::stol(std::string(rest)));
  return true;
}

std::string host_port(const std::string& host, std::uint16_t port) {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port == 0 ? h : h + ":" + std::to_string(port);
}

}  // namespace

std::string ConnectTo::to_string() const {
  return host_port(host, port) + "=" + host_port(address, to_port);
}

std::optional<std::vector<ConnectTo>> parse_connect_to(std::string_view text, std::string& error) {
  std::vector<ConnectTo> out;
  while (true) {
    const auto comma = text.find(',');
    const std::string_view entry = trim(text.substr(0, comma));
    const auto equals = entry.find('=');
    if (entry.empty() || equals == std::string_view::npos) {
      error = "expected HOST[:PORT]=ADDR[:PORT], got '" + std::string(entry) + "'";
      return std::nullopt;
    }
    ConnectTo rule;
    if (!split_host_port(trim(entry.substr(0, equals)), rule.host, rule.port, error) ||
        !split_host_port(trim(entry.substr(equals + 1)), rule.address, rule.to_port, error))
      return std::nullopt;
    if (rule.address.find_first_of("*?") != std::string::npos) {
      error = "the address to dial cannot be a glob: '" + rule.address + "'";
      return std::nullopt;
    }
    out.push_back(std::move(rule));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<std::pair<std::string, std::uint16_t>> connect_to_target(
    const std::vector<ConnectTo>& rules, const std::string& host, std::uint16_t port) {
  for (const auto& r : rules) {
    if (r.port != 0 && r.port != port) continue;
    if (!glob_matches(r.host, host)) continue;
    return std::make_pair(r.address, r.to_port == 0 ? port : r.to_port);
  }
  return std::nullopt;
}

}  // namespace nw
