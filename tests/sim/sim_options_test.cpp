#include "nw/sim/sim_options.h"

#include <gtest/gtest.h>

#include "nw/sim/seeded_random.h"

namespace nw::sim {
namespace {

TEST(SimOptions, DefaultsMatchTheDocumentation) {
  const Parsed<SimOptions> parsed = parse_sim_options({});
  ASSERT_TRUE(parsed) << parsed.error;
  const SimOptions& o = *parsed.value;
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 8182);
  EXPECT_FALSE(o.listen_given);
  EXPECT_EQ(o.workload.seed, 1u);
  EXPECT_EQ(o.workload.arrival_rate, 2.0);
  EXPECT_EQ(o.workload.workers, 8);
  EXPECT_EQ(o.workload.runtime_median_ms, 2'000);
  EXPECT_EQ(o.workload.runtime_max_ms, 600'000);
  EXPECT_TRUE(o.faults.empty());
  EXPECT_EQ(o.duration_ms, 0);
  EXPECT_FALSE(o.quiet);
  EXPECT_FALSE(o.help);
  EXPECT_EQ(o.instances, 1);
  EXPECT_EQ(o.languages, std::vector<Language>{Language::opencypher});
}

TEST(SimOptions, ReadsEveryOption) {
  const Parsed<SimOptions> parsed = parse_sim_options({
      "--listen",
      "127.0.0.1:0",
      "--seed=99",
      "--arrival-rate",
      "0.5",
      "--workers",
      "3",
      "--runtime-median",
      "500ms",
      "--runtime-max=1h",
      "--fault",
      "429,count=2",
      "--fault=delay=1s,on=cancel",
      "--duration",
      "3",
      "--quiet",
      "--instances",
      "4",
      "--languages=gremlin,openCypher, sparql",
  });
  ASSERT_TRUE(parsed) << parsed.error;
  const SimOptions& o = *parsed.value;
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 0);
  EXPECT_TRUE(o.listen_given);
  EXPECT_EQ(o.workload.seed, 99u);
  EXPECT_EQ(o.workload.arrival_rate, 0.5);
  EXPECT_EQ(o.workload.workers, 3);
  EXPECT_EQ(o.workload.runtime_median_ms, 500);
  EXPECT_EQ(o.workload.runtime_max_ms, 3'600'000);
  ASSERT_EQ(o.faults.size(), 2u);
  EXPECT_EQ(o.faults[0].count, 2);
  EXPECT_EQ(o.faults[1].kind, FaultKind::delay);
  EXPECT_EQ(o.faults[1].delay_ms, 1'000);
  EXPECT_EQ(o.faults[1].on, FaultScope::cancel);
  EXPECT_EQ(o.duration_ms, 3'000);
  EXPECT_TRUE(o.quiet);
  EXPECT_EQ(o.instances, 4);
  const std::vector<Language> languages = {Language::gremlin, Language::opencypher,
                                           Language::sparql};
  EXPECT_EQ(o.languages, languages);
}

TEST(SimOptions, InstancesMustFitInThePortRange) {
  EXPECT_EQ(parse_sim_options({"--listen", "127.0.0.1:65530", "--instances", "6"}).value->instances,
            6);
  const Parsed<SimOptions> over =
      parse_sim_options({"--instances", "7", "--listen", "127.0.0.1:65530"});
  ASSERT_FALSE(over);
  EXPECT_NE(over.error.find("65535"), std::string::npos) << over.error;
  EXPECT_EQ(parse_sim_options({"--listen", "127.0.0.1:0", "--instances", "1000"}).value->instances,
            1000);
}

TEST(SimOptions, InstanceSeedsDeriveFromTheSeed) {
  EXPECT_EQ(instance_seed(42, 0), 42u) << "instance 0 replays a single-instance run";
  EXPECT_NE(instance_seed(42, 1), instance_seed(42, 2));
  EXPECT_NE(instance_seed(42, 1), instance_seed(43, 1));
  EXPECT_EQ(instance_seed(42, 7), instance_seed(42, 7));
}

TEST(SimOptions, DurationTakesSecondsOrASuffix) {
  EXPECT_EQ(parse_sim_options({"--duration", "90s"}).value->duration_ms, 90'000);
  EXPECT_EQ(parse_sim_options({"--duration", "0"}).value->duration_ms, 0);
  EXPECT_EQ(parse_sim_options({"--duration=250ms"}).value->duration_ms, 250);
}

TEST(SimOptions, HelpIsAnOption) {
  EXPECT_TRUE(parse_sim_options({"--help"}).value->help);
  EXPECT_TRUE(parse_sim_options({"-h"}).value->help);
  const std::string help = sim_help_text();
  for (const char* word : {"--listen",
                           "--seed",
                           "--arrival-rate",
                           "--workers",
                           "--runtime-median",
                           "--runtime-max",
                           "--fault",
                           "--duration",
                           "--quiet",
                           "/sim/queries",
                           "/sim/cancels",
                           "/sim/stats",
                           "share=F",
                           "count=N",
                           "on=",
                           "--instances",
                           "--languages",
                           "/gremlin/status",
                           "/sparql/status",
                           "\"language\"",
                           "neptune-sim: ready",
                           "Invalid queryId (not a UUID)",
                           "language=",
                           "instance=",
                           "during=FROM..TO",
                           "slow-headers=D",
                           "trickle=D",
                           "reset",
                           "truncated",
                           "not-json",
                           "huge=SIZE",
                           "huge-chunked=SIZE",
                           "wrong-type",
                           "drip-chunk=D",
                           "extra-response",
                           "duplicate-ids",
                           "bad-numbers",
                           "malformed-entries",
                           "ignoreCancel",
                           "--tls-cert",
                           "--tls-key",
                           "query=\"TEXT\""}) {
    EXPECT_NE(help.find(word), std::string::npos) << word;
  }
}

TEST(SimOptions, UsageErrorsSayWhatIsWrong) {
  const struct {
    std::vector<std::string> args;
    const char* expected;
  } rows[] = {
      {{"--bogus"}, "bogus"},
      {{"--listen"}, "listen"},
      {{"--listen", "8182"}, "HOST:PORT"},
      {{"--listen", "127.0.0.1:99999"}, "port"},
      {{"--listen", ":80"}, "host"},
      {{"--listen", "::1:80"}, "brackets"},
      {{"--seed", "-1"}, "--seed"},
      {{"--arrival-rate", "fast"}, "--arrival-rate"},
      {{"--arrival-rate", "1e9"}, "--arrival-rate"},
      {{"--workers", "0"}, "--workers"},
      {{"--runtime-median", "2"}, "--runtime-median"},
      {{"--runtime-max", "0s"}, "--runtime-max"},
      {{"--fault", "404"}, "--fault"},
      {{"--duration", "soon"}, "--duration"},
      {{"--quiet=yes"}, "quiet"},
      {{"--instances", "0"}, "--instances"},
      {{"--instances", "1001"}, "--instances"},
      {{"--instances", "two"}, "--instances"},
      {{"--languages", "cypher"}, "unknown language 'cypher'"},
      {{"--languages", ""}, "--languages"},
      {{"--languages", "gremlin,,sparql"}, "--languages"},
      {{"--languages", "sparql,SPARQL"}, "given twice"},
      {{"extra"}, "unexpected argument 'extra'"},
      {{"--tls-cert", "a.crt"}, "--tls-cert and --tls-key go together"},
      {{"--tls-key", "a.key"}, "--tls-cert and --tls-key go together"},
      {{"--fault", "huge=10"}, "--fault"},
      {{"--fault", "huge-chunked=10"}, "huge-chunked wants a size"},
      {{"--fault", "drip-chunk"}, "drip-chunk wants a positive duration"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.args.front());
    const Parsed<SimOptions> parsed = parse_sim_options(row.args);
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error.find(row.expected), std::string::npos) << parsed.error;
  }
}

TEST(SimOptions, TlsTakesACertificateAndItsKey) {
  const Parsed<SimOptions> parsed =
      parse_sim_options({"--tls-cert", "/tmp/server.crt", "--tls-key=/tmp/server.key", "--fault",
                         "reset,during=1s.."});
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed.value->tls_cert, "/tmp/server.crt");
  EXPECT_EQ(parsed.value->tls_key, "/tmp/server.key");
  ASSERT_EQ(parsed.value->faults.size(), 1u);
  EXPECT_EQ(parsed.value->faults[0].kind, FaultKind::reset);
  EXPECT_TRUE(parse_sim_options({}).value->tls_cert.empty()) << "plain HTTP by default";
}

TEST(SimOptions, ListenAcceptsIpv6InBrackets) {
  const auto address = parse_listen_address("[::1]:0");
  ASSERT_TRUE(address) << address.error;
  EXPECT_EQ(address.value->first, "::1");
  EXPECT_EQ(address.value->second, 0);
}

}  // namespace
}  // namespace nw::sim

namespace nw::sim {
namespace {

TEST(SimOptions, ClusterOptionsNameTheInstances) {
  const Parsed<SimOptions> one =
      parse_sim_options({"--cluster", "Prod-Graph", "--instances", "3", "--region", "eu-west-1",
                         "--management-listen", "127.0.0.1:0", "--management-page-size", "2",
                         "--advertise-domain", "Neptune.Test"});
  ASSERT_TRUE(one) << one.error;
  const SimOptions& o = *one.value;
  EXPECT_EQ(o.cluster, "prod-graph") << "kept in lower case, as RDS stores identifiers";
  EXPECT_EQ(o.region, "eu-west-1");
  EXPECT_EQ(o.management_host, "127.0.0.1");
  EXPECT_EQ(o.management_port, 0);
  EXPECT_EQ(o.management_page_size, 2);
  EXPECT_EQ(o.advertise_domain, "neptune.test");
  EXPECT_EQ(o.total_instances(), 3);
  EXPECT_EQ(o.cluster_ids(), std::vector<std::string>{"prod-graph"});
  EXPECT_EQ(o.instance_id(0), "prod-graph-instance-1");
  EXPECT_EQ(o.instance_id(2), "prod-graph-instance-3");

  // A fleet: 60 clusters of 16 instances.
  const Parsed<SimOptions> fleet =
      parse_sim_options({"--cluster", "fleet", "--clusters", "60", "--instances", "16"});
  ASSERT_TRUE(fleet) << fleet.error;
  EXPECT_EQ(fleet.value->total_instances(), 960);
  EXPECT_EQ(fleet.value->cluster_ids().size(), 60u);
  EXPECT_EQ(fleet.value->cluster_ids().back(), "fleet-60");
  EXPECT_EQ(fleet.value->instance_id(0), "fleet-1-instance-1");
  EXPECT_EQ(fleet.value->instance_id(16), "fleet-2-instance-1");
  EXPECT_EQ(fleet.value->instance_id(959), "fleet-60-instance-16");

  const Parsed<SimOptions> plain = parse_sim_options({});
  EXPECT_TRUE(plain.value->cluster.empty()) << "no management API unless asked for";
  EXPECT_EQ(plain.value->region, "us-east-1");
  EXPECT_EQ(plain.value->management_page_size, 100);
}

TEST(SimOptions, ClusterUsageErrorsNameTheOption) {
  const struct {
    std::vector<std::string> args;
    const char* expected;
  } rows[] = {
      {{"--cluster", "1abc"}, "--cluster '1abc'"},
      {{"--cluster", "a--b"}, "--cluster"},
      {{"--cluster", "a_b"}, "--cluster"},
      {{"--cluster", std::string(41, 'a')}, "--cluster"},
      {{"--clusters", "2"}, "--clusters needs --cluster"},
      {{"--region", "us-east-1"}, "--region needs --cluster"},
      {{"--management-listen", "127.0.0.1:0"}, "--management-listen needs --cluster"},
      {{"--management-page-size", "5"}, "--management-page-size needs --cluster"},
      {{"--advertise-domain", "x.test"}, "--advertise-domain needs --cluster"},
      {{"--cluster", "c", "--clusters", "0"}, "--clusters"},
      {{"--cluster", "c", "--clusters", "many"}, "--clusters"},
      {{"--cluster", "c", "--clusters", "61", "--instances", "17"}, "more than 1000"},
      {{"--cluster", "c", "--region", "US East"}, "--region"},
      {{"--cluster", "c", "--management-listen", "8183"}, "--management-listen"},
      {{"--cluster", "c", "--management-page-size", "0"}, "--management-page-size"},
      {{"--cluster", "c", "--management-page-size", "101"}, "--management-page-size"},
      {{"--cluster", "c", "--advertise-domain", ".test"}, "--advertise-domain"},
      {{"--cluster", "c", "--advertise-domain", "a..test"}, "--advertise-domain"},
      {{"--cluster", "c", "--advertise-domain", "a/b"}, "--advertise-domain"},
      {{"--cluster", "c", "--clusters", "10", "--instances", "100", "--listen", "127.0.0.1:65000"},
       "past 65535"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.args.front() + " " + row.args.back());
    const Parsed<SimOptions> parsed = parse_sim_options(row.args);
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error.find(row.expected), std::string::npos) << parsed.error;
  }
}

TEST(SimOptions, HelpDocumentsTheManagementApi) {
  const std::string help = sim_help_text();
  for (const char* word :
       {"--cluster", "--clusters", "--region", "--management-listen", "--management-page-size",
        "--advertise-domain", "DescribeDBClusters", "DescribeDBInstances",
        "POST /sim/clusters/ID/instances", "DELETE /sim/instances/ID",
        "POST /sim/instances/ID/status", "POST /sim/clusters/ID/failover",
        "POST /sim/management/fault", "GET  /sim/clusters", "management API on"}) {
    EXPECT_NE(help.find(word), std::string::npos) << word;
  }
}

}  // namespace
}  // namespace nw::sim
