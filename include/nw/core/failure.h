#pragma once
// Typed failures of one request to Neptune or to a credential source. Adapters turn every
// exception into one of these so that the poll loop applies policy (retry, count, audit)
// without knowing about Poco. The kind says whose answer it was: `neptune_error` only ever
// comes from Neptune, `service_error` from the others.
#include <string>
#include <utility>
#include <variant>

namespace nw {

enum class FailureKind {
  transport,        // connect refused, reset, TLS error, DNS: nothing usable came back
  timeout,          // no complete answer within request_timeout
  neptune_error,    // Neptune answered with an error (code and/or HTTP status)
  bad_response,     // a 2xx answer we could not fully parse: act on none of it
  query_not_found,  // cancel of a query that already ended (InvalidParameter ... is invalid)
  aborted,          // shutdown arrived before the request could complete
  credentials,      // auth = iam, but no AWS credentials could be had: nothing was sent
  tls,              // the TLS handshake or certificate verification failed: not retried
  service_error,    // another service (STS, a credential endpoint) answered with an error, or a
                    // credential source is set up wrongly: never Neptune's, never retried here
};

struct Failure {
  FailureKind kind = FailureKind::transport;
  int http_status = 0;  // 0 when no HTTP answer arrived
  std::string code;     // Neptune's exception name, e.g. "TooManyRequestsException"
  std::string message;  // detailedMessage, transport error text or parse error

  // One line for logs and the audit `error` field, e.g.
  // "TooManyRequestsException (HTTP 429): Too many requests".
  std::string describe() const;
};

// Either a value or a Failure. Small on purpose: C++17 has no std::expected.
template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Failure failure) : state_(std::move(failure)) {}

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  const T& value() const { return std::get<T>(state_); }
  T& value() { return std::get<T>(state_); }
  const Failure& failure() const { return std::get<Failure>(state_); }

 private:
  std::variant<T, Failure> state_;
};

}  // namespace nw
