// Slow and broken answers as they reach a client over loopback: the bytes on the wire,
// read with a raw socket so that nothing between the test and the wire tidies them up.
// No timings are asserted; waits are give-up bounds only.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include "nw/sim/neptune_json.h"
#include "nw/sim/sim_server.h"
#include "nw/sim/sim_service.h"
#include "nw/sim/sim_tls.h"
#include "nw/sim/wire_fault.h"

namespace nw::sim {
namespace {

namespace fs = std::filesystem;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Everything one raw request got back: the bytes, how many reads they took, and how the
// stream ended.
struct RawReply {
  std::string bytes;
  int reads = 0;
  bool reset = false;  // ended with ECONNRESET
  bool eof = false;    // ended with the peer's FIN

  std::string head() const { return bytes.substr(0, bytes.find("\r\n\r\n")); }
  std::string body() const {
    const std::size_t end = bytes.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : bytes.substr(end + 4);
  }
  std::optional<std::size_t> content_length() const {
    const std::string h = head();
    const std::size_t at = h.find("Content-Length: ");
    if (at == std::string::npos) return std::nullopt;
    return std::stoul(h.substr(at + 16));
  }
  bool chunked() const { return head().find("Transfer-Encoding: chunked") != std::string::npos; }
};

// A chunked body without its framing, or nullopt if the framing is broken or the last
// (empty) chunk is missing.
std::optional<std::string> dechunk(const std::string& framed) {
  std::string out;
  std::size_t at = 0;
  for (;;) {
    const std::size_t eol = framed.find("\r\n", at);
    if (eol == std::string::npos || eol == at) return std::nullopt;
    std::size_t size = 0;
    try {
      size = std::stoul(framed.substr(at, eol - at), nullptr, 16);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    at = eol + 2;
    if (size == 0) {
      if (framed.compare(at, std::string::npos, "\r\n") != 0) return std::nullopt;
      return out;
    }
    if (framed.size() < at + size + 2 || framed.compare(at + size, 2, "\r\n") != 0)
      return std::nullopt;
    out.append(framed, at, size);
    at += size + 2;
  }
}

// Sends one GET with Connection: close and reads until the stream ends, or until `limit`
// bytes have come (then it stops reading).
RawReply raw_get(std::uint16_t port, const std::string& target,
                 std::size_t limit = std::string::npos) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
  socket.setReceiveTimeout(Poco::Timespan(60, 0));  // a give-up bound, not a timing
  const std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  socket.sendBytes(request.data(), static_cast<int>(request.size()));
  RawReply reply;
  char buffer[65536];
  while (reply.bytes.size() < limit) {
    int n = 0;
    try {
      n = socket.receiveBytes(buffer, sizeof buffer);
    } catch (const Poco::Net::ConnectionResetException&) {
      reply.reset = true;
      break;
    }
    if (n <= 0) {
      reply.eof = true;
      break;
    }
    ++reply.reads;
    reply.bytes.append(buffer, static_cast<std::size_t>(n));
  }
  return reply;
}

class SimServerFaultTest : public ::testing::Test {
 protected:
  ~SimServerFaultTest() override { stop(); }

  void stop() {
    if (service_) service_->shut_down();
    server_.reset();  // stops it, before its service goes
    service_.reset();
  }

  // A server whose every status request meets `fault`, with two running queries.
  void serve(const std::string& fault, Poco::Net::Context::Ptr tls = nullptr) {
    stop();
    const Parsed<FaultSpec> spec = parse_fault_spec(fault);
    ASSERT_TRUE(spec) << spec.error;
    WorkloadConfig workload;
    workload.arrival_rate = 0;
    service_ = std::make_unique<SimService>(workload, FaultPlan({*spec.value}, 1), steady_ms);
    server_ = std::make_unique<SimServer>(*service_, "127.0.0.1", 0, tls);
    server_->start();
    for (const char* body : {R"({"queryId":"a","elapsed":5000})", R"({"queryId":"b"})"}) {
      SimRequest inject{"POST", "/sim/queries", "application/json", body};
      ASSERT_EQ(service_->handle(inject).status, 201);
    }
  }

  // The list as it would be sent without a fault.
  std::string normal_list() const {
    WorkloadConfig workload;
    workload.arrival_rate = 0;
    SimService clean(workload, FaultPlan(), steady_ms);
    return clean.handle(SimRequest{"GET", "/opencypher/status", "", ""}).body;
  }

  std::unique_ptr<SimService> service_;
  std::unique_ptr<SimServer> server_;
};

TEST_F(SimServerFaultTest, ResetSendsHeadersAndPartOfTheBodyThenResets) {
  serve("reset,on=status");
  const RawReply r = raw_get(server_->port(), "/opencypher/status");
  EXPECT_TRUE(r.reset) << "the client sees ECONNRESET, not a clean end";
  EXPECT_FALSE(r.eof);
  // What arrived before the reset (the kernel may drop some of it): never the whole body.
  if (!r.bytes.empty()) {
    EXPECT_EQ(r.bytes.rfind("HTTP/1.1 200", 0), 0u) << r.bytes;
    ASSERT_TRUE(r.content_length());
    EXPECT_LT(r.body().size(), *r.content_length());
  }
}

TEST_F(SimServerFaultTest, TruncatedPromisesTheWholeBodySendsHalfAndCloses) {
  serve("truncated");
  const RawReply r = raw_get(server_->port(), "/opencypher/status");
  EXPECT_TRUE(r.eof);
  EXPECT_FALSE(r.reset);
  EXPECT_EQ(r.head().rfind("HTTP/1.1 200", 0), 0u);
  ASSERT_TRUE(r.content_length());
  EXPECT_GT(*r.content_length(), 0u);
  EXPECT_EQ(r.body().size(), *r.content_length() / 2);
  EXPECT_THROW(Poco::JSON::Parser().parse(r.body()), Poco::Exception);
}

TEST_F(SimServerFaultTest, HugeStreamsTheWholeSizeAsOneValidList) {
  serve("huge=3MB");
  const RawReply r = raw_get(server_->port(), "/opencypher/status");
  ASSERT_TRUE(r.content_length());
  EXPECT_EQ(*r.content_length(), 3'000'000u);
  ASSERT_EQ(r.body().size(), 3'000'000u);
  EXPECT_NE(r.head().find("application/json"), std::string::npos);
  const auto list = Poco::JSON::Parser().parse(r.body()).extract<Poco::JSON::Object::Ptr>();
  EXPECT_GT(list->getArray("queries")->size(), 1000u);
}

TEST_F(SimServerFaultTest, HugeStopsWhenTheClientHangsUp) {
  serve("huge=50GB");
  const RawReply r = raw_get(server_->port(), "/opencypher/status", 1 << 20);
  EXPECT_GE(r.bytes.size(), 1u << 20);
  // The client has closed; the server must notice and be free to stop (the fixture's
  // destructor would hang otherwise).
}

// The same list as huge, but its size is nowhere in the headers: only counting tells.
TEST_F(SimServerFaultTest, HugeChunkedStreamsTheWholeSizeWithoutAContentLength) {
  serve("huge-chunked=3MB");
  const RawReply r = raw_get(server_->port(), "/opencypher/status");
  EXPECT_EQ(r.head().rfind("HTTP/1.1 200", 0), 0u) << r.head();
  EXPECT_FALSE(r.content_length()) << r.head();
  EXPECT_TRUE(r.chunked()) << r.head();
  EXPECT_NE(r.head().find("application/json"), std::string::npos);
  const std::optional<std::string> body = dechunk(r.body());
  ASSERT_TRUE(body) << "the chunked framing is broken or has no last chunk";
  ASSERT_EQ(body->size(), 3'000'000u);
  const auto list = Poco::JSON::Parser().parse(*body).extract<Poco::JSON::Object::Ptr>();
  EXPECT_GT(list->getArray("queries")->size(), 1000u);
}

TEST_F(SimServerFaultTest, HugeChunkedStopsWhenTheClientHangsUp) {
  serve("huge-chunked=50GB");
  const RawReply r = raw_get(server_->port(), "/opencypher/status", 1 << 20);
  EXPECT_GE(r.bytes.size(), 1u << 20);
  EXPECT_TRUE(r.chunked()) << r.head();
  // As with huge: the fixture's destructor would hang if the server kept writing.
}

TEST_F(SimServerFaultTest, TrickleSendsTheSameBodyInManyPieces) {
  serve("trickle=1s");
  const RawReply r = raw_get(server_->port(), "/opencypher/status");
  EXPECT_TRUE(r.eof);
  ASSERT_TRUE(r.content_length());
  EXPECT_EQ(r.body().size(), *r.content_length());
  EXPECT_GT(r.reads, 2) << "the body came a few bytes at a time";
  const auto list = Poco::JSON::Parser().parse(r.body()).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(list->getArray("queries")->size(), 2u);
}

// The chunk-size line comes one byte per read at most, then the whole list, then close.
TEST_F(SimServerFaultTest, DripChunkSendsTheChunkSizeLineOneByteAtATime) {
  serve("drip-chunk=500ms");
  const RawReply r = raw_get(server_->port(), "/opencypher/status");
  EXPECT_TRUE(r.eof);
  EXPECT_EQ(r.head().rfind("HTTP/1.1 200", 0), 0u) << r.head();
  EXPECT_TRUE(r.chunked()) << r.head();
  EXPECT_FALSE(r.content_length()) << r.head();
  const std::string line = r.body().substr(0, r.body().find("\r\n"));
  EXPECT_NE(line.find(";drip="), std::string::npos) << line;
  EXPECT_GT(r.reads, 2) << "the line came a byte at a time";
  const std::optional<std::string> body = dechunk(r.body());
  ASSERT_TRUE(body) << "the chunked framing is broken or has no last chunk";
  const auto list = Poco::JSON::Parser().parse(*body).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(list->getArray("queries")->size(), 2u);
}

TEST_F(SimServerFaultTest, DripChunkStopsWhenTheServiceShutsDown) {
  serve("drip-chunk=1h");
  auto pending = std::async(
      std::launch::async, [port = server_->port()] { return raw_get(port, "/opencypher/status"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop();
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(60)), std::future_status::ready);
}

// On a kept-alive connection the answer and a second, unsolicited one arrive together; the
// connection stays open, and the request after them gets its own answer behind them.
TEST_F(SimServerFaultTest, ExtraResponseFollowsTheAnswerInTheSameWrite) {
  serve("extra-response,on=status,count=1");
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", server_->port()));
  socket.setReceiveTimeout(Poco::Timespan(60, 0));  // a give-up bound, not a timing
  const std::string request = "GET /opencypher/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const std::string extra = extra_response_bytes();
  // Reads until `bytes` holds `want` bytes or the stream ends.
  const auto read_to = [&socket](std::string& bytes, std::size_t want) {
    char buffer[65536];
    while (bytes.size() < want) {
      const int n = socket.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) return;
      bytes.append(buffer, static_cast<std::size_t>(n));
    }
  };
  // Reads until `bytes` holds a whole head, or the stream ends.
  const auto read_head = [&socket](std::string& bytes) {
    char buffer[65536];
    while (bytes.find("\r\n\r\n") == std::string::npos) {
      const int n = socket.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) return;
      bytes.append(buffer, static_cast<std::size_t>(n));
    }
  };

  socket.sendBytes(request.data(), static_cast<int>(request.size()));
  std::string first;
  read_head(first);
  RawReply answer{first};
  ASSERT_TRUE(answer.content_length()) << first;
  const std::size_t answer_size = answer.head().size() + 4 + *answer.content_length();
  read_to(first, answer_size + extra.size());
  ASSERT_EQ(first.size(), answer_size + extra.size()) << first;
  EXPECT_EQ(first.substr(answer_size), extra);
  const auto list = Poco::JSON::Parser()
                        .parse(first.substr(answer.head().size() + 4, *answer.content_length()))
                        .extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(list->getArray("queries")->size(), 2u);
  EXPECT_EQ(answer.head().find("Connection: close"), std::string::npos) << answer.head();

  // The connection is still served: the next request's own answer, and nothing extra.
  socket.sendBytes(request.data(), static_cast<int>(request.size()));
  std::string second;
  read_head(second);
  RawReply next{second};
  ASSERT_TRUE(next.content_length()) << second;
  read_to(second, next.head().size() + 4 + *next.content_length());
  EXPECT_EQ(second.size(), next.head().size() + 4 + *next.content_length());
  EXPECT_EQ(second.rfind("HTTP/1.1 200", 0), 0u) << second;
}

TEST_F(SimServerFaultTest, SlowHeadersAnswerNormallyAndShutDownCutsThemShort) {
  serve("slow-headers=1h");
  auto pending = std::async(
      std::launch::async, [port = server_->port()] { return raw_get(port, "/opencypher/status"); });
  // Whatever the client got, stopping must not wait the hour out.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop();
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(60)), std::future_status::ready);
}

TEST_F(SimServerFaultTest, NotJsonAndWrongTypeLabelTheirBodiesFalsely) {
  serve("not-json");
  const RawReply page = raw_get(server_->port(), "/opencypher/status");
  EXPECT_EQ(page.head().rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_NE(page.head().find("Content-Type: application/json"), std::string::npos);
  EXPECT_EQ(page.body().rfind("<!DOCTYPE html>", 0), 0u);

  serve("wrong-type");
  const RawReply typed = raw_get(server_->port(), "/opencypher/status");
  EXPECT_NE(typed.head().find("Content-Type: text/html"), std::string::npos) << typed.head();
  const auto list = Poco::JSON::Parser().parse(typed.body()).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(list->getArray("queries")->size(), 2u);
}

TEST_F(SimServerFaultTest, StrangeListsHaveDuplicatesBadNumbersOrMalformedEntries) {
  serve("duplicate-ids");
  const RawReply dup = raw_get(server_->port(), "/opencypher/status");
  const auto list = Poco::JSON::Parser().parse(dup.body()).extract<Poco::JSON::Object::Ptr>();
  const auto queries = list->getArray("queries");
  ASSERT_EQ(queries->size(), 3u);
  EXPECT_EQ(queries->getObject(2)->getValue<std::string>("queryId"),
            queries->getObject(0)->getValue<std::string>("queryId"));

  serve("bad-numbers");
  const RawReply bad = raw_get(server_->port(), "/opencypher/status");
  EXPECT_NE(bad.body().find(std::string("\"elapsed\" : ") + std::string(kOverflowingNumber)),
            std::string::npos)
      << bad.body();
  EXPECT_NE(bad.body().find("\"elapsed\" : -1000"), std::string::npos);

  // The bytes that are not UTF-8 reach the wire as they are, and the surrogate as an escape.
  serve("malformed-entries");
  const RawReply malformed = raw_get(server_->port(), "/opencypher/status");
  EXPECT_NE(malformed.body().find(std::string(kMalformedEntryIds[0])), std::string::npos);
  EXPECT_NE(malformed.body().find("'\\ud800'"), std::string::npos) << malformed.body();
  EXPECT_NE(malformed.body().find("'\xC3\x28'"), std::string::npos) << malformed.body();
}

// A throwaway certificate for 127.0.0.1, made with the openssl tool.
class TlsFiles {
 public:
  TlsFiles() : dir_(fs::temp_directory_path() / ("nw-sim-tls-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout " +
        key() + " -out " + cert() + " >/dev/null 2>&1";
    ok_ = std::system(cmd.c_str()) == 0;
  }
  ~TlsFiles() { fs::remove_all(dir_); }
  bool ok() const { return ok_; }
  std::string cert() const { return (dir_ / "server.crt").string(); }
  std::string key() const { return (dir_ / "server.key").string(); }

 private:
  fs::path dir_;
  bool ok_ = false;
};

TEST_F(SimServerFaultTest, ServesHttpsWithTheGivenCertificate) {
  const TlsFiles files;
  ASSERT_TRUE(files.ok()) << "openssl could not make a certificate";
  serve("429,count=1", make_server_tls_context(files.cert(), files.key()));
  EXPECT_EQ(server_->url(), "https://127.0.0.1:" + std::to_string(server_->port()));

  Poco::Net::Context::Params params;
  params.caLocation = files.cert();  // self-signed: its own trust anchor
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  Poco::Net::Context::Ptr client =
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  Poco::Net::HTTPSClientSession session("127.0.0.1", server_->port(), client);
  session.setKeepAlive(true);
  for (const int expected : {429, 200}) {
    Poco::Net::HTTPRequest request("GET", "/opencypher/status", Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    EXPECT_EQ(response.getStatus(), expected) << body;
  }

  // A plain-HTTP client gets nowhere.
  const RawReply plain = raw_get(server_->port(), "/opencypher/status");
  EXPECT_EQ(plain.bytes.find("HTTP/1.1 200"), std::string::npos);
}

TEST(SimTls, UnreadableFilesAreRefusedUpFront) {
  EXPECT_THROW(make_server_tls_context("/nonexistent/server.crt", "/nonexistent/server.key"),
               Poco::Exception);
}

}  // namespace
}  // namespace nw::sim
