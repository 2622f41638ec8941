#pragma once
// Shared by the libFuzzer targets: invariant checks that abort (libFuzzer then saves the
// input as a crash reproducer), a strict UTF-8 validator, and the audit-record check.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "nw/core/audit_record.h"

// An invariant that must hold for every input. On failure: print what broke and abort.
#define FUZZ_CHECK(cond, what)                                                          \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n  (%s)\n", __FILE__, __LINE__, \
                   #cond, std::string(what).c_str());                                   \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

namespace nw::fuzz {

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
// Written independently of audit_record.cpp so that the two can disagree.
inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t n;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) n = 2;
    else if (b0 == 0xE0) n = 3, lo = 0xA0;
    else if (b0 >= 0xE1 && b0 <= 0xEC) n = 3;
    else if (b0 == 0xED) n = 3, hi = 0x9F;
    else if (b0 >= 0xEE && b0 <= 0xEF) n = 3;
    else if (b0 == 0xF0) n = 4, lo = 0x90;
    else if (b0 >= 0xF1 && b0 <= 0xF3) n = 4;
    else if (b0 == 0xF4) n = 4, hi = 0x8F;
    else return false;
    if (i + n > s.size()) return false;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b1 < lo || b1 > hi) return false;
    for (std::size_t k = 2; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

// Number of code points of valid UTF-8 `s`.
inline std::size_t utf8_chars(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// The string member `name` of a parsed audit line.
inline std::string member(const Poco::JSON::Object::Ptr& o, const std::string& name) {
  FUZZ_CHECK(o->has(name), "audit line lacks " + name);
  const Poco::Dynamic::Var v = o->get(name);
  FUZZ_CHECK(v.isString(), "audit field " + name + " is not a string");
  return v.extract<std::string>();
}

// to_json_line(record) is one line of valid UTF-8 JSON, an object whose text fields give back
// the record's text wherever that text was valid UTF-8 (the query possibly cut at
// kMaxQueryChars characters). Also checks printable(): no control characters, valid UTF-8.
inline void check_audit_line(const AuditRecord& r) {
  const std::string line = to_json_line(r);
  FUZZ_CHECK(valid_utf8(line), "audit line is not valid UTF-8");
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    FUZZ_CHECK(u >= 0x20 && u != 0x7F, "audit line holds a raw control character");
  }
  Poco::JSON::Object::Ptr o;
  try {
    Poco::JSON::Parser parser;
    const Poco::Dynamic::Var v = parser.parse(line);
    FUZZ_CHECK(v.type() == typeid(Poco::JSON::Object::Ptr), "audit line is not a JSON object");
    o = v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    FUZZ_CHECK(false, "audit line does not parse: " + e.displayText() + "\n  " + line);
  }
  const auto same_if_valid = [&](const std::string& name, const std::string& original) {
    const std::string back = member(o, name);
    if (valid_utf8(original)) FUZZ_CHECK(back == original, "audit field " + name + " changed");
  };
  same_if_valid("endpoint", r.endpoint);
  same_if_valid("query_id", r.query_id);
  same_if_valid("rule", r.rule);
  same_if_valid("config_version", r.config_version);
  if (!r.reason.empty()) same_if_valid("reason", r.reason);
  if (r.outcome == AuditOutcome::failed) same_if_valid("error", r.error);
  const std::string query = member(o, "query");
  FUZZ_CHECK(utf8_chars(query) <= kMaxQueryChars, "audit query longer than kMaxQueryChars");
  if (valid_utf8(r.query)) FUZZ_CHECK(r.query.compare(0, query.size(), query) == 0, "audit query is not a prefix");
  FUZZ_CHECK(o->getValue<Poco::Int64>("elapsed_ms") == r.elapsed_ms, "elapsed_ms changed");
  FUZZ_CHECK(o->getValue<Poco::Int64>("waited_ms") == r.waited_ms, "waited_ms changed");

  for (const std::string* text : {&r.query_id, &r.query, &r.error}) {
    const std::string p = printable(*text);
    FUZZ_CHECK(valid_utf8(p), "printable() gave invalid UTF-8");
    for (char c : p) {
      const auto u = static_cast<unsigned char>(c);
      FUZZ_CHECK(u >= 0x20 && u != 0x7F, "printable() let a control character through");
    }
  }
}

}  // namespace nw::fuzz
