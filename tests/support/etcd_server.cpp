#include "support/etcd_server.h"

#include <chrono>
#include <filesystem>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unistd.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

namespace nw::test {
namespace {

// One member's flags: its name, data, client and peer URLs, and the cluster it starts in.
std::vector<std::string> member_args(const std::string& name, const std::string& data_dir,
                                     const std::string& client, const std::string& peer,
                                     const std::string& initial_cluster) {
  return {"--name",
          name,
          "--data-dir",
          data_dir,
          "--listen-client-urls",
          client,
          "--advertise-client-urls",
          client,
          "--listen-peer-urls",
          peer,
          "--initial-advertise-peer-urls",
          peer,
          "--initial-cluster",
          initial_cluster,
          "--log-level",
          "error"};
}

}  // namespace

std::uint16_t EtcdServer::free_port() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::uint16_t port = socket.address().port();
  socket.close();
  return port;
}

EtcdServer::EtcdServer(std::vector<std::string> extra_args, Poco::Net::Context::Ptr tls)
    : extra_args_(std::move(extra_args)), tls_(std::move(tls)) {
  if (::access(kBinary, X_OK) != 0)
    throw std::runtime_error(std::string(kBinary) +
                             " is missing: install Debian's etcd-server (scripts/setup)");
  char dir[] = "/tmp/nw-etcd-XXXXXX";
  if (!::mkdtemp(dir)) throw std::runtime_error("cannot create a temporary directory");
  data_dir_ = dir;
  for (int attempt = 0; attempt < 3; ++attempt)
    if (start()) return;
  std::string said;
  if (process_) {
    process_->signal(SIGKILL);
    process_->wait_exit(std::chrono::seconds(5));
    for (const std::string& line : process_->stderr_lines()) said += "\n  " + line;
  }
  std::filesystem::remove_all(data_dir_);
  throw std::runtime_error("etcd did not start on loopback within 3 attempts; it said:" + said);
}

EtcdServer::~EtcdServer() {
  process_.reset();  // SIGKILL and reaped
  std::error_code ignored;
  std::filesystem::remove_all(data_dir_, ignored);
}

void EtcdServer::kill() {
  process_.reset();  // SIGKILL and reaped
}

void EtcdServer::restart() {
  for (int attempt = 0; attempt < 3; ++attempt)
    if (start(false)) return;
  throw std::runtime_error("etcd did not start again on its ports");
}

bool EtcdServer::start(bool fresh) {
  process_.reset();
  if (fresh) {
    std::error_code ignored;
    std::filesystem::remove_all(data_dir_ + "/member", ignored);
    client_port_ = free_port();
    peer_port_ = free_port();
  }
  const std::string client = client_url();
  // The peer URL stays http: one member has no peers to talk to.
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  std::vector<std::string> args =
      member_args("nw-test", data_dir_, client, peer, "nw-test=" + peer);
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<ChildProcess>(kBinary, args);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (process_->wait_exit(std::chrono::milliseconds(0))) return false;  // a port was taken
    try {
      if (post("/v3/kv/range", R"({"key":"AA=="})").find("\"header\"") != std::string::npos)
        return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string EtcdServer::post(const std::string& path, const std::string& body,
                             const std::string& token) const {
  std::unique_ptr<Poco::Net::HTTPClientSession> https;
  if (tls_)
    https = std::make_unique<Poco::Net::HTTPSClientSession>("127.0.0.1", client_port_, tls_);
  Poco::Net::HTTPClientSession plain("127.0.0.1", client_port_);
  Poco::Net::HTTPClientSession& session = https ? *https : plain;
  session.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path,
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  request.setContentType("application/json");
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  if (!token.empty()) request.set("Authorization", token);
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  std::ostringstream out;
  Poco::StreamCopier::copyStream(in, out);
  return out.str();
}

EtcdCluster::EtcdCluster() {
  if (::access(EtcdServer::kBinary, X_OK) != 0)
    throw std::runtime_error(std::string(EtcdServer::kBinary) +
                             " is missing: install Debian's etcd-server (scripts/setup)");
  char dir[] = "/tmp/nw-etcd-cluster-XXXXXX";
  if (!::mkdtemp(dir)) throw std::runtime_error("cannot create a temporary directory");
  data_dir_ = dir;
  for (int attempt = 0; attempt < 3; ++attempt)
    if (start()) return;
  processes_.clear();
  std::filesystem::remove_all(data_dir_);
  throw std::runtime_error("a three-member etcd did not start on loopback within 3 attempts");
}

EtcdCluster::~EtcdCluster() {
  processes_.clear();  // SIGKILL and reaped
  std::error_code ignored;
  std::filesystem::remove_all(data_dir_, ignored);
}

std::vector<std::string> EtcdCluster::client_urls() const {
  std::vector<std::string> out;
  for (const auto port : client_ports_) out.push_back("http://127.0.0.1:" + std::to_string(port));
  return out;
}

void EtcdCluster::kill(std::size_t index) {
  processes_.at(index).reset();
}

bool EtcdCluster::start() {
  processes_.clear();
  std::error_code ignored;
  std::filesystem::remove_all(data_dir_, ignored);
  std::filesystem::create_directories(data_dir_);
  client_ports_.clear();
  peer_ports_.clear();
  std::string initial;
  for (std::size_t i = 0; i < kMembers; ++i) {
    client_ports_.push_back(EtcdServer::free_port());
    peer_ports_.push_back(EtcdServer::free_port());
    initial += (initial.empty() ? "" : ",") + std::string("m") + std::to_string(i) +
               "=http://127.0.0.1:" + std::to_string(peer_ports_.back());
  }
  for (std::size_t i = 0; i < kMembers; ++i) {
    const std::string client = "http://127.0.0.1:" + std::to_string(client_ports_[i]);
    const std::string peer = "http://127.0.0.1:" + std::to_string(peer_ports_[i]);
    std::vector<std::string> args = member_args(
        "m" + std::to_string(i), data_dir_ + "/m" + std::to_string(i), client, peer, initial);
    args.insert(args.end(),
                {"--initial-cluster-state", "new", "--initial-cluster-token", "nw-test"});
    processes_.push_back(std::make_unique<ChildProcess>(EtcdServer::kBinary, args));
  }
  // Every member answers a read once the cluster has a leader.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::size_t ready = 0;
  while (ready < kMembers && std::chrono::steady_clock::now() < deadline) {
    for (const auto& p : processes_)
      if (p->wait_exit(std::chrono::milliseconds(0))) return false;  // a port was taken
    ready = 0;
    for (const auto port : client_ports_) {
      try {
        Poco::Net::HTTPClientSession session("127.0.0.1", port);
        session.setTimeout(Poco::Timespan(2, 0));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/v3/kv/range",
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        const std::string body = R"({"key":"AA=="})";
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::ostringstream out;
        Poco::StreamCopier::copyStream(session.receiveResponse(response), out);
        ready += out.str().find("\"header\"") != std::string::npos;
      } catch (const std::exception&) {
      }
    }
    if (ready < kMembers) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ready == kMembers;
}

}  // namespace nw::test
