#include "nw/app/cli.h"

#include <algorithm>
#include <getopt.h>
#include <map>
#include <sstream>
#include <string_view>

#include "nw/core/duration.h"
#include "nw/core/rfc3339.h"

namespace nw {
namespace {

// One option of a command: its long name, its one-letter name (0: none), the name of its
// argument (nullptr: it takes none) and its line of help. Parsing and --help both read these.
struct OptionSpec {
  const char* name;
  char letter;
  const char* argument;
  std::string help;
};
using OptionSpecs = std::vector<OptionSpec>;

OptionSpecs main_options() {
  return {
      {"config", 'c', "FILE",
       "configuration file (default " + std::string(kDefaultConfigPath) + ")"},
      {"check-config", 0, nullptr,
       "validate the configuration, print the effective policies and exit (0 valid, 78 "
       "invalid)"},
      {"show-topology", 0, nullptr,
       "ask the management API once for the instances of every [cluster.NAME] and print them "
       "with their roles, then exit (0 all found, 1 not)"},
      {"show-ha", 0, nullptr,
       "read the [ha] replica group from etcd and print its members and who owns which unit, "
       "then exit (0 read, 1 etcd could not be reached)"},
      {"once", 0, nullptr, "run one poll-and-act cycle over every endpoint, then exit"},
      {"dry-run", 0, nullptr, "decide and audit, never cancel (overrides the file)"},
      {"test-matching", 0, "FILE...",
       "evaluate captured status JSON (files, or directories of *.json) against the policies "
       "offline, print one line per query, and exit; no network"},
      {"language", 0, "LANGUAGE",
       "with --test-matching: read every body as this language's status (opencypher, gremlin "
       "or sparql; default: read from each body, openCypher when the body does not say)"},
      {"at", 0, "TIME",
       "with --test-matching: judge time windows and expiries at this RFC 3339 instant (e.g. "
       "2026-12-02T03:00:00Z) instead of now"},
      {"fingerprints", 0, nullptr,
       "with --test-matching: also print each query's fingerprint and its normalised text "
       "(fingerprint_text) on a line of its own"},
      {"digest", 0, "FILE...",
       "sum up audit files (plain, rotated or gzip-compressed; - for standard input) by query "
       "fingerprint, ranked by cancels, print the table and exit (0 read, 66 a file could not "
       "be read); no configuration, no network"},
      {"since", 0, "TIME",
       "with --digest: count records from this RFC 3339 time, or this long ago (90m, 36h, 7d)"},
      {"until", 0, "TIME",
       "with --digest: count records before this RFC 3339 time, or this long ago"},
      {"format", 0, "FORMAT", "with --digest: text (default) or json"},
      {"limit", 0, "N",
       "with --digest: print the first N fingerprints (default 20 in text, all in json; 0: all)"},
      {"help", 'h', nullptr, "print this help and exit"},
      {"version", 0, nullptr, "print the version and exit"},
  };
}

// A word of the command line as read against a command's options: an option with its value,
// or a positional word (`name` empty).
struct Word {
  std::string name;
  std::string value;
};
struct ReadWords {
  std::vector<Word> words;
  std::string error;    // non-empty: the words could not be read
  std::string unknown;  // the unknown option as written, when that was the error
};

// Reads `args` with getopt_long, in order: an option's argument follows it (`--config FILE`,
// `--config=FILE`, `-c FILE`, `-cFILE`), a unique abbreviation names a long option, and no
// option may be given twice. getopt_long keeps its place in globals: not for several threads.
ReadWords read_words(const OptionSpecs& specs, const std::vector<std::string>& args) {
  ReadWords read;
  std::vector<std::string> storage;
  storage.reserve(args.size() + 1);
  storage.push_back("neptune-watchdog");
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& word : storage) argv.push_back(word.data());
  argv.push_back(nullptr);
  // "-": positional words come back in order (as 1); ":": a missing argument is ':', not '?'.
  std::string letters = "-:";
  std::vector<option> longs;
  constexpr int kLongBase = 256;  // getopt's code of spec i when given by its long name
  for (std::size_t i = 0; i < specs.size(); ++i) {
    longs.push_back({specs[i].name, specs[i].argument ? required_argument : no_argument, nullptr,
                     kLongBase + static_cast<int>(i)});
    if (specs[i].letter)
      letters += std::string(1, specs[i].letter) + (specs[i].argument ? ":" : "");
  }
  longs.push_back({nullptr, 0, nullptr, 0});
  const auto spec_of = [&](int code) -> const OptionSpec* {
    if (code >= kLongBase) return &specs[static_cast<std::size_t>(code - kLongBase)];
    for (const auto& spec : specs)
      if (code != 0 && spec.letter == code) return &spec;
    return nullptr;
  };
  std::map<std::string, int> seen;
  const int argc = static_cast<int>(storage.size());
  optind = 0;  // glibc: start afresh
  opterr = 0;  // the errors are worded here
  int code;
  while ((code = getopt_long(argc, argv.data(), letters.c_str(), longs.data(), nullptr)) != -1) {
    if (code == 1) {
      read.words.push_back({"", optarg});
      continue;
    }
    const OptionSpec* spec = spec_of(code == '?' || code == ':' ? optopt : code);
    const std::string written = argv[static_cast<std::size_t>(optind - 1)];
    if (code == ':') {
      read.error = "Missing option argument: " + std::string(spec ? spec->name : written) +
                   " requires " + (spec ? spec->argument : "an argument");
      return read;
    }
    if (code == '?') {
      if (spec && optopt >= kLongBase) {  // a known option given an argument it does not take
        read.error = "Unexpected option argument: " + written.substr(2);
      } else {
        read.unknown = optopt ? "-" + std::string(1, static_cast<char>(optopt)) : written;
        const std::string bare = read.unknown.substr(read.unknown.find_first_not_of('-'));
        const std::string name = bare.substr(0, bare.find('='));
        std::string could_be;  // an abbreviation of several long names
        for (const auto& candidate : specs)
          if (!optopt && std::string_view(candidate.name).substr(0, name.size()) == name)
            could_be += (could_be.empty() ? "" : ", ") + std::string("--") + candidate.name;
        read.error = could_be.find(',') != std::string::npos
                         ? "Ambiguous option: " + name + " (" + could_be + ")"
                         : "Unknown option specified: " + name;
      }
      return read;
    }
    if (++seen[spec->name] > 1) {
      read.error = "Option must not be given more than once: " + std::string(spec->name);
      return read;
    }
    read.words.push_back({spec->name, spec->argument ? optarg : ""});
  }
  for (int i = optind; i < argc; ++i)
    read.words.push_back({"", storage[static_cast<std::size_t>(i)]});
  return read;
}

}  // namespace

namespace {

// The options of each subcommand (after its word); `--config` everywhere.
OptionSpecs subcommand_options(const std::string& word) {
  OptionSpecs specs = {{"config", 'c', "FILE", "configuration file"}};
  if (word == "cancel") {
    specs.push_back({"endpoint", 0, "NAME", "the [endpoint.NAME]"});
    specs.push_back({"language", 0, "LANGUAGE", "opencypher, gremlin or sparql"});
    specs.push_back({"silent", 0, nullptr, "cancel silently (openCypher, SPARQL)"});
  } else if (word == "status") {
    specs.push_back({"json", 0, nullptr, "print the daemon's answer as JSON"});
  } else if (word == "top") {
    specs.push_back({"once", 0, nullptr, "print one frame as text and exit"});
  } else if (word == "pause") {
    specs.push_back({"for", 0, "DURATION", "how long (e.g. 30m; at most 168h)"});
    specs.push_back({"reason", 0, "TEXT", "why, for the audit and /healthz"});
  } else if (word == "protect") {
    specs.push_back({"query-id", 0, "ID", "protect this query"});
    specs.push_back({"matches", 0, "REGEX", "protect queries whose text matches"});
    specs.push_back({"for", 0, "DURATION", "how long (e.g. 1h; at most 168h)"});
  }
  return specs;
}

// `WORD [--config FILE] ...`: cancel, status, pause, resume, protect.
CliParse parse_subcommand(const std::string& word, const std::vector<std::string>& args) {
  CliParse parse;
  ManualCancel cancel;
  AdminRequest request;
  request.op = word == "pause"     ? AdminOp::pause
               : word == "resume"  ? AdminOp::resume
               : word == "protect" ? AdminOp::protect
                                   : AdminOp::status;
  const ReadWords read = read_words(subcommand_options(word), args);
  if (!read.unknown.empty()) {
    parse.error = word + ": unknown option '" + read.unknown + "'";
    return parse;
  }
  if (!read.error.empty()) {
    parse.error = word + ": " + read.error;
    return parse;
  }
  std::vector<std::string> positional;
  for (const auto& [name, value] : read.words) {
    if (name.empty()) {
      if (!value.empty() && value[0] == '-') {
        parse.error = word + ": unknown option '" + value + "'";
        return parse;
      }
      positional.push_back(value);
    } else if (name == "config") {
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
  const ReadWords read = read_words(main_options(), args);
  if (!read.error.empty()) {
    parse.error = read.error;
    return parse;
  }
  bool digest_only = false;  // --since, --until, --format or --limit was given
  {
    for (const auto& [name, value] : read.words) {
      if (name.empty()) {
        // After --test-matching FILE or --digest FILE, further words are more files ("-" is
        // standard input).
        const bool a_file = value.empty() || value[0] != '-' || value == "-";
        if (a_file && !parse.options.digest.empty()) {
          parse.options.digest.push_back(value);
          continue;
        }
        if (a_file && !parse.options.test_matching.empty()) {
          parse.options.test_matching.push_back(value);
          continue;
        }
        parse.error = "unexpected argument '" + value + "'";
        return parse;
      }
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
  }
  return parse;
}

namespace {

// `text` as lines of at most `width` characters, broken between words, each starting at column
// `indent`: the first after `first` (padded to it), the others after blanks.
std::string wrapped(const std::string& text, std::size_t width, std::size_t indent,
                    std::string first = "") {
  first.resize(std::max(first.size(), indent), ' ');
  std::istringstream words(text);
  std::string out, line, word;
  while (words >> word) {
    if (!line.empty() && indent + line.size() + 1 + word.size() > width) {
      out += (out.empty() ? first : std::string(indent, ' ')) + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + (out.empty() ? first : std::string(indent, ' ')) + line + "\n";
}

}  // namespace

std::string help_text() {
  constexpr std::size_t kWidth = 80, kColumn = 26;
  std::string out =
      "Usage: neptune-watchdog [OPTIONS]\n"
      "       neptune-watchdog cancel [--config FILE] --endpoint NAME\n"
      "                        [--language LANGUAGE] [--silent] QUERY_ID\n"
      "       neptune-watchdog status [--config FILE] [--json]\n"
      "       neptune-watchdog top [--config FILE] [--once]\n"
      "       neptune-watchdog pause [--config FILE] --for DURATION [--reason TEXT]\n"
      "       neptune-watchdog resume [--config FILE]\n"
      "       neptune-watchdog protect [--config FILE]\n"
      "                        (--query-id ID | --matches REGEX) --for DURATION\n\n";
  out += wrapped(
      "Keeps runaway queries from hurting Amazon Neptune: polls each instance's query status "
      "endpoint, cancels the queries that break the configured rules, retries what Neptune "
      "throttles and writes an audit record of every decision.",
      kWidth, 0);
  out += "\nOptions:\n";
  for (const OptionSpec& spec : main_options()) {
    std::string names = spec.letter ? "  -" + std::string(1, spec.letter) + ", " : "      ";
    names +=
        "--" + std::string(spec.name) + (spec.argument ? " " + std::string(spec.argument) : "");
    if (names.size() + 2 > kColumn) {
      out += names + "\n";
      names.clear();
    }
    out += wrapped(spec.help, kWidth, kColumn, names);
  }
  out += "\n" + wrapped(
                    "Exit codes: 0 normal stop, 64 usage error, 66 (--digest) a file that "
                    "cannot be read, 78 configuration error, 69 the online program is missing, 1 "
                    "anything else. SIGTERM or "
                    "SIGINT stop it cleanly.",
                    kWidth, 0);
  return out;
}

}  // namespace nw
