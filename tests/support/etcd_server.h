#pragma once
// A real etcd (Debian's etcd-server, /usr/bin/etcd) for the etcd client's contract tests: one
// member on free loopback ports with a temporary data directory, started and answering when
// constructed, killed and its directory removed when destroyed. etcd cannot bind a client URL
// to port 0, so the ports are found free by binding and releasing them, and a start that lost
// its port to another process is tried again on new ones.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <Poco/Net/Context.h>

#include "support/child_process.h"

namespace nw::test {

class EtcdServer {
 public:
  // Where the tests look for etcd; missing is a test failure, not a skip (scripts/setup
  // installs it).
  static constexpr const char* kBinary = "/usr/bin/etcd";

  // `extra_args`: more flags for etcd (e.g. --auth-token-ttl). `tls`: the client URL is https
  // (extra_args then carry etcd's --cert-file and --key-file), and this context is how the
  // server itself is reached. Throws std::runtime_error when etcd is missing or never answers.
  explicit EtcdServer(std::vector<std::string> extra_args = {},
                      Poco::Net::Context::Ptr tls = nullptr);
  ~EtcdServer();
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  std::string client_url() const {
    return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(client_port_);
  }

  // A POST to the member's JSON gateway (for set-up the client under test does not do, such
  // as enabling auth). Returns the body; throws on a transport error.
  std::string post(const std::string& path, const std::string& body,
                   const std::string& token = {}) const;

  // An outage: etcd is killed (SIGKILL), its data kept; restart() brings it back on the same
  // ports with the same data (leases survive, as they do a leader change).
  void kill();
  void restart();

  // A loopback port nobody listens on (bound and released): a dead member.
  static std::uint16_t free_port();

 private:
  // `fresh`: new ports and an empty data directory; otherwise the same ports and data.
  bool start(bool fresh = true);

  std::vector<std::string> extra_args_;
  Poco::Net::Context::Ptr tls_;
  std::string data_dir_;
  std::uint16_t client_port_ = 0;
  std::uint16_t peer_port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// Three etcd members on loopback, one cluster (quorum 2), for the member-loss tests: started and
// answering when constructed, killed and their directories removed when destroyed.
class EtcdCluster {
 public:
  static constexpr std::size_t kMembers = 3;
  EtcdCluster();
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  std::vector<std::string> client_urls() const;
  // Kills member `index` (SIGKILL); the others keep the quorum.
  void kill(std::size_t index);

 private:
  bool start();
  std::string data_dir_;
  std::vector<std::uint16_t> client_ports_, peer_ports_;
  std::vector<std::unique_ptr<ChildProcess>> processes_;
};

}  // namespace nw::test
