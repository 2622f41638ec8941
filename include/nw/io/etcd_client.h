#pragma once
// An etcd v3 client over etcd's JSON gateway (grpc-gateway in front of etcdserverpb's RPCs:
// POST /v3/lease/grant, /v3/lease/keepalive, /v3/lease/revoke, /v3/kv/range, /v3/kv/txn,
// /v3/watch, /v3/auth/authenticate), so that replicas can coordinate through etcd with Poco
// alone. Every request is one `HttpConnections` exchange (deadline, body cap, reaper).
//
// The gateway's wire shapes, as etcd 3.4 sends them (checked against a real server):
//   - keys and values are base64 (`key`, `value`, `range_end`);
//   - 64-bit integers are JSON strings ("ID":"7587…", "TTL":"5", "revision":"12"), and a field
//     at its zero value is left out (a failed txn has no `succeeded`, a key without a lease no
//     `lease`, a PUT event no `type`, a keep-alive of a lease that is gone no `TTL`);
//   - an error is a non-2xx answer {"error":…, "message":…, "code":N} with N a gRPC code
//     (3 InvalidArgument, 5 NotFound, 14 Unavailable, 16 Unauthenticated, …);
//   - a streaming RPC (keepalive, watch) answers {"result":{…}} per message, one per line;
//     the watch stream stays open for as long as the client reads it.
//
// Members: the client knows every member's client URL and sends each request to the one that
// answered last; when it fails to answer (transport, timeout) or says it cannot serve
// (Unavailable), the request goes to the next one, each with its own request_timeout. An
// answer, even an error, settles the request: etcd's errors are the same from every member.
//
// Auth: with a user name, the client gets a token from /v3/auth/authenticate before its first
// request and sends it in the Authorization header; when etcd says the token is invalid (it
// expired, or the auth store moved on) it authenticates again and repeats the request once.
// The password and the token never appear in a Failure.
//
// Thread-safe: calls from several threads at once each lease their own connection.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nw/core/failure.h"
#include "nw/io/exchange_reaper.h"

namespace Poco::JSON {
class Object;
}

namespace nw {

class HttpConnections;

struct EtcdOptions {
  // Client URLs of the members: http://HOST:PORT or https://HOST:PORT (no path).
  std::vector<std::string> endpoints;
  // etcd auth; empty username: auth off (no token is asked for or sent).
  std::string username;
  std::string password;
  // https: trust (empty: the system store) and, both or neither, a client certificate.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Per member tried: one request may take (members) × request_timeout when members fail.
  std::chrono::milliseconds request_timeout{5000};
  // A watch is read in windows of this length, each one exchange; `stop` is seen at the end of
  // a window at the latest. Each window resumes where the last ended: no event is lost.
  std::chrono::milliseconds watch_window{1000};
};

struct EtcdLease {
  std::int64_t id = 0;
  std::int64_t ttl = 0;  // seconds, as granted
};

struct EtcdKeyValue {
  std::string key;  // bytes
  std::string value;
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t lease = 0;  // 0: none
};

struct EtcdRange {
  std::vector<EtcdKeyValue> kvs;
  std::int64_t revision = 0;  // the store's revision the range was read at (header.revision)
};

// The outcome of a compare-and-swap transaction.
struct EtcdTxn {
  bool succeeded = false;
  std::int64_t revision = 0;  // header.revision: for a put that succeeded, the key's creation
};

struct EtcdEvent {
  enum class Type { put, del };
  Type type = Type::put;
  EtcdKeyValue kv;  // for a delete: the key and mod_revision only
};

class EtcdClient {
 public:
  // Checks the URLs and builds the TLS context; a Failure (service_error) names what is wrong.
  static Result<std::unique_ptr<EtcdClient>> create(EtcdOptions options,
                                                    std::shared_ptr<ExchangeReaper> reaper);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // A new lease of `ttl_seconds` (etcd may grant more than asked, never less).
  Result<EtcdLease> grant(std::int64_t ttl_seconds);
  // Renews the lease; its TTL again. 0: the lease is gone (expired or revoked), which etcd
  // reports as a success without TTL rather than as an error.
  Result<std::int64_t> keep_alive(std::int64_t lease);
  // Ends the lease and deletes its keys. false: it was already gone.
  Result<bool> revoke(std::int64_t lease);

  // Creates `key` with `value` (attached to `lease`, 0 for none) only if it does not exist:
  // one txn comparing its create_revision with 0. Succeeded: this caller created it, and
  // `revision` is the key's create_revision (a fencing token).
  Result<EtcdTxn> put_if_absent(const std::string& key, const std::string& value,
                                std::int64_t lease);
  // Deletes `key` only if it still holds `value`: one txn comparing its value.
  Result<EtcdTxn> compare_and_delete(const std::string& key, const std::string& value);

  // Every key that starts with `prefix` (empty: every key), in key order.
  Result<EtcdRange> range(const std::string& prefix);

  // Called with the events of one watch message, in revision order.
  using WatchCallback = std::function<void(const std::vector<EtcdEvent>& events)>;
  // Streams every change under `prefix` from revision `from_revision` (0: from now on) until
  // `stop` is set; returns the revision to resume from. A Failure when no member can be
  // watched, or when etcd cancels the watch (code "Compacted": `from_revision` is older than
  // the last compaction; read again with range() and watch from its revision + 1).
  Result<std::int64_t> watch(const std::string& prefix, std::int64_t from_revision,
                             const WatchCallback& on_events, const std::atomic<bool>& stop);

  // Index in `endpoints` of the member that answered last (requests go there first).
  std::size_t preferred_member() const { return preferred_.load(); }

 private:
  // One compare-then-op transaction: `op_name` ("request_put", "request_delete_range") with
  // `op_body` runs if `cmp` holds; succeeded and the header revision come back.
  Result<EtcdTxn> txn(const Poco::JSON::Object& cmp, const std::string& op_name,
                      const Poco::JSON::Object& op_body, const std::string& what);
  struct Member;
  EtcdClient(EtcdOptions options, std::vector<std::unique_ptr<Member>> members,
             std::shared_ptr<ExchangeReaper> reaper);

  struct Answer;
  // POSTs `body` to `path` at the members in turn (see the top of this file), with the token.
  Result<Answer> post(const std::string& path, const std::string& body, const std::string& what);
  Result<Answer> post_to(Member& member, const std::string& path, const std::string& body,
                         const std::string& what, const std::string& token);
  Result<std::string> authenticate(Member& member);
  std::string token() const;

  Result<std::int64_t> watch_window(Member& member, const std::string& request_body,
                                    std::int64_t& next_revision, const WatchCallback& on_events,
                                    const std::atomic<bool>& stop, bool& created,
                                    bool& reauthenticate);

  EtcdOptions options_;
  std::vector<std::unique_ptr<Member>> members_;
  std::shared_ptr<ExchangeReaper> reaper_;
  std::atomic<std::size_t> preferred_{0};
  mutable std::mutex token_mutex_;
  std::string token_;
};

}  // namespace nw
