#pragma once
// What the simulator's HTTP front (SimServer) serves: a request in, an answer out, with the
// answer's wire behaviour. An instance (SimService) and the management API
// (ManagementService) both implement it, so that one server, with its keep-alive, body limit
// and broken-answer machinery, fronts either.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "nw/sim/wire_fault.h"

namespace nw::sim {

inline constexpr const char* kJsonContentType = "application/json; charset=UTF-8";
// SPARQL's servlet refuses a malformed queryId in plain text.
inline constexpr const char* kTextContentType = "text/plain; charset=UTF-8";
// What the wrong-type fault labels a JSON body with.
inline constexpr const char* kHtmlContentType = "text/html; charset=UTF-8";

struct SimRequest {
  std::string method;
  std::string target;  // "/path?query" as received, still percent-encoded
  std::string content_type;
  std::string body;
};

struct SimResponse {
  SimResponse() = default;
  SimResponse(int status_code, std::string type, std::string text)
      : status(status_code), content_type(std::move(type)), body(std::move(text)) {}

  int status = 200;
  std::string content_type = kJsonContentType;
  std::string body;
  WireFault wire;  // how SimServer is to misbehave while sending it
};

class SimHandler {
 public:
  virtual ~SimHandler() = default;

  // Called from many threads at once.
  virtual SimResponse handle(const SimRequest& request) = 0;
  // An error in the handler's own shape, for failures the HTTP layer detects itself (an
  // oversized body).
  virtual SimResponse error_response(int status, std::string_view code,
                                     std::string_view message) = 0;
  // Waits `ms` (the HTTP layer's slow answers) unless the handler is shutting down or does
  // so meanwhile; false then, and the caller should stop sending.
  virtual bool pause(std::int64_t ms) = 0;
  virtual bool stopping() const = 0;
};

}  // namespace nw::sim
