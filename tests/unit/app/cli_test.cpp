#include "nw/app/cli.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nw {
namespace {

using Args = std::vector<std::string>;

TEST(ParseCli, AcceptsEveryOption) {
  struct Row {
    const char* name;
    Args args;
    std::string config;
    bool check_config, once, dry_run, help, version;
  } rows[] = {
      {"no arguments: defaults", {}, "/etc/neptune-watchdog/neptune-watchdog.ini", false, false, false, false, false},
      {"--config FILE", {"--config", "/tmp/w.ini"}, "/tmp/w.ini", false, false, false, false, false},
      {"--config=FILE", {"--config=/tmp/w.ini"}, "/tmp/w.ini", false, false, false, false, false},
      {"-c FILE", {"-c", "/tmp/w.ini"}, "/tmp/w.ini", false, false, false, false, false},
      {"-cFILE", {"-c/tmp/w.ini"}, "/tmp/w.ini", false, false, false, false, false},
      {"config path with spaces", {"--config", "/tmp/my dir/w.ini"}, "/tmp/my dir/w.ini", false, false, false, false, false},
      {"relative config path", {"-c", "w.ini"}, "w.ini", false, false, false, false, false},
      {"--check-config", {"--check-config"}, kDefaultConfigPath, true, false, false, false, false},
      {"--once", {"--once"}, kDefaultConfigPath, false, true, false, false, false},
      {"--dry-run", {"--dry-run"}, kDefaultConfigPath, false, false, true, false, false},
      {"--help", {"--help"}, kDefaultConfigPath, false, false, false, true, false},
      {"-h", {"-h"}, kDefaultConfigPath, false, false, false, true, false},
      {"--version", {"--version"}, kDefaultConfigPath, false, false, false, false, true},
      {"a unique abbreviation", {"--conf", "a.ini", "--vers"}, "a.ini", false, false, false, false, true},
      {"an exact name that also begins another", {"--config", "b.ini"}, "b.ini", false, false, false, false, false},
      {"check a given file", {"--config", "/tmp/w.ini", "--check-config"}, "/tmp/w.ini", true, false, false, false, false},
      {"everything", {"--once", "--dry-run", "-c", "x.ini", "--check-config", "--version", "--help"}, "x.ini", true,
       true, true, true, true},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const CliParse p = parse_cli(row.args);
    EXPECT_EQ(p.error, "");
    EXPECT_EQ(p.options.config_path, row.config);
    EXPECT_EQ(p.options.check_config, row.check_config);
    EXPECT_EQ(p.options.once, row.once);
    EXPECT_EQ(p.options.dry_run, row.dry_run);
    EXPECT_EQ(p.options.help, row.help);
    EXPECT_EQ(p.options.version, row.version);
  }
}

TEST(ParseCli, UsageErrors) {
  struct Row {
    const char* name;
    Args args;
    const char* error;
  } rows[] = {
      {"positional argument", {"extra"}, "unexpected argument 'extra'"},
      {"positional after options", {"--once", "/tmp/w.ini"}, "unexpected argument '/tmp/w.ini'"},
      {"lone dash", {"-"}, "unexpected argument '-'"},
      {"unknown long option", {"--frobnicate"}, "Unknown option specified: frobnicate"},
      {"unknown short option", {"-x"}, "Unknown option specified: x"},
      {"test-matching without a file", {"--test-matching"}, "Missing option argument: test-matching requires FILE..."},
      {"missing argument to --config", {"--config"}, "Missing option argument: config requires FILE"},
      {"missing argument to -c", {"-c"}, "Missing option argument: config requires FILE"},
      {"missing argument after other options", {"--once", "--config"}, "Missing option argument: config requires FILE"},
      {"argument to a flag", {"--once=yes"}, "Unexpected option argument: once=yes"},
      {"repeated option", {"--once", "--once"}, "Option must not be given more than once: once"},
      {"repeated by another spelling", {"-c", "a", "--config=b"}, "Option must not be given more than once: config"},
      {"an ambiguous abbreviation", {"--c", "a"}, "Ambiguous option: c (--config, --check-config)"},
      {"a word after --", {"--once", "--", "--dry-run"}, "unexpected argument '--dry-run'"},
      {"subcommand: unknown option", {"cancel", "--frob", "q"}, "cancel: unknown option '--frob'"},
      {"subcommand: unknown letter", {"status", "-x"}, "status: unknown option '-x'"},
      {"subcommand: a lone dash", {"cancel", "--endpoint", "w", "-"}, "cancel: unknown option '-'"},
      {"subcommand: missing argument", {"pause", "--for"}, "pause: Missing option argument: for requires DURATION"},
      {"subcommand: repeated option", {"status", "--json", "--json"}, "status: Option must not be given more than once: json"},
      {"subcommand: main options are not its own", {"top", "--once", "--dry-run"}, "top: unknown option '--dry-run'"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(parse_cli(row.args).error, row.error);
  }
}

TEST(ParseCli, TestMatchingTakesFilesStandardInputALanguageAndAnInstant) {
  const CliParse p = parse_cli({"--test-matching", "a.json", "-", "b", "--language", "gremlin", "--at",
                                "2026-12-02T03:00:00Z", "c.json"});
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.options.test_matching, (Args{"a.json", "-", "b", "c.json"}));
  EXPECT_EQ(p.options.language, Language::gremlin);
  ASSERT_TRUE(p.options.at.has_value());
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*p.options.at), 1796180400);

  const CliParse dash = parse_cli({"--at=2026-12-02T04:00:00+01:00", "--test-matching", "-"});
  EXPECT_EQ(dash.error, "");
  EXPECT_EQ(dash.options.test_matching, Args{"-"});
  EXPECT_EQ(dash.options.language, std::nullopt);
  ASSERT_TRUE(dash.options.at.has_value());
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*dash.options.at), 1796180400);
}

TEST(ParseCli, TestMatchingOptionErrors) {
  struct Row {
    const char* name;
    Args args;
    const char* error;
  } rows[] = {
      {"unknown language", {"--test-matching", "a", "--language", "cypher"},
       "--language: unknown language 'cypher' (expected opencypher, gremlin or sparql)"},
      {"not a time", {"--test-matching", "a", "--at", "tomorrow"},
       "--at: 'tomorrow' is not an RFC 3339 time (e.g. 2026-12-02T03:00:00Z)"},
      {"a time without its zone", {"--test-matching", "a", "--at", "2026-12-02T03:00:00"},
       "--at: '2026-12-02T03:00:00' is not an RFC 3339 time (e.g. 2026-12-02T03:00:00Z)"},
      {"--language alone", {"--language", "sparql"}, "--language, --at and --fingerprints apply to --test-matching only"},
      {"--at with --once", {"--once", "--at", "2026-12-02T03:00:00Z"},
       "--language, --at and --fingerprints apply to --test-matching only"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(parse_cli(row.args).error, row.error);
  }
}

TEST(ParseCli, DigestTakesFilesARangeAFormatAndALimit) {
  const auto now = std::chrono::system_clock::from_time_t(1796180400);  // 2026-12-02T03:00:00Z
  const CliParse p = parse_cli({"--digest", "audit.jsonl", "audit.jsonl.1", "-", "--since", "2h",
                                "--until", "2026-12-02T02:30:00Z", "audit.jsonl.2.gz",
                                "--format", "json", "--limit", "5"},
                               now);
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.options.digest, (Args{"audit.jsonl", "audit.jsonl.1", "-", "audit.jsonl.2.gz"}));
  EXPECT_EQ(p.options.digest_range.since, now - std::chrono::hours(2));
  EXPECT_EQ(p.options.digest_range.until, now - std::chrono::minutes(30));
  EXPECT_EQ(p.options.digest_format, DigestFormat::json);
  EXPECT_EQ(p.options.digest_limit, 5u);

  const CliParse defaults = parse_cli({"--digest", "a"}, now);
  EXPECT_EQ(defaults.error, "");
  EXPECT_EQ(defaults.options.digest_range.since, std::nullopt);
  EXPECT_EQ(defaults.options.digest_range.until, std::nullopt);
  EXPECT_EQ(defaults.options.digest_format, DigestFormat::text);
  EXPECT_EQ(defaults.options.digest_limit, std::nullopt);
  EXPECT_EQ(parse_cli({"--digest", "a", "--since", "7d", "--limit", "0", "--format", "text"}, now)
                .options.digest_limit,
            0u);
}

TEST(ParseCli, DigestOptionErrors) {
  struct Row {
    const char* name;
    Args args;
    const char* error;
  } rows[] = {
      {"--digest without a file", {"--digest"}, "Missing option argument: digest requires FILE..."},
      {"a bad time", {"--digest", "a", "--since", "yesterday"},
       "--since: 'yesterday' is neither an RFC 3339 time (e.g. 2026-12-02T03:00:00Z) nor a "
       "duration back from now (e.g. 90m, 36h, 7d)"},
      {"until a bad time", {"--digest", "a", "--until", "5"},
       "--until: '5' is neither an RFC 3339 time (e.g. 2026-12-02T03:00:00Z) nor a duration back "
       "from now (e.g. 90m, 36h, 7d)"},
      {"an empty range", {"--digest", "a", "--since", "1h", "--until", "2h"},
       "--since must be before --until"},
      {"unknown format", {"--digest", "a", "--format", "csv"},
       "--format: unknown format 'csv' (expected text or json)"},
      {"negative limit", {"--digest", "a", "--limit", "-1"},
       "--limit: '-1' is not a whole number of fingerprints"},
      {"limit not a number", {"--digest", "a", "--limit", "ten"},
       "--limit: 'ten' is not a whole number of fingerprints"},
      {"--since alone", {"--since", "1h"},
       "--since, --until, --format and --limit apply to --digest only"},
      {"--format with --test-matching", {"--test-matching", "a", "--format", "json"},
       "--since, --until, --format and --limit apply to --digest only"},
      {"with --once", {"--digest", "a", "--once"},
       "--digest cannot be combined with --test-matching, --check-config, --show-topology, "
       "--show-ha, --once or --dry-run"},
      {"with --test-matching", {"--test-matching", "s.json", "--digest", "a"},
       "--digest cannot be combined with --test-matching, --check-config, --show-topology, "
       "--show-ha, --once or --dry-run"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(parse_cli(row.args).error, row.error);
  }
}

TEST(HelpText, DocumentsEveryOptionAndExitCodes) {
  const std::string help = help_text();
  const char* parts[] = {"neptune-watchdog", "--config", "-c", "FILE", "--check-config", "--once", "--dry-run",
                         "--help", "--version", "--test-matching", "--language", "--at", kDefaultConfigPath, "64", "78",
                         "--digest", "--since", "--until", "--format", "--limit", "66"};
  for (const char* part : parts) {
    SCOPED_TRACE(part);
    EXPECT_NE(help.find(part), std::string::npos) << help;
  }
}

}  // namespace
}  // namespace nw
