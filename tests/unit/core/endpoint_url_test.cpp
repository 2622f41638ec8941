#include "nw/core/endpoint_url.h"

#include <gtest/gtest.h>

namespace nw {
namespace {

TEST(ParseEndpointUrl, AcceptsSchemeHostAndPort) {
  struct Row {
    const char* name;
    const char* text;
    bool https;
    const char* host;
    int port;
    const char* canonical;
  } rows[] = {
      {"neptune instance", "https://db-1.cluster-x.us-east-1.neptune.amazonaws.com:8182", true,
       "db-1.cluster-x.us-east-1.neptune.amazonaws.com", 8182,
       "https://db-1.cluster-x.us-east-1.neptune.amazonaws.com:8182"},
      {"plain http loopback", "http://127.0.0.1:18182", false, "127.0.0.1", 18182,
       "http://127.0.0.1:18182"},
      {"trailing slash", "http://127.0.0.1:18182/", false, "127.0.0.1", 18182,
       "http://127.0.0.1:18182"},
      {"https default port", "https://db", true, "db", 443, "https://db:443"},
      {"http default port", "http://db", false, "db", 80, "http://db:80"},
      {"default port with slash", "https://db/", true, "db", 443, "https://db:443"},
      {"lowest port", "http://db:1", false, "db", 1, "http://db:1"},
      {"highest port", "http://db:65535", false, "db", 65535, "http://db:65535"},
      {"ipv6 with port", "https://[::1]:8182", true, "::1", 8182, "https://[::1]:8182"},
      {"ipv6 default port", "http://[fe80::1]", false, "fe80::1", 80, "http://[fe80::1]:80"},
      {"ipv6 trailing slash", "http://[::1]:8182/", false, "::1", 8182, "http://[::1]:8182"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    std::string error;
    const auto url = parse_endpoint_url(row.text, error);
    if (!url) {
      ADD_FAILURE() << error;
      continue;
    }
    EXPECT_EQ(url->https, row.https);
    EXPECT_EQ(url->host, row.host);
    EXPECT_EQ(url->port, row.port);
    EXPECT_EQ(url->to_string(), row.canonical);
    EXPECT_EQ(error, "");
  }
}

TEST(ParseEndpointUrl, RejectsWithReason) {
  struct Row {
    const char* name;
    const char* text;
    const char* error;
  } rows[] = {
      {"empty", "", "must start with http:// or https://"},
      {"no scheme", "db:8182", "must start with http:// or https://"},
      {"other scheme", "ftp://db:8182", "must start with http:// or https://"},
      {"websocket", "wss://db:8182/gremlin", "must start with http:// or https://"},
      {"path", "https://db:8182/opencypher/status",
       "must be scheme://host:port only: the status paths are fixed"},
      {"double slash", "https://db:8182//",
       "must be scheme://host:port only: the status paths are fixed"},
      {"query", "https://db:8182?x=1",
       "must be scheme://host:port only: the status paths are fixed"},
      {"fragment", "https://db:8182#top",
       "must be scheme://host:port only: the status paths are fixed"},
      {"credentials", "https://user:secret@db:8182", "must not contain credentials"},
      {"user only", "https://user@db", "must not contain credentials"},
      {"scheme only", "https://", "missing host"},
      {"port only", "https://:8182", "missing host"},
      {"empty ipv6", "https://[]:8182", "missing host"},
      {"port zero", "https://db:0", "bad port '0'"},
      {"port too big", "https://db:65536", "bad port '65536'"},
      {"port way too big", "https://db:99999999999", "bad port '99999999999'"},
      {"port negative", "https://db:-1", "bad port '-1'"},
      {"port with letters", "https://db:80a", "bad port '80a'"},
      {"port with plus", "https://db:+80", "bad port '+80'"},
      {"two ports", "https://db:80:81", "bad port '80:81'"},
      {"empty port", "https://db:", "bad port ''"},
      {"ipv6 unterminated", "https://[::1:8182", "unterminated IPv6 literal"},
      {"ipv6 junk after", "https://[::1]8182", "unexpected text after IPv6 literal"},
      {"ipv6 bad port", "https://[::1]:http", "bad port 'http'"},
      {"ipv6 empty port", "https://[::1]:", "bad port ''"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    std::string error;
    const auto url = parse_endpoint_url(row.text, error);
    EXPECT_FALSE(url.has_value()) << url->to_string();
    EXPECT_EQ(error, row.error);
  }
}

// Plain http:// with auth = iam is tolerated only where the traffic cannot leave the machine.
TEST(IsLoopbackHost, OnlyAddressesThatNameThisMachine) {
  for (const char* host : {"localhost", "LocalHost", "127.0.0.1", "127.255.255.254", "127.1.2.3",
                           "::1", "0:0:0:0:0:0:0:1", "0::1", "::0:1", "::ffff:127.0.0.1"}) {
    SCOPED_TRACE(host);
    EXPECT_TRUE(is_loopback_host(host));
  }
  for (const char* host :
       {"db.example.com", "localhost.example.com", "mylocalhost", "128.0.0.1", "10.0.0.1",
        "127.0.0", "127.0.0.1.5", "127.0.0.256", "0.0.0.0", "::", "::2", "1::1", "::1:1",
        "::ffff:10.0.0.1", "1:2:3:4:5:6:7:8:9", "::1::", "127.0.0.1.nip.io", ""}) {
    SCOPED_TRACE(host);
    EXPECT_FALSE(is_loopback_host(host));
  }
}

}  // namespace
}  // namespace nw
