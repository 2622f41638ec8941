#pragma once
// The Neptune status/cancel client for one instance endpoint, in domain terms.
//
// Each call makes one HTTP request (retries are the caller's policy) and never throws for
// anything the network or Neptune does: every such problem comes back as a typed Failure.
// Calls may come from several threads at once (a loop's poll and its cancels): each request
// has a connection of its own.
#include <memory>
#include <stdexcept>
#include <string>

#include "nw/core/config.h"
#include "nw/core/failure.h"
#include "nw/core/query_status.h"
#include "nw/io/status_json.h"

namespace nw {

class NeptuneClient {
 public:
  virtual ~NeptuneClient() = default;

  // Lists the instance's running queries (and queued ones when include_waiting is set).
  virtual Result<StatusSnapshot> list_queries() = 0;

  // Reads one query's status by its id (GET /opencypher/status/{id}, or the form's equivalent):
  // fresh clocks for a query the last list showed. A query that already ended yields
  // FailureKind::query_not_found.
  virtual Result<QueryStatus> get_query(const std::string& query_id) = 0;

  // Cancels one query by the id Neptune reported. `silent` asks Neptune to end the query's
  // own request with an empty result instead of an error. A query that already ended
  // yields FailureKind::query_not_found.
  virtual Result<CancelAck> cancel_query(const std::string& query_id, bool silent) = 0;
};

// A setting that cannot work (e.g. an unreadable ca_file); `key` is "endpoint.NAME.key".
struct EndpointSetupError : std::runtime_error {
  EndpointSetupError(std::string key, const std::string& message)
      : std::runtime_error(message), key(std::move(key)) {}
  std::string key;
};

class CredentialChain;
class ExchangeReaper;

// Builds the client for an endpoint (HTTP, or HTTPS that always verifies the certificate
// chain and host name). With auth = iam every request is signed with SigV4 (service
// neptune-db) using `credentials`, which must then be given. Every request is one
// HttpConnections exchange: request_timeout bounds it whole, DNS included, and `reaper`
// (null: the process's) holds it to that and ends it at shutdown. Throws EndpointSetupError
// when the TLS trust store cannot be loaded or credentials are missing for an iam endpoint.
std::unique_ptr<NeptuneClient> make_neptune_client(
    const EndpointConfig& endpoint, Language language = Language::opencypher,
    std::shared_ptr<CredentialChain> credentials = nullptr,
    std::shared_ptr<ExchangeReaper> reaper = nullptr);

}  // namespace nw
