#include "nw/app/cli.h"

#include <sstream>

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>
#include <Poco/Util/OptionSet.h>

#include "nw/core/duration.h"
#include "nw/core/rfc3339.h"

namespace nw {
namespace {

using Poco::Util::Option;
using Poco::Util::OptionSet;

OptionSet option_set() {
  OptionSet set;
  set.addOption(
      Option("config", "c", "configuration file (default " + std::string(kDefaultConfigPath) + ")")
          .argument("FILE"));
  set.addOption(Option("check-config", "",
                       "validate the configuration, print the effective policies and exit "
                       "(0 valid, 78 invalid)"));
  set.addOption(Option("show-topology", "",
                       "ask the management API once for the instances of every [cluster.NAME] "
                       "and print them with their roles, then exit (0 all found, 1 not)"));
  set.addOption(Option("show-ha", "",
                       "read the [ha] replica group from etcd and print its members and who owns "
                       "which unit, then exit (0 read, 1 etcd could not be reached)"));
  set.addOption(Option("once", "", "run one poll-and-act cycle over every endpoint, then exit"));
  set.addOption(Option("dry-run", "", "decide and audit, never cancel (overrides the file)"));
  set.addOption(
      Option("test-matching", "",
             "evaluate captured status JSON (files, or directories of *.json) against the "
             "policies offline, print one line per query, and exit; no network")
          .argument("FILE..."));
  set.addOption(Option("language", "",
                       "with --test-matching: read every body as this language's status "
                       "(opencypher, gremlin or sparql; default: read from each body, "
                       "openCypher when the body does not say)")
                    .argument("LANGUAGE"));
  set.addOption(Option("at", "",
                       "with --test-matching: judge time windows and expiries at this RFC 3339 "
                       "instant (e.g. 2026-12-02T03:00:00Z) instead of now")
                    .argument("TIME"));
  set.addOption(Option("fingerprints", "",
                       "with --test-matching: also print each query's fingerprint and its "
                       "normalised text (fingerprint_text) on a line of its own"));
  set.addOption(Option("digest", "",
                       "sum up audit files (plain, rotated or gzip-compressed; - for standard "
                       "input) by query fingerprint, ranked by cancels, print the table and exit "
                       "(0 read, 66 a file could not be read); no configuration, no network")
                    .argument("FILE..."));
  set.addOption(Option("since", "",
                       "with --digest: count records from this RFC 3339 time, or this long ago "
                       "(90m, 36h, 7d)")
                    .argument("TIME"));
  set.addOption(Option("until", "",
                       "with --digest: count records before this RFC 3339 time, or this long ago")
                    .argument("TIME"));
  set.addOption(Option("format", "", "with --digest: text (default) or json").argument("FORMAT"));
  set.addOption(Option("limit", "",
                       "with --digest: print the first N fingerprints (default 20 in text, all "
                       "in json; 0: all)")
                    .argument("N"));
  set.addOption(Option("help", "h", "print this help and exit"));
  set.addOption(Option("version", "", "print the version and exit"));
  return set;
}

}  // namespace

namespace {

// The options of each subcommand (after its word); `--config` everywhere.
OptionSet subcommand_options(const std::string& word) {
  OptionSet set;
  set.addOption(Option("config", "c", "configuration file").argument("FILE"));
  if (word == "cancel") {
    set.addOption(Option("endpoint", "", "the [endpoint.NAME]").argument("NAME"));
    set.addOption(Option("language", "", "opencypher, gremlin or sparql").argument("LANGUAGE"));
    set.addOption(Option("silent", "", "cancel silently (openCypher, SPARQL)"));
  } else if (word == "status") {
    set.addOption(Option("json", "", "print the daemon's answer as JSON"));
  } else if (word == "top") {
    set.addOption(Option("once", "", "print one frame as text and exit"));
  } else if (word == "pause") {
    set.addOption(Option("for", "", "how long (e.g. 30m; at most 168h)").argument("DURATION"));
    set.addOption(Option("reason", "", "why, for the audit and /healthz").argument("TEXT"));
  } else if (word == "protect") {
    set.addOption(Option("query-id", "", "protect this query").argument("ID"));
    set.addOption(Option("matches", "", "protect queries whose text matches").argument("REGEX"));
    set.addOption(Option("for", "", "how long (e.g. 1h; at most 168h)").argument("DURATION"));
  }
  return set;
}

// `WORD [--config FILE] ...`: cancel, status, pause, resume, protect.
CliParse parse_subcommand(const std::string& word, const std::vector<std::string>& args) {
  CliParse parse;
  const OptionSet options = subcommand_options(word);
  Poco::Util::OptionProcessor processor(options);
  processor.setUnixStyle(true);
  ManualCancel cancel;
  AdminRequest request;
  request.op = word == "pause"     ? AdminOp::pause
               : word == "resume"  ? AdminOp::resume
               : word == "protect" ? AdminOp::protect
                                   : AdminOp::status;
  std::vector<std::string> positional;
  try {
    for (const auto& arg : args) {
      std::string name, value;
      bool an_option = false;
      try {
        an_option = processor.process(arg, name, value);
      } catch (const Poco::Util::UnknownOptionException&) {
        parse.error = word + ": unknown option '" + arg + "'";
        return parse;
      }
      if (!an_option) {
        if (!arg.empty() && arg[0] == '-') {
          parse.error = word + ": unknown option '" + arg + "'";
          return parse;
        }
        positional.push_back(arg);
        continue;
      }
      if (name == "config") {
        parse.options.config_path = value;
      } else if (name == "endpoint") {
        cancel.endpoint = value;
      } else if (name == "language") {
        cancel.language = language_named(value);
        if (!cancel.language) {
          parse.error = word + ": --language: unknown language '" + value +
                        "' (expected opencypher, gremlin or sparql)";
          return parse;
        }
      } else if (name == "silent") {
        cancel.silent = true;
      } else if (name == "json") {
        parse.options.json = true;
      } else if (name == "once") {
        parse.options.top_once = true;
      } else if (name == "for") {
        request.length = parse_duration(value);
        if (!request.length) {
          parse.error = word + ": --for: '" + value + "' is not a duration (e.g. 30m, 1h)";
          return parse;
        }
      } else if (name == "reason") {
        request.reason = value;
      } else if (name == "query-id") {
        request.query_id = value;
      } else if (name == "matches") {
        request.matches = value;
      }
    }
    processor.checkRequired();
  } catch (const Poco::Util::OptionException& e) {
    parse.error = word + ": " + e.displayText();
    return parse;
  }
  if (word == "cancel") {
    if (positional.size() > 1)
      parse.error = "cancel: one query id at a time (got '" + positional[0] + "' and '" +
                    positional[1] + "')";
    else if (cancel.endpoint.empty())
      parse.error = "cancel: --endpoint NAME is required (an [endpoint.NAME] of the configuration)";
    else if (positional.empty())
      parse.error = "cancel: which query? give its id (as the audit log or the status shows it)";
    else
      cancel.query_id = positional[0];
    parse.options.cancel = std::move(cancel);
    return parse;
  }
  if (!positional.empty()) {
    parse.error = word + ": unexpected argument '" + positional[0] + "'";
    return parse;
  }
  if (word == "top") {
    parse.options.top = true;
    return parse;
  }
  if ((word == "pause" || word == "protect") && !request.length)
    parse.error = word + ": --for DURATION is required (e.g. --for 30m)";
  else if (word == "protect" && request.query_id.empty() == request.matches.empty())
    parse.error = "protect: give either --query-id ID or --matches REGEX";
  parse.options.admin = std::move(request);
  return parse;
}

}  // namespace

CliParse parse_cli(const std::vector<std::string>& args,
                   std::chrono::system_clock::time_point now) {
  static const char* const kSubcommands[] = {"cancel", "status",  "pause",
                                             "resume", "protect", "top"};
  for (const char* word : kSubcommands)
    if (!args.empty() && args[0] == word)
      return parse_subcommand(word, std::vector<std::string>(args.begin() + 1, args.end()));
  CliParse parse;
  const OptionSet options = option_set();
  Poco::Util::OptionProcessor processor(options);
  processor.setUnixStyle(true);
  bool digest_only = false;  // --since, --until, --format or --limit was given
  try {
    for (const auto& arg : args) {
      std::string name, value;
      if (!processor.process(arg, name, value)) {
        // After --test-matching FILE or --digest FILE, further words are more files ("-" is
        // standard input).
        const bool a_file = arg.empty() || arg[0] != '-' || arg == "-";
        if (a_file && !parse.options.digest.empty()) {
          parse.options.digest.push_back(arg);
          continue;
        }
        if (a_file && !parse.options.test_matching.empty()) {
          parse.options.test_matching.push_back(arg);
          continue;
        }
        parse.error = "unexpected argument '" + arg + "'";
        return parse;
      }
      if (name.empty()) continue;  // the option's argument follows as the next word
      CliOptions& o = parse.options;
      if (name == "config")
        o.config_path = value;
      else if (name == "check-config")
        o.check_config = true;
      else if (name == "show-topology")
        o.show_topology = true;
      else if (name == "show-ha")
        o.show_ha = true;
      else if (name == "once")
        o.once = true;
      else if (name == "dry-run")
        o.dry_run = true;
      else if (name == "fingerprints")
        o.fingerprints = true;
      else if (name == "help")
        o.help = true;
      else if (name == "version")
        o.version = true;
      else if (name == "test-matching")
        o.test_matching.push_back(value);
      else if (name == "language") {
        o.language = language_named(value);
        if (!o.language) {
          parse.error = "--language: unknown language '" + value +
                        "' (expected opencypher, gremlin or sparql)";
          return parse;
        }
      } else if (name == "digest") {
        o.digest.push_back(value);
      } else if (name == "since" || name == "until") {
        const auto time = parse_digest_time(value, now);
        if (!time) {
          parse.error = "--" + name + ": '" + value +
                        "' is neither an RFC 3339 time (e.g. 2026-12-02T03:00:00Z) nor a "
                        "duration back from now (e.g. 90m, 36h, 7d)";
          return parse;
        }
        (name == "since" ? o.digest_range.since : o.digest_range.until) = time;
        digest_only = true;
      } else if (name == "format") {
        if (value != "text" && value != "json") {
          parse.error = "--format: unknown format '" + value + "' (expected text or json)";
          return parse;
        }
        o.digest_format = value == "json" ? DigestFormat::json : DigestFormat::text;
        digest_only = true;
      } else if (name == "limit") {
        const bool digits = !value.empty() && value.size() <= 9 &&
                            value.find_first_not_of("0123456789") == std::string::npos;
        if (!digits) {
          parse.error = "--limit: '" + value + "' is not a whole number of fingerprints";
          return parse;
        }
        o.digest_limit = static_cast<std::size_t>(std::stoul(value));
        digest_only = true;
      } else if (name == "at") {
        o.at = parse_rfc3339(value);
        if (!o.at) {
          parse.error = "--at: '" + value + "' is not an RFC 3339 time (e.g. 2026-12-02T03:00:00Z)";
          return parse;
        }
      }
    }
    processor.checkRequired();
    // Both only change how --test-matching judges; elsewhere they would be silently ignored.
    if ((parse.options.language || parse.options.at || parse.options.fingerprints) &&
        parse.options.test_matching.empty())
      parse.error = "--language, --at and --fingerprints apply to --test-matching only";
    const CliOptions& o = parse.options;
    if (digest_only && o.digest.empty())
      parse.error = "--since, --until, --format and --limit apply to --digest only";
    // --digest reads files and nothing else: next to another mode one of them would be ignored.
    if (!o.digest.empty() && (!o.test_matching.empty() || o.check_config || o.show_topology ||
                              o.show_ha || o.once || o.dry_run))
      parse.error =
          "--digest cannot be combined with --test-matching, --check-config, --show-topology, "
          "--show-ha, --once or --dry-run";
    if (o.digest_range.since && o.digest_range.until &&
        *o.digest_range.since >= *o.digest_range.until)
      parse.error = "--since must be before --until";
  } catch (const Poco::Util::OptionException& e) {
    parse.error = e.displayText();
  }
  return parse;
}

std::string help_text() {
  std::ostringstream out;
  const OptionSet options = option_set();  // HelpFormatter keeps a reference to it
  Poco::Util::HelpFormatter formatter(options);
  formatter.setUnixStyle(true);
  formatter.setCommand("neptune-watchdog");
  formatter.setUsage(
      "[OPTIONS]\n"
      "       neptune-watchdog cancel [--config FILE] --endpoint NAME [--language LANGUAGE] "
      "[--silent] QUERY_ID\n"
      "       neptune-watchdog status [--config FILE] [--json]\n"
      "       neptune-watchdog top [--config FILE] [--once]\n"
      "       neptune-watchdog pause [--config FILE] --for DURATION [--reason TEXT]\n"
      "       neptune-watchdog resume [--config FILE]\n"
      "       neptune-watchdog protect [--config FILE] (--query-id ID | --matches REGEX) "
      "--for DURATION");
  formatter.setHeader(
      "Keeps runaway queries from hurting Amazon Neptune: polls each instance's query status "
      "endpoint, cancels the queries that break the configured rules, retries what Neptune "
      "throttles and writes an audit record of every decision.");
  formatter.setFooter(
      "Exit codes: 0 normal stop, 64 usage error, 66 (--digest) a file that cannot be read, "
      "78 configuration error, 1 anything else. "
      "SIGTERM or SIGINT stop it cleanly.");
  formatter.format(out);
  return out.str();
}

}  // namespace nw
